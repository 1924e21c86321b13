// Internal: the few things the harness asks of the machine it runs on, one implementation per
// platform (host_posix.cpp, host_windows.cpp).
//
//   std::string salt = name + "-" + std::to_string(host_pid());
//   make_private_directory(root / "server");  // 0700 on POSIX, the creator's ACL on Windows
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace pipecheck::harness::host {

// Whether the harness runs on Windows (the registry's `windows` launch form applies).
bool is_windows();

// This process's id.
std::int64_t pid();

// Whether `file` exists and this process may execute it.
bool executable(const std::filesystem::path& file);

// Creates a new directory `{base}/{prefix}-XXXXXX` only this user can use, and returns it;
// throws std::system_error naming the pattern.
std::filesystem::path make_unique_directory(const std::filesystem::path& base,
                                            const std::string& prefix);

// Creates `dir` (only this user can use it) unless it exists; throws when it cannot, or when
// what is there is not a directory (a symlink is not followed).
void make_private_directory(const std::filesystem::path& dir);

// Where scratch directories go when the caller names no base.
std::filesystem::path default_scratch_base();

}  // namespace pipecheck::harness::host

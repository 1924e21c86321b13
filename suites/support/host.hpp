// host.hpp — what the suite process asks of the machine it runs on (host_posix.cpp,
// host_windows.cpp), so that the suites build as Windows programs too.
//
//   const fs::path ours = directory / name_for(suite_pid());
//   if (!pid_alive(pid)) { ... }  // stale
//
// Checks that need POSIX notions (uids, file modes, inodes) skip themselves for Windows agents
// before they ask for them; on a Windows host these calls throw std::logic_error saying so.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace pipecheck::suites {

std::int64_t suite_pid();
// The effective uid (POSIX only).
std::uint32_t suite_uid();
bool suite_is_root();  // POSIX root; false on Windows
// Whether a process with this id exists (one we may not signal counts).
bool pid_alive(std::int64_t pid);
// Permission bits of `path` without following a symlink; 0 when it does not exist (POSIX only).
std::uint32_t file_mode(const std::filesystem::path& path);
// The file's identity (inode) without following a symlink; 0 when it does not exist (POSIX only).
std::uint64_t file_id(const std::filesystem::path& path);
// Whether the C library can switch to locale `name` (HASH-9's locales).
bool locale_available(const std::string& name);
// Throws std::runtime_error "CALL(PATH): " and errno's text, for the POSIX call that just failed
// (POSIX sources only).
[[noreturn]] void throw_os_error(const std::string& call, const std::filesystem::path& path);

}  // namespace pipecheck::suites

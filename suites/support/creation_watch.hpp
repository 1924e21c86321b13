// creation_watch.hpp — the permission bits of every entry created in a directory while something
// runs, read the moment each appears (Linux: inotify IN_CREATE, then lstat). SEC-3's check uses it
// to see a socket between bind and any later chmod.
//
//   std::vector<std::uint32_t> modes = modes_of_new_entries(dir, [&] { listen_and_close(60); });
//
// Linux only (creation_watch_posix.cpp); the check skips other agents' platforms first, so on a
// Windows host (creation_watch_windows.cpp) it throws std::logic_error naming the defect.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <vector>

namespace pipecheck::suites {

// Runs `during` while watching `dir` (which must exist); returns the modes (07777 bits) of the
// entries that appeared, in order. Throws std::runtime_error when the watch cannot be set up.
std::vector<std::uint32_t> modes_of_new_entries(const std::filesystem::path& dir,
                                                const std::function<void()>& during);

}  // namespace pipecheck::suites

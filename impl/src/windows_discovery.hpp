// windows_discovery.hpp — where Windows discovery gets its names from, and which source it used.
//
// `\\.\pipe\` is listed where the OS can (Windows); where it cannot (Wine: error 66) the marker
// directory is listed instead (WIN-2, WIN-3). pipecheck::discover() reports it only as
// DiscoveryResult::method ("listing" / "markers"); tests that need the enum call discover_windows:
//   pipecheck::detail::ListingSource used;
//   auto found = pipecheck::detail::discover_windows(hs, {}, used);
//   std::cout << pipecheck::detail::to_string(used);  // "pipe_enumeration" or "markers"
#pragma once

#include <windows.h>

#include <string>
#include <string_view>
#include <vector>

#include "pipecheck/discovery.hpp"

namespace pipecheck::detail {

enum class ListingSource {
  pipe_enumeration,  // FindFirstFileExW("\\.\pipe\...") listed the pipes (Windows)
  markers,           // that failed (Wine: error 66); the marker directory was listed instead
};

std::string_view to_string(ListingSource source);

struct ListedEntry {
  std::string name;
  DWORD attributes = 0;  // markers: FILE_ATTRIBUTE_* of the marker entry
};

struct Listing {
  ListingSource source = ListingSource::pipe_enumeration;
  std::string marker_directory;    // set when source == markers
  bool directory_missing = false;  // markers: no marker directory yet (DISC-9: nothing found)
  std::vector<ListedEntry> entries;
};

// Names starting with `head` (matched case-insensitively by the OS: compare exactly afterwards).
Listing list_endpoints(const Handshake& handshake, const NamingOptions& naming,
                       const std::string& head);

// WIN-3: does a pipe of this path exist? Asked with WaitNamedPipe (1 ms), never by connecting.
bool pipe_exists(const std::string& path);

DiscoveryResult discover_windows(const Handshake& handshake, const DiscoveryOptions& options,
                                 ListingSource& used);

}  // namespace pipecheck::detail

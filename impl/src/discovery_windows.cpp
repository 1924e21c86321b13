// Windows discovery (WIN-1..4, DISC-*): list `\\.\pipe\` where the OS can, else the markers.
#include <algorithm>
#include <memory>
#include <vector>

#include "discovery_legacy.hpp"
#include "discovery_result.hpp"
#include "endpoint_marker.hpp"
#include "naming_platform.hpp"
#include "pipecheck/discovery.hpp"
#include "pipecheck/identity.hpp"
#include "windows_discovery.hpp"
#include "windows_handle.hpp"

namespace pipecheck {

namespace detail {

namespace {

struct FindCloser {
  void operator()(HANDLE find) const { ::FindClose(find); }
};
using UniqueFind = std::unique_ptr<void, FindCloser>;

// Lists `pattern`; false with `error` set when the listing itself fails.
bool list_matching(const std::string& pattern, std::vector<ListedEntry>& out, DWORD& error) {
  WIN32_FIND_DATAW data{};
  UniqueFind find(::FindFirstFileExW(to_wide(pattern).c_str(), FindExInfoBasic, &data,
                                     FindExSearchNameMatch, nullptr, 0));
  if (find.get() == INVALID_HANDLE_VALUE) {
    find.release();
    error = ::GetLastError();
    // No entry matched: an empty listing. Windows says ERROR_FILE_NOT_FOUND; Wine says
    // ERROR_NO_MORE_FILES when the matching entries went away while it read the directory
    // (measured: a reclaimer listing while another removes a stale marker, LSN-6).
    return error == ERROR_FILE_NOT_FOUND || error == ERROR_NO_MORE_FILES;
  }
  do {
    out.push_back({to_utf8(data.cFileName), data.dwFileAttributes});
  } while (::FindNextFileW(find.get(), &data));
  error = ::GetLastError();
  return error == ERROR_NO_MORE_FILES;
}

}  // namespace

std::string_view to_string(ListingSource source) {
  switch (source) {
    case ListingSource::pipe_enumeration:
      return "pipe_enumeration";
    case ListingSource::markers:
      return "markers";
  }
  return "unknown";
}

bool pipe_exists(const std::string& path) {
  if (::WaitNamedPipeW(to_wide(path).c_str(), 1)) return true;
  return ::GetLastError() != ERROR_FILE_NOT_FOUND;  // ERROR_SEM_TIMEOUT: all instances busy
}

Listing list_endpoints(const Handshake& handshake, const NamingOptions& naming,
                       const std::string& head) {
  Listing listing;
  DWORD error = 0;
  if (list_matching(std::string(kPipeNamespace) + head + "*", listing.entries, error)) {
    return listing;
  }
  // WIN-3: Wine answers ERROR_BAD_DEV_TYPE (66); any failure to list pipes falls back.
  listing.source = ListingSource::markers;
  listing.entries.clear();
  listing.marker_directory = marker_directory(handshake, naming);
  if (!marker_directory_exists(listing.marker_directory)) {
    listing.directory_missing = true;
    return listing;
  }
  if (!list_matching(listing.marker_directory + "\\" + head + "*", listing.entries, error)) {
    throw_win_error("FindFirstFileExW", "marker directory '" + listing.marker_directory + "'",
                    error);
  }
  return listing;
}

DiscoveryResult discover_windows(const Handshake& handshake, const DiscoveryOptions& options,
                                 ListingSource& used) {
  DiscoveryResult result;
  const std::string prefix =
      options.naming.prefix.empty() ? handshake.default_prefix : options.naming.prefix;
  const std::string ours = prefix + "-" + handshake.hash + "-";
  // Validates the prefix (NAME-2) the same way listening does.
  (void)endpoint_for(handshake, 1, options.naming);

  const Listing listing = list_endpoints(handshake, options.naming, ours);
  used = listing.source;
  result.method =
      used == ListingSource::markers ? DiscoveryMethod::markers : DiscoveryMethod::listing;
  for (const ListedEntry& entry : listing.entries) {
    const std::string& name = entry.name;
    // The file system matched case-insensitively; names are compared exactly (DISC-3).
    if (!name.starts_with(ours)) continue;
    auto reject = [&](Rejection reason, std::string detail) {
      result.rejected.push_back({name, reason, std::move(detail)});
    };
    const auto pid = detail::endpoint_pid_or_reject(name, prefix, handshake.hash, result);
    if (!pid) continue;
    const std::string pipe_path = std::string(kPipeNamespace) + name;
    if (used == ListingSource::markers) {
      if ((entry.attributes & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT)) != 0) {
        reject(Rejection::not_a_socket, (entry.attributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0
                                            ? "a reparse point, not a marker file (never followed)"
                                            : "a directory, not a marker file");
        continue;
      }
      const std::string marker_path = listing.marker_directory + "\\" + name;
      std::string why_stale;
      if (!process_alive(*pid)) {
        why_stale = "PID " + std::to_string(*pid) + " is not running";
      } else if (!pipe_exists(pipe_path)) {
        why_stale = "marker without a pipe (" + pipe_path + " does not exist)";
      }
      if (!why_stale.empty()) {
        reject(Rejection::stale, why_stale);
        // DISC-7: a marker that a live listener holds cannot be deleted (no FILE_SHARE_DELETE).
        if (options.reclaim_stale && ::DeleteFileW(to_wide(marker_path).c_str())) {
          result.reclaimed.push_back(name);
        }
        continue;
      }
    } else if (!process_alive(*pid)) {
      reject(Rejection::stale, "PID " + std::to_string(*pid) + " is not running");
      continue;
    }
    result.live.push_back(Endpoint{name, std::string(), pipe_path, *pid});
  }

  return detail::in_result_order(std::move(result));
}

}  // namespace detail

DiscoveryResult discover(const Handshake& handshake, const DiscoveryOptions& options) {
  if (options.method == DiscoveryMethod::legacy) return detail::discover_legacy(handshake, options);
  detail::ListingSource used;
  return detail::discover_windows(handshake, options, used);
}

}  // namespace pipecheck

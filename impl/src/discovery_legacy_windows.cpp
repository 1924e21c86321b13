// Legacy discovery candidates on Windows: endpoints from the pipe namespace or, where it cannot
// be listed, the marker directory (WIN-3) — whatever their hash.
#include "discovery_legacy.hpp"
#include "pipecheck/identity.hpp"
#include "pipecheck/naming.hpp"
#include "windows_discovery.hpp"

namespace pipecheck::detail {

std::vector<LegacyCandidate> list_legacy_candidates(const Handshake& handshake,
                                                    const DiscoveryOptions& options,
                                                    const std::string& prefix) {
  (void)endpoint_for(handshake, 1, options.naming);  // validates the prefix (NAME-2)
  std::vector<LegacyCandidate> candidates;
  const Listing listing = list_endpoints(handshake, options.naming, prefix + "-");
  for (const ListedEntry& entry : listing.entries) {
    const auto pid = legacy_candidate_pid(entry.name, prefix);
    if (!pid || !process_alive(*pid)) continue;
    if (listing.source == ListingSource::markers &&
        (entry.attributes & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT)) != 0) {
      continue;
    }
    candidates.push_back({*pid, entry.name, std::string(), "\\\\.\\pipe\\" + entry.name});
  }
  return candidates;
}

}  // namespace pipecheck::detail

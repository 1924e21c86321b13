// Legacy discovery, platform-neutral part: probe the candidates until one accepts our handshake.
#include <algorithm>
#include <chrono>

#include "discovery_legacy.hpp"
#include "pipecheck/dial.hpp"
#include "pipecheck/error.hpp"
#include "pipecheck/wire_handshake.hpp"

namespace pipecheck::detail {

namespace {

// MSBuild clamps its connect timeout to 50 ms on Unix; the handshake reply gets longer because a
// busy server may take a while to be scheduled.
constexpr std::chrono::milliseconds kConnectTimeout{50};
constexpr std::chrono::milliseconds kHandshakeTimeout{1000};

}  // namespace

std::optional<ProcessId> legacy_candidate_pid(const std::string& name, const std::string& prefix) {
  if (!name.starts_with(prefix + "-")) return std::nullopt;
  const auto last_dash = name.rfind('-');
  if (last_dash <= prefix.size()) return std::nullopt;
  const std::string middle = name.substr(prefix.size() + 1, last_dash - prefix.size() - 1);
  return parse_endpoint_pid(name, prefix, middle);
}

DiscoveryResult discover_legacy(const Handshake& handshake, const DiscoveryOptions& options) {
  if (options.reclaim_stale) {
    throw Error(Errc::unsupported,
                "discovery option reclaim_stale: not available with the legacy method "
                "(it probes live processes only); use the listing method to reclaim");
  }
  const std::string prefix =
      options.naming.prefix.empty() ? handshake.default_prefix : options.naming.prefix;
  std::vector<LegacyCandidate> candidates = list_legacy_candidates(handshake, options, prefix);
  // Like a process list: in PID order.
  std::sort(candidates.begin(), candidates.end(),
            [](const LegacyCandidate& a, const LegacyCandidate& b) {
              return a.pid != b.pid ? a.pid < b.pid : a.name < b.name;
            });

  DiscoveryResult result;
  result.method = DiscoveryMethod::legacy;
  for (const LegacyCandidate& candidate : candidates) {
    DialResult dialed = dial_once(candidate.path, kConnectTimeout);
    if (dialed.outcome != DialOutcome::ok) continue;
    if (client_handshake(*dialed.connection, handshake.hash, kHandshakeTimeout).accepted) {
      result.live.push_back(
          Endpoint{candidate.name, candidate.directory, candidate.path, candidate.pid});
      break;
    }
  }
  return result;
}

}  // namespace pipecheck::detail

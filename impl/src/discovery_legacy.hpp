// discovery_legacy.hpp — the legacy discovery baseline (DiscoveryMethod::legacy), private.
//
// The O(N) baseline that hash-named listing replaces: MSBuild lists every `dotnet` process and
// connects to each one's pipe. Here the candidates are every endpoint of ours named
// `{prefix}-{anything}-{pid}` with a live PID, whatever its hash; the prober connects to each in
// PID order and runs the wire handshake until one accepts. discover() dispatches here:
//   auto found = pipecheck::discover(hs, {.method = pipecheck::DiscoveryMethod::legacy});
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pipecheck/discovery.hpp"

namespace pipecheck::detail {

DiscoveryResult discover_legacy(const Handshake& handshake, const DiscoveryOptions& options);

struct LegacyCandidate {
  ProcessId pid = 0;
  std::string name;
  std::string directory;  // as in Endpoint (empty on Windows)
  std::string path;
};

// The PID of `{prefix}-{anything}-{pid}` with a strictly valid PID (NAME-4), whatever the middle.
std::optional<ProcessId> legacy_candidate_pid(const std::string& name, const std::string& prefix);

// Platform part: every endpoint of ours under `prefix`, of any hash, with a live PID.
std::vector<LegacyCandidate> list_legacy_candidates(const Handshake& handshake,
                                                    const DiscoveryOptions& options,
                                                    const std::string& prefix);

}  // namespace pipecheck::detail

#include "pipecheck/discovery.hpp"

#include <algorithm>

#include "discovery_result.hpp"
#include "pipecheck/identity.hpp"
#include "pipecheck/naming.hpp"

namespace pipecheck {

std::string_view to_string(Rejection reason) {
  switch (reason) {
    case Rejection::malformed_name:
      return "malformed_name";
    case Rejection::not_a_socket:
      return "not_a_socket";
    case Rejection::foreign_owner:
      return "foreign_owner";
    case Rejection::stale:
      return "stale";
  }
  return "unknown";
}

std::string_view to_string(DiscoveryMethod method) {
  switch (method) {
    case DiscoveryMethod::listing:
      return "listing";
    case DiscoveryMethod::markers:
      return "markers";
    case DiscoveryMethod::legacy:
      return "legacy";
  }
  return "listing";
}

namespace detail {

DiscoveryResult in_result_order(DiscoveryResult result) {
  std::sort(result.live.begin(), result.live.end(),
            [](const Endpoint& a, const Endpoint& b) { return a.pid < b.pid; });
  result.live.erase(
      std::unique(result.live.begin(), result.live.end(),
                  [](const Endpoint& a, const Endpoint& b) { return a.pid == b.pid; }),
      result.live.end());
  std::sort(result.rejected.begin(), result.rejected.end(),
            [](const RejectedEntry& a, const RejectedEntry& b) { return a.name < b.name; });
  std::sort(result.reclaimed.begin(), result.reclaimed.end());
  return result;
}

std::optional<ProcessId> endpoint_pid_or_reject(const std::string& name, const std::string& prefix,
                                                const std::string& hash, DiscoveryResult& result) {
  const auto pid = parse_endpoint_pid(name, prefix, hash);
  if (!pid) {
    const std::size_t pid_start = prefix.size() + 1 + hash.size() + 1;
    result.rejected.push_back({name, Rejection::malformed_name,
                               "PID part \"" + name.substr(std::min(pid_start, name.size())) +
                                   "\" is not a decimal PID without sign or leading zero, 1.." +
                                   std::to_string(max_process_id()) + " (NAME-4)"});
  }
  return pid;
}

}  // namespace detail

}  // namespace pipecheck

#include "pipecheck/discovery.hpp"

#include <algorithm>

#include "discovery_result.hpp"

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

}  // namespace detail

}  // namespace pipecheck

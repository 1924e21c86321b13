// Private: what every discovery backend shares: the PID check of a listed name (NAME-4) and
// the order of the result (DISC-2).
#pragma once

#include <optional>
#include <string>

#include "pipecheck/discovery.hpp"

namespace pipecheck::detail {

// Live endpoints sorted by PID and unique; rejected entries by name; reclaimed names sorted.
DiscoveryResult in_result_order(DiscoveryResult result);

// The PID of `name` (which starts with "{prefix}-{hash}-"), or nullopt after recording it in
// `result.rejected` as a malformed name that says what a PID must look like.
std::optional<ProcessId> endpoint_pid_or_reject(const std::string& name, const std::string& prefix,
                                                const std::string& hash, DiscoveryResult& result);

}  // namespace pipecheck::detail

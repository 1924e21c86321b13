// Private: the order every discovery backend returns its result in (DISC-2).
#pragma once

#include "pipecheck/discovery.hpp"

namespace pipecheck::detail {

// Live endpoints sorted by PID and unique; rejected entries by name; reclaimed names sorted.
DiscoveryResult in_result_order(DiscoveryResult result);

}  // namespace pipecheck::detail

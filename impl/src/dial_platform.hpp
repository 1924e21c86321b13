// Private: the one platform decision inside dial_with_retry (dial.cpp).
#pragma once

#include <string>

#include "pipecheck/dial.hpp"

namespace pipecheck::detail {

// DIAL-5 retries `busy` everywhere; DIAL-3 adds `refused` by a live endpoint on BSD/macOS.
bool worth_retrying(const DialResult& result, const std::string& path);

}  // namespace pipecheck::detail

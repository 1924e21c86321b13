// canonical_version.hpp — the canonical form of a version field (HASH-2), impl-private: the
// profiles use it and impl/tests/hash_profile_test.cpp checks it directly.
//
//   pipecheck::detail::canonical_version("17.08") == "17.8.0.0"
#pragma once

#include <string>
#include <string_view>

namespace pipecheck::detail {

// Throws Error{Errc::invalid_field} naming the rule a version breaks.
std::string canonical_version(std::string_view version);

}  // namespace pipecheck::detail

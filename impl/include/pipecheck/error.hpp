// pipecheck/error.hpp — the one exception type of the reference implementation.
//
// Configuration and input errors (bad handshake fields, a path over budget, an insecure endpoint
// directory, an address in use) throw pipecheck::Error with a code and a message that names the
// field, the rule and what was expected. Runtime outcomes that callers branch on (dial outcomes,
// accept results) are values, not exceptions.
//
//   try {
//     auto hs = pipecheck::make_handshake("pipecheck", fields);
//   } catch (const pipecheck::Error& e) {
//     if (e.code() == pipecheck::Errc::invalid_field) std::cerr << e.what() << "\n";
//   }
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace pipecheck {

enum class Errc {
  invalid_field,       // a handshake field breaks its rule (the message names field and rule)
  unknown_profile,     // profile name not known
  path_too_long,       // endpoint path does not fit the budget (the message says by how much)
  insecure_directory,  // endpoint directory is a symlink, foreign-owned or has group/other bits
  address_in_use,      // a live endpoint (or a file that is not ours) holds the path
  system_error,        // an OS call failed; the message names the call and the error
  unsupported,         // the platform cannot do this
};

std::string_view to_string(Errc code);

class Error : public std::runtime_error {
 public:
  Error(Errc code, const std::string& message) : std::runtime_error(message), code_(code) {}
  Errc code() const noexcept { return code_; }

 private:
  Errc code_;
};

}  // namespace pipecheck

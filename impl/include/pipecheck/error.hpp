// pipecheck/error.hpp — the one exception type of the reference implementation.
//
// Configuration and input errors (bad handshake fields, a path over budget, an insecure endpoint
// directory, an address in use) throw pipecheck::Error with a code and a message that names the
// field, the rule and what was expected. Runtime outcomes that callers branch on (dial outcomes,
// accept results) are values, not exceptions.
//
// An invalid_field error also names its field in field(); an address_in_use error the PID in
// the endpoint name that holds the address in holder_pid().
//
//   try {
//     auto hs = pipecheck::make_handshake("pipecheck", fields);
//   } catch (const pipecheck::Error& e) {
//     if (e.code() == pipecheck::Errc::invalid_field) std::cerr << e.field() << ": " << e.what();
//   }
#pragma once

#include <cstdint>
#include <optional>
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

  // Errc::invalid_field about `field` ("kind", "prefix", "queue_size", ...).
  static Error bad_field(std::string_view field, const std::string& message);
  // Errc::address_in_use: the endpoint of PID `holder` is in the way.
  static Error in_use_by(std::int64_t holder, const std::string& message);

  Errc code() const noexcept { return code_; }
  const std::string& field() const noexcept { return field_; }  // "" when about no one field
  std::optional<std::int64_t> holder_pid() const noexcept { return holder_pid_; }

 private:
  Errc code_;
  std::string field_;
  std::optional<std::int64_t> holder_pid_;
};

}  // namespace pipecheck

// protocol_error.hpp — an error reply of the agent protocol; the mapping from pipecheck::Error.
//
// Op handlers throw ProtocolError for anything the protocol has a code for; the dispatcher turns it
// (and any pipecheck::Error) into `{"id": .., "ok": false, "error": {...}}`.
//
//   throw ProtocolError::bad_request("arg 'count': expected an integer, got string");
//   throw ProtocolError::invalid_argument("threads", "must be 1..4096, got 0");
//   catch (const pipecheck::Error& e) { reply_error(id, from_impl_error(e)); }
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "pipecheck/error.hpp"

namespace pipecheck::agent {

class ProtocolError : public std::runtime_error {
 public:
  ProtocolError(std::string code, const std::string& message, bool definite = true)
      : std::runtime_error(message), code_(std::move(code)), definite_(definite) {}

  static ProtocolError bad_request(const std::string& message);
  static ProtocolError unsupported(const std::string& message);
  static ProtocolError invalid_argument(const std::string& field, const std::string& message);

  const std::string& code() const { return code_; }
  bool definite() const { return definite_; }
  std::optional<std::string> field;
  std::optional<std::int64_t> pid;

  // The protocol's `error` object.
  nlohmann::json to_json() const;

 private:
  std::string code_;
  bool definite_;
};

// Maps an error of the reference implementation to a protocol error, with the field of an
// invalid_field error and the holder PID of an address_in_use error.
ProtocolError from_impl_error(const pipecheck::Error& error);

}  // namespace pipecheck::agent

// args.hpp — strict reading of a request's `args` object.
//
// Every read names the argument in its error: a wrong JSON type is `bad_request`, a value out of
// its range is `invalid_argument` with `field`. finish() rejects arguments nobody read, so a typo
// in a request is an error instead of a silently ignored option.
//
//   Args args(request["args"]);
//   int threads = args.integer("threads", 1, 1, 4096);
//   HandshakeArgs hs = read_handshake_args(args);
//   args.finish();
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipecheck/hash_profile.hpp"
#include "pipecheck/identity.hpp"
#include "pipecheck/naming.hpp"
#include "protocol_error.hpp"

namespace pipecheck::agent {

class Args {
 public:
  explicit Args(const nlohmann::json& args);

  bool has(const std::string& name) const;
  // The raw value, or nullptr when absent (marks it read).
  const nlohmann::json* raw(const std::string& name);
  std::int64_t integer(const std::string& name, std::int64_t fallback, std::int64_t min,
                       std::int64_t max);
  bool boolean(const std::string& name, bool fallback);
  std::optional<std::string> string(const std::string& name);
  // Throws bad_request naming every argument that was not read.
  void finish() const;

 private:
  const nlohmann::json& args_;
  std::set<std::string> read_;
};

// `{"profile", "fields", "prefix", "root"}` of docs/formats/agent-protocol.md, made into a
// handshake.
struct HandshakeArgs {
  pipecheck::Handshake handshake;
  pipecheck::NamingOptions naming;
};

// Throws ProtocolError (mapped from pipecheck::Error) for a rejected field or profile.
HandshakeArgs read_handshake_args(Args& args);
// The optional `pid` argument; defaults to the agent's own PID.
pipecheck::ProcessId read_pid(Args& args);

// Runs `body` and turns a pipecheck::Error into a ProtocolError naming the field.
template <typename Body>
auto mapping_impl_errors(Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const pipecheck::Error& error) {
    throw from_impl_error(error);
  }
}

}  // namespace pipecheck::agent

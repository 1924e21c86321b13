// pipecheck/wire_handshake.hpp — the wire handshake (WIRE-*): the first exchange on a
// Connection, by which client and server agree they compute the same hash.
//
// One line each way: the client sends "PIPECHECK/1 HELLO {hash}\n"; the server answers
// "PIPECHECK/1 ACCEPT\n" or "PIPECHECK/1 REJECT {reason}\n". Both sides bound every read, and a
// line longer than kMaxWireLine is refused. The hash comes from the hash profile
// (pipecheck/hash_profile.hpp).
//
//   pipecheck::DialResult d = pipecheck::dial_once(ep.path, 1s);
//   if (d.outcome == pipecheck::DialOutcome::ok) {
//     pipecheck::HandshakeResult r = pipecheck::client_handshake(*d.connection, hs.hash, 1s);
//     if (!r.accepted) std::cerr << r.detail << "\n";
//   }
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "pipecheck/connection.hpp"

namespace pipecheck {

// WIRE-1: a handshake line is at most 255 bytes, its '\n' included.
inline constexpr std::size_t kMaxWireLine = 255;

struct HandshakeResult {
  bool accepted = false;
  std::string detail;  // why not: "rejected: hash mismatch", "timeout", "bad reply ..."
};

// Sends the hello carrying `hash` and reads the server's answer.
HandshakeResult client_handshake(Connection& connection, std::string_view hash,
                                 std::chrono::milliseconds timeout);
// Reads the client's hello and answers ACCEPT when it carries `hash`, REJECT otherwise.
HandshakeResult server_handshake(Connection& connection, std::string_view hash,
                                 std::chrono::milliseconds timeout);

}  // namespace pipecheck

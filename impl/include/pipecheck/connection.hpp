// pipecheck/connection.hpp — one connected endpoint (either side) and the connection handshake.
//
// A Connection owns its OS handle (closed on destruction). The wire handshake (WIRE-*) is one
// line each way: the client sends "PIPECHECK/1 HELLO {hash}\n"; the server answers
// "PIPECHECK/1 ACCEPT\n" or "PIPECHECK/1 REJECT {reason}\n". Both sides bound every read.
//
//   pipecheck::DialResult d = pipecheck::dial_once(ep.path, 1s);
//   if (d.outcome == pipecheck::DialOutcome::ok) {
//     auto r = pipecheck::client_handshake(*d.connection, hs.hash, 1s);
//     if (!r.accepted) std::cerr << r.detail << "\n";
//   }
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace pipecheck {

class Connection {
 public:
  struct Impl;
  explicit Connection(std::unique_ptr<Impl> impl);
  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  ~Connection();

  // Writes all bytes or throws Error{system_error}.
  void write_all(std::string_view bytes);
  // Reads one '\n'-terminated line (without the '\n'), at most max_bytes, within timeout.
  // nullopt on timeout, end of stream or an over-long line.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout,
                                       std::size_t max_bytes = 256);
  // True when the peer has closed its end (reads end-of-stream) within timeout.
  bool wait_peer_closed(std::chrono::milliseconds timeout);
  // The peer's user (uid in decimal / SID string) from the OS, if the OS tells.
  std::optional<std::string> peer_user() const;
  void close();

 private:
  std::unique_ptr<Impl> impl_;
};

struct HandshakeResult {
  bool accepted = false;
  std::string detail;  // why not: "rejected: hash mismatch", "timeout", "bad reply ..."
};

HandshakeResult client_handshake(Connection& connection, std::string_view hash,
                                 std::chrono::milliseconds timeout);
// Reads the client's hello and answers ACCEPT when it carries `hash`, REJECT otherwise.
HandshakeResult server_handshake(Connection& connection, std::string_view hash,
                                 std::chrono::milliseconds timeout);

}  // namespace pipecheck

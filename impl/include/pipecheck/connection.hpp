// pipecheck/connection.hpp — one connected endpoint (either side).
//
// A Connection owns its OS handle (closed on destruction) and bounds every read. What goes over
// it first is the wire handshake (pipecheck/wire_handshake.hpp).
//
//   pipecheck::DialResult d = pipecheck::dial_once(ep.path, 1s);
//   if (d.outcome == pipecheck::DialOutcome::ok) {
//     d.connection->write_all("PIPECHECK/1 HELLO " + hs.hash + "\n");
//     std::optional<std::string> reply = d.connection->read_line(1s);
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

}  // namespace pipecheck

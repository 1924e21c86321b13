// WIRE-1/2: the wire handshake over a real socketpair. The input is what the peer sends: the
// server reads it as a client's hello, the client as a server's reply. Neither side may crash,
// block past its bound or accept what is not exactly the expected line.
#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "pipecheck/connection.hpp"
#include "pipecheck/wire_handshake.hpp"
#include "posix_connection.hpp"

namespace {

constexpr std::string_view kHash = "abcdefghijklmnopqrstuvwxyz234567";

struct Pair {
  pipecheck::Connection ours;
  pipecheck::detail::UniqueFd theirs;  // still reads what we send; sends nothing more
};

// A connection whose peer has sent `bytes` and then shut down its sending side.
Pair peer_sent(std::string_view bytes) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) std::abort();
  pipecheck::detail::UniqueFd ours(fds[0]), theirs(fds[1]);
  // Inputs are at most 64 KiB (-max_len): they fit the socket buffer, so this never blocks.
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(theirs.get(), bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(theirs.get(), SHUT_WR);
  return {pipecheck::detail::make_connection(std::move(ours)), std::move(theirs)};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::string_view first_line = bytes.substr(0, bytes.find('\n'));
  const bool complete = bytes.find('\n') != std::string_view::npos;
  {
    Pair server = peer_sent(bytes);
    const auto result =
        pipecheck::server_handshake(server.ours, kHash, std::chrono::milliseconds(50));
    const bool exact = complete && first_line == "PIPECHECK/1 HELLO " + std::string(kHash);
    if (result.accepted != exact) std::abort();
  }
  {
    Pair client = peer_sent(bytes);
    const auto result =
        pipecheck::client_handshake(client.ours, kHash, std::chrono::milliseconds(50));
    if (result.accepted != (complete && first_line == "PIPECHECK/1 ACCEPT")) std::abort();
  }
  return 0;
}

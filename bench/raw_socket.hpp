// raw_socket.hpp — the benchmarks' minimal AF_UNIX client/server calls, with no abstraction.
//
// The raw accept loop is the yardstick the reference listener is compared with, and the raw
// client drives both so the ratio isolates the server side:
//   int fd = bench::raw_listen("/tmp/x/s", 64);
//   int client = bench::raw_connect("/tmp/x/s");   // blocking; -1 on failure
#pragma once

#include <string>

namespace bench {

// socket + bind + listen; throws std::runtime_error naming the call.
int raw_listen(const std::string& path, int backlog);
// socket + blocking connect; the descriptor, or -1 (errno set).
int raw_connect(const std::string& path);
// Writes the WIRE-1 hello and reads one reply line; true when it is ACCEPT.
bool raw_client_handshake(int fd, const std::string& hash);

}  // namespace bench

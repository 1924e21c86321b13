// wire_peer.hpp — the suite as the other side of a wire handshake, over a plain AF_UNIX socket
// (the `wire` suite). POSIX hosts only (wire_peer_posix.cpp); on a Windows host the checks that
// use it skip Windows agents first, and the functions throw (wire_peer_windows.cpp).
//
//   Stream peer = Stream::connect_to(listener_path);
//   peer.write("PIPECHECK/1 HELLO ...\n");
//   std::optional<std::string> answer = peer.read_line(std::chrono::seconds(2));
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace pipecheck::suites {

// A connected stream socket the suite reads and writes with deadlines.
class Stream {
 public:
  explicit Stream(int fd) : fd_(fd) {}
  Stream(Stream&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  ~Stream();

  static Stream connect_to(const std::filesystem::path& path);
  void write(const std::string& bytes);
  // Bytes up to and including '\n'; nullopt (with `eof` set when the peer closed) otherwise.
  std::optional<std::string> read_line(std::chrono::steady_clock::duration bound,
                                       bool* eof = nullptr);
  // True when the peer closes within `bound` (any bytes before that are skipped).
  bool closed_within(std::chrono::steady_clock::duration bound);

 private:
  int fd_;
};

// A listening socket with its descriptor, for the server side of these checks.
struct SuiteServer {
  int fd = -1;
  std::filesystem::path path;
  ~SuiteServer();
};

std::unique_ptr<SuiteServer> suite_server(const std::filesystem::path& path);
std::optional<Stream> accept_within(SuiteServer& server, std::chrono::steady_clock::duration bound);

}  // namespace pipecheck::suites

// POSIX part of wire_peer.hpp: AF_UNIX stream sockets driven with poll() against deadlines.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "support/wire_peer.hpp"

namespace pipecheck::suites {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

Stream::~Stream() {
  if (fd_ >= 0) ::close(fd_);
}

Stream Stream::connect_to(const fs::path& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    throw std::runtime_error("connect(" + path.string() + "): " + std::strerror(errno));
  }
  return Stream(fd);
}

void Stream::write(const std::string& bytes) {
  if (::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) != ssize_t(bytes.size())) {
    throw std::runtime_error(std::string("send: ") + std::strerror(errno));
  }
}

std::optional<std::string> Stream::read_line(Clock::duration bound, bool* eof) {
  const auto deadline = Clock::now() + bound;
  std::string line;
  while (line.size() < 4096) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd ready{fd_, POLLIN, 0};
    if (::poll(&ready, 1, int(left.count())) <= 0) continue;
    char c = 0;
    const ssize_t n = ::recv(fd_, &c, 1, 0);
    if (n <= 0) {
      if (eof) *eof = true;
      return std::nullopt;
    }
    line += c;
    if (c == '\n') return line;
  }
  return std::nullopt;
}

bool Stream::closed_within(Clock::duration bound) {
  bool eof = false;
  const auto deadline = Clock::now() + bound;
  while (!eof && Clock::now() < deadline) read_line(deadline - Clock::now(), &eof);
  return eof;
}

SuiteServer::~SuiteServer() {
  if (fd >= 0) ::close(fd);
}

std::unique_ptr<SuiteServer> suite_server(const fs::path& path) {
  auto server = std::make_unique<SuiteServer>();
  server->path = path;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  server->fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (server->fd < 0 ||
      ::bind(server->fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(server->fd, 4) != 0) {
    throw std::runtime_error("listen on " + path.string() + ": " + std::strerror(errno));
  }
  return server;
}

std::optional<Stream> accept_within(SuiteServer& server, Clock::duration bound) {
  pollfd ready{server.fd, POLLIN, 0};
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(bound).count();
  if (::poll(&ready, 1, int(ms)) <= 0) return std::nullopt;
  const int client = ::accept4(server.fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (client < 0) return std::nullopt;
  return Stream(client);
}

}  // namespace pipecheck::suites

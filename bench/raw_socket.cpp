#include "raw_socket.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace bench {

namespace {

sockaddr_un address_of(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path)
    throw std::runtime_error("socket path too long: " + path);
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  return address;
}

}  // namespace

int raw_listen(const std::string& path, int backlog) {
  const sockaddr_un address = address_of(path);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd, backlog) != 0) {
    const int error = errno;
    ::close(fd);
    throw std::runtime_error("bind/listen " + path + ": " + std::strerror(error));
  }
  return fd;
}

int raw_connect(const std::string& path) {
  const sockaddr_un address = address_of(path);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    const int error = errno;
    ::close(fd);
    errno = error;
    return -1;
  }
  return fd;
}

bool raw_client_handshake(int fd, const std::string& hash) {
  const std::string hello = "PIPECHECK/1 HELLO " + hash + "\n";
  if (::write(fd, hello.data(), hello.size()) != static_cast<ssize_t>(hello.size())) return false;
  std::string reply;
  char c = 0;
  while (reply.size() < 256 && ::read(fd, &c, 1) == 1 && c != '\n') reply.push_back(c);
  return reply == "PIPECHECK/1 ACCEPT";
}

}  // namespace bench

// SuiteListener: see suite_listener.hpp.
#include "support/suite_listener.hpp"

#include "support/host.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace pipecheck::suites {
namespace {

sockaddr_un address_of(const std::filesystem::path& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.native().size() >= sizeof(address.sun_path)) {
    throw std::runtime_error("suite listener path too long for sun_path: " + path.string());
  }
  std::memcpy(address.sun_path, path.c_str(), path.native().size());
  return address;
}

}  // namespace

SuiteListener::SuiteListener(std::filesystem::path path, int backlog) : path_(std::move(path)) {
  const sockaddr_un address = address_of(path_);
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw_os_error("socket", path_);
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    const int saved = errno;
    ::close(fd_);
    errno = saved;
    throw_os_error("bind", path_);
  }
  if (::listen(fd_, backlog) != 0) {
    const int saved = errno;
    ::close(fd_);
    errno = saved;
    throw_os_error("listen", path_);
  }
}

SuiteListener::~SuiteListener() {
  for (int fd : held_) ::close(fd);
  if (fd_ >= 0) ::close(fd_);
}

int SuiteListener::fill() {
  const sockaddr_un address = address_of(path_);
  for (int n = 0; n < 4096; ++n) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) throw_os_error("socket", path_);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0) {
      held_.push_back(fd);
      continue;
    }
    const int saved = errno;
    ::close(fd);
    errno = saved;
    if (saved == EAGAIN) return static_cast<int>(held_.size());
    throw_os_error("connect", path_);
  }
  throw std::runtime_error("connect(" + path_.string() + "): 4096 connects admitted, none busy");
}

}  // namespace pipecheck::suites

// posix_fd.hpp — a move-only owner of one POSIX file descriptor, plus errno formatting.
//
//   pipecheck::detail::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
//   if (!fd) throw_system_error("socket");
//   // closed when fd goes out of scope
#pragma once

#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "pipecheck/error.hpp"

namespace pipecheck::detail {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// "connect: Connection refused" for the call name and an errno value.
inline std::string errno_text(std::string_view call, int error) {
  return std::string(call) + ": " + std::strerror(error);
}

[[noreturn]] inline void throw_system_error(std::string_view call, const std::string& subject,
                                            int error = errno) {
  throw Error(Errc::system_error, errno_text(call, error) + " (" + subject + ")");
}

}  // namespace pipecheck::detail

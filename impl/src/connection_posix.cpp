#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "posix_connection.hpp"

namespace pipecheck {

namespace {

using Clock = std::chrono::steady_clock;

// Milliseconds left until `deadline`, for poll(); never negative.
int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<decltype(left)>(left, 0, 1 << 30));
}

// Waits for input (or hang-up) until the deadline. False on timeout.
bool wait_readable(int fd, Clock::time_point deadline) {
  while (true) {
    pollfd p{fd, POLLIN, 0};
    int n = ::poll(&p, 1, remaining_ms(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return true;  // let the following recv report the error
  }
}

enum class RecvStatus { data, end_of_stream, would_block };

// One non-blocking recv appended to `pending`.
RecvStatus receive_some(int fd, std::string& pending) {
  char buffer[512];
  while (true) {
    ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n > 0) {
      pending.append(buffer, static_cast<std::size_t>(n));
      return RecvStatus::data;
    }
    if (n == 0) return RecvStatus::end_of_stream;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return RecvStatus::would_block;
    return RecvStatus::end_of_stream;  // ECONNRESET and friends: the peer is gone
  }
}

}  // namespace

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

void Connection::write_all(std::string_view bytes) {
  if (!impl_ || !impl_->fd) throw Error(Errc::system_error, "write on a closed connection");
  while (!bytes.empty()) {
    ssize_t n = ::send(impl_->fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(Errc::system_error, detail::errno_text("send", errno));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::optional<std::string> Connection::read_line(std::chrono::milliseconds timeout,
                                                 std::size_t max_bytes) {
  if (!impl_ || !impl_->fd) return std::nullopt;
  const auto deadline = Clock::now() + timeout;
  std::string& pending = impl_->pending;
  while (true) {
    auto newline = pending.find('\n');
    if (newline != std::string::npos) {
      if (newline > max_bytes) return std::nullopt;
      std::string line = pending.substr(0, newline);
      pending.erase(0, newline + 1);
      return line;
    }
    if (pending.size() > max_bytes) return std::nullopt;
    if (!wait_readable(impl_->fd.get(), deadline)) return std::nullopt;
    RecvStatus status = receive_some(impl_->fd.get(), pending);
    if (status == RecvStatus::end_of_stream) return std::nullopt;
  }
}

bool Connection::wait_peer_closed(std::chrono::milliseconds timeout) {
  if (!impl_ || !impl_->fd) return true;
  const auto deadline = Clock::now() + timeout;
  while (true) {
    if (!wait_readable(impl_->fd.get(), deadline)) return false;
    // Data the peer sent before closing is kept for read_line.
    if (receive_some(impl_->fd.get(), impl_->pending) == RecvStatus::end_of_stream) return true;
  }
}

std::optional<std::string> Connection::peer_user() const {
  if (!impl_ || !impl_->fd) return std::nullopt;
  auto uid = detail::peer_uid(impl_->fd.get());
  if (!uid) return std::nullopt;
  return std::to_string(*uid);
}

void Connection::close() {
  if (impl_) impl_->fd.reset();
}

namespace detail {

Connection make_connection(UniqueFd fd) {
  auto impl = std::make_unique<Connection::Impl>();
  impl->fd = std::move(fd);
  return Connection(std::move(impl));
}

std::optional<uid_t> peer_uid(int fd) {
#if defined(__linux__)
  ucred credentials{};
  socklen_t length = sizeof credentials;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) return std::nullopt;
  return credentials.uid;
#else
  uid_t uid = 0;
  gid_t gid = 0;
  if (::getpeereid(fd, &uid, &gid) != 0) return std::nullopt;
  return uid;
#endif
}

std::optional<ProcessId> peer_pid(int fd) {
#if defined(__linux__)
  ucred credentials{};
  socklen_t length = sizeof credentials;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) return std::nullopt;
  if (credentials.pid <= 0) return std::nullopt;
  return credentials.pid;
#elif defined(LOCAL_PEERPID)
  pid_t pid = 0;
  socklen_t length = sizeof pid;
  if (::getsockopt(fd, SOL_LOCAL, LOCAL_PEERPID, &pid, &length) != 0 || pid <= 0)
    return std::nullopt;
  return pid;
#else
  (void)fd;
  return std::nullopt;
#endif
}

}  // namespace detail
}  // namespace pipecheck

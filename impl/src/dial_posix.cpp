#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "dial_platform.hpp"
#include "pipecheck/dial.hpp"
#include "pipecheck/identity.hpp"
#include "posix_connection.hpp"

namespace pipecheck {

namespace {

using Clock = std::chrono::steady_clock;

DialResult failure(DialOutcome outcome, int error, std::string detail) {
  DialResult result;
  result.outcome = outcome;
  result.system_error = error;
  result.detail = std::move(detail);
  return result;
}

// DIAL-2: the errno of a failed connect, classified.
DialResult classify_connect_error(int error, const std::string& path) {
  const std::string detail = detail::errno_text("connect", error) + " (" + path + ")";
  switch (error) {
    case EAGAIN:
      return failure(DialOutcome::busy, error, detail);
    case ENOENT:
      return failure(DialOutcome::absent, error, detail);
    case ECONNREFUSED:
      return failure(DialOutcome::refused, error, detail);
    case EACCES:
    case EPERM:
      return failure(DialOutcome::denied, error, detail);
  }
  return failure(DialOutcome::other, error, detail);
}

// Waits for a connect that is in progress; 0 once connected, else the errno (ETIMEDOUT on timeout).
int finish_connect(int fd, Clock::time_point deadline) {
  while (true) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd p{fd, POLLOUT, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::clamp<decltype(left)>(left, 0, 1 << 30)));
    if (n == 0) return ETIMEDOUT;
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return errno;
    return error;
  }
}

#if !defined(__linux__)
// DIAL-3: BSD/macOS report a full backlog as ECONNREFUSED. The endpoint is worth retrying while
// its socket file exists and the PID in its name ({prefix}-{hash}-{pid}) is alive.
bool refused_by_live_endpoint(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) return false;
  const auto dash = path.rfind('-');
  if (dash == std::string::npos) return false;
  ProcessId pid = 0;
  for (char c : path.substr(dash + 1)) {
    if (c < '0' || c > '9' || pid > max_process_id() / 10) return false;
    pid = pid * 10 + (c - '0');
  }
  return process_alive(pid);
}
#endif

}  // namespace

DialResult dial_once(const std::string& path, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() + 1 > sizeof address.sun_path) {
    return failure(DialOutcome::other, ENAMETOOLONG,
                   "path '" + path + "' is " + std::to_string(path.size()) +
                       " bytes; an AF_UNIX address holds 1 to " +
                       std::to_string(sizeof address.sun_path - 1) + " bytes plus the NUL");
  }
  path.copy(address.sun_path, path.size());

  detail::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return failure(DialOutcome::other, errno, detail::errno_text("socket", errno));

  int error = 0;
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    error = errno;
    if (error == EINPROGRESS || error == EINTR) error = finish_connect(fd.get(), deadline);
  }
  if (error == ETIMEDOUT) {
    return failure(
        DialOutcome::timeout, error,
        "connect: no answer within " + std::to_string(timeout.count()) + " ms (" + path + ")");
  }
  if (error != 0) return classify_connect_error(error, path);

  // SEC-4: a server of another user is not ours to talk to.
  auto server_uid = detail::peer_uid(fd.get());
  if (!server_uid || *server_uid != ::geteuid()) {
    return failure(DialOutcome::denied, 0,
                   "server at " + path + " runs as uid " +
                       (server_uid ? std::to_string(*server_uid) : std::string("(unknown)")) +
                       ", not our uid " + std::to_string(::geteuid()) + "; connection dropped");
  }

  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
    return failure(DialOutcome::other, errno, detail::errno_text("fcntl", errno));
  }
  DialResult result;
  result.outcome = DialOutcome::ok;
  result.connection = detail::make_connection(std::move(fd));
  return result;
}

namespace detail {

bool worth_retrying(const DialResult& result, [[maybe_unused]] const std::string& path) {
  if (result.outcome == DialOutcome::busy) return true;
#if !defined(__linux__)
  if (result.outcome == DialOutcome::refused) return refused_by_live_endpoint(path);
#endif
  return false;
}

}  // namespace detail

}  // namespace pipecheck

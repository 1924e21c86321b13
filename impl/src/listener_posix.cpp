#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <mutex>

#include "endpoint_directory.hpp"
#include "pipecheck/dial.hpp"
#include "pipecheck/identity.hpp"
#include "pipecheck/listener.hpp"
#include "posix_connection.hpp"

namespace pipecheck {

namespace {

// How long close() waits for in-flight accept() calls to leave before it closes the descriptors
// they poll on. They leave within microseconds of the wake-up; past this bound the descriptors
// are closed by the last reference instead (never under a poller: fd reuse would be a race).
constexpr auto kDrainBound = std::chrono::seconds(5);

void set_flag(int fd, int flag, const std::string& subject) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | flag) != 0) {
    detail::throw_system_error("fcntl", subject);
  }
}

AcceptResult accept_status(AcceptStatus status, std::string detail = {}) {
  AcceptResult result;
  result.status = status;
  result.detail = std::move(detail);
  return result;
}

// One connect to what is at `path`: the outcome and, when it connected, the PID the kernel names
// for whoever listens there (peer credentials; LSN-6 names the holder). One connect only: each
// probe takes a backlog slot until the holder accepts it.
struct Probe {
  DialOutcome outcome = DialOutcome::other;
  std::optional<ProcessId> holder;
};

Probe probe(const std::string& path) {
  Probe result;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() + 1 > sizeof address.sun_path) return result;
  path.copy(address.sun_path, path.size());
  detail::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return result;
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
    result.outcome = DialOutcome::ok;
    result.holder = detail::peer_pid(fd.get());
    return result;
  }
  switch (errno) {
    case ENOENT:
      result.outcome = DialOutcome::absent;
      break;
    case ECONNREFUSED:
      result.outcome = DialOutcome::refused;
      break;
    case EAGAIN:
    case EINPROGRESS:  // a listener that has not taken it yet: live
      result.outcome = DialOutcome::busy;
      break;
  }
  return result;
}

}  // namespace

struct Listener::Impl {
  Endpoint endpoint;
  detail::UniqueFd directory_fd;
  detail::UniqueFd listen_fd;  // non-blocking: accepting threads race for each connection
  detail::UniqueFd wake_read;  // becomes readable for good when close() starts
  detail::UniqueFd wake_write;
  struct stat bound {};      // the socket file this listener created (LSN-5)
  std::string private_name;  // where it was bound before being published under its name
  bool private_created = false;
  bool file_created = false;

  std::mutex mutex;
  std::condition_variable changed;
  int in_flight = 0;  // accept() calls currently using the descriptors
  bool closing = false;
  bool torn_down = false;

  void create(const Handshake& handshake, const ListenOptions& options);
  void bind_private_name();
  void publish();
  void remove_private_name();
  void reclaim_existing();
  void remove_socket_file();
  AcceptResult accept_one();
  void close();
};

void Listener::Impl::create(const Handshake& handshake, const ListenOptions& options) {
  endpoint =
      endpoint_for(handshake, options.pid != 0 ? options.pid : current_pid(), options.naming);
  directory_fd =
      std::move(detail::open_endpoint_directory(endpoint.directory, resolve_root(options.naming),
                                                detail::Create::yes)
                    ->fd);
  if (endpoint.path.size() + 1 > sizeof(sockaddr_un::sun_path)) {
    throw Error(Errc::path_too_long,
                "endpoint path '" + endpoint.path + "' is " +
                    std::to_string(endpoint.path.size() + 1 - sizeof(sockaddr_un::sun_path)) +
                    " bytes over this system's AF_UNIX address size");
  }

  listen_fd.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listen_fd) detail::throw_system_error("socket", endpoint.path);
  // Linux gives the socket file the socket inode's mode at bind: 0600 from the first instant.
  // The chmod after bind makes it so elsewhere (SEC-3).
  (void)::fchmod(listen_fd.get(), 0600);

  // LSN-6: the endpoint appears under its name only once it listens. A name that exists but
  // refuses connections is then never one of ours between bind and listen.
  bind_private_name();
  if (::fchmodat(directory_fd.get(), private_name.c_str(), 0600, 0) != 0) {
    detail::throw_system_error("chmod", endpoint.path);
  }
  const int queue = std::max(options.queue_size, 1);  // LSN-1: 0 and 1 are the legacy slot
  if (::listen(listen_fd.get(), queue) != 0) detail::throw_system_error("listen", endpoint.path);
  set_flag(listen_fd.get(), O_NONBLOCK, endpoint.path);
  publish();

  int wake[2];
  if (::pipe2(wake, O_CLOEXEC) != 0) detail::throw_system_error("pipe2", endpoint.path);
  wake_read.reset(wake[0]);
  wake_write.reset(wake[1]);
}

// Binds to a name only this process uses, in the endpoint directory (so link() can publish it):
// `.{pid}-{n}`, shorter than any endpoint name, invisible to discovery (no `{prefix}-{hash}-`).
void Listener::Impl::bind_private_name() {
  static std::atomic<unsigned> counter{0};
  for (int attempt = 0; attempt < 16; ++attempt) {
    private_name = "." + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    const std::string path = endpoint.directory + "/" + private_name;
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.size() + 1 > sizeof address.sun_path) {
      throw Error(Errc::path_too_long, "private name '" + path + "' does not fit AF_UNIX");
    }
    path.copy(address.sun_path, path.size());
    if (::bind(listen_fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
      if (::fstatat(directory_fd.get(), private_name.c_str(), &bound, AT_SYMLINK_NOFOLLOW) != 0) {
        detail::throw_system_error("fstatat", path);
      }
      private_created = true;
      if (!S_ISSOCK(bound.st_mode) || bound.st_uid != ::geteuid()) {
        private_created = false;
        throw Error(Errc::system_error, "'" + path + "' was replaced right after bind (now a " +
                                            detail::file_kind(bound.st_mode) + " of uid " +
                                            std::to_string(bound.st_uid) + ")");
      }
      return;
    }
    // A leftover of an earlier process with our PID: not ours to delete, take the next name.
    if (errno != EADDRINUSE) detail::throw_system_error("bind", path);
  }
  throw Error(Errc::system_error, "bind: no free private name in '" + endpoint.directory + "'");
}

// link() fails if the name exists: of concurrent listeners exactly one publishes.
void Listener::Impl::publish() {
  const detail::DirectoryLock lock(directory_fd.get());
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (::linkat(directory_fd.get(), private_name.c_str(), directory_fd.get(),
                 endpoint.name.c_str(), 0) == 0) {
      file_created = true;
      remove_private_name();
      return;
    }
    if (errno != EEXIST) detail::throw_system_error("link", endpoint.path);
    if (attempt == 0) reclaim_existing();
  }
  throw Error::in_use_by(endpoint.pid, "endpoint '" + endpoint.path +
                                           "' was taken again while reclaiming it (PID " +
                                           std::to_string(endpoint.pid) + ")");
}

void Listener::Impl::remove_private_name() {
  if (private_created && detail::same_socket_of_ours(directory_fd.get(), private_name, bound)) {
    ::unlinkat(directory_fd.get(), private_name.c_str(), 0);
  }
  private_created = false;
}

// LSN-6: an existing path is removed only if it is our socket and stale: nobody listens on it
// and its PID is dead (or is ours: then the file is a dead predecessor's, since we publish only
// listening sockets). Called with the directory lock held; re-verified just before the unlink.
void Listener::Impl::reclaim_existing() {
  const std::string& name = endpoint.name;
  struct stat existing {};
  if (::fstatat(directory_fd.get(), name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return;  // gone meanwhile: link again
    detail::throw_system_error("fstatat", endpoint.path);
  }
  const std::string held = "address in use: '" + endpoint.path + "' ";
  if (!S_ISSOCK(existing.st_mode) || existing.st_uid != ::geteuid()) {
    throw Error::in_use_by(endpoint.pid, held + "(PID " + std::to_string(endpoint.pid) + ") is a " +
                                             detail::file_kind(existing.st_mode) +
                                             " owned by uid " + std::to_string(existing.st_uid) +
                                             ", not a socket of ours; left untouched");
  }
  const Probe found = probe(endpoint.path);
  if (found.outcome == DialOutcome::absent) return;
  if (found.outcome == DialOutcome::ok) {
    const ProcessId holder = found.holder.value_or(endpoint.pid);
    throw Error::in_use_by(holder, held + "is held by a live listener, PID " +
                                       std::to_string(holder) + " (the name says PID " +
                                       std::to_string(endpoint.pid) + ")");
  }
  const bool pid_alive = process_alive(endpoint.pid);
  const bool ours = endpoint.pid == current_pid();
  const bool stale = found.outcome == DialOutcome::refused && (!pid_alive || ours);
  if (!stale) {
    throw Error::in_use_by(endpoint.pid,
                           held + "(PID " + std::to_string(endpoint.pid) +
                               ") is not ours to reclaim: PID " + std::to_string(endpoint.pid) +
                               (pid_alive ? " is alive" : " is not running") + "; connect gave " +
                               std::string(to_string(found.outcome)));
  }
  if (detail::same_socket_of_ours(directory_fd.get(), name, existing)) {
    ::unlinkat(directory_fd.get(), name.c_str(), 0);
  }
}

void Listener::Impl::remove_socket_file() {
  if (file_created) {
    const detail::DirectoryLock lock(directory_fd.get());
    if (detail::same_socket_of_ours(directory_fd.get(), endpoint.name, bound)) {
      ::unlinkat(directory_fd.get(), endpoint.name.c_str(), 0);
    }
  }
  file_created = false;
  remove_private_name();
}

AcceptResult Listener::Impl::accept_one() {
  while (true) {
    pollfd fds[2] = {{listen_fd.get(), POLLIN, 0}, {wake_read.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return accept_status(AcceptStatus::error, detail::errno_text("poll", errno));
    }
    if (fds[1].revents != 0) return accept_status(AcceptStatus::closed, "listener closed");
    if (fds[0].revents & (POLLERR | POLLNVAL)) {
      return accept_status(AcceptStatus::error, "poll: error condition on the listening socket");
    }
    if ((fds[0].revents & POLLIN) == 0) continue;

    detail::UniqueFd peer(::accept4(listen_fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!peer) {
      // Another thread took it, or the client left before we got to it (LSN-12).
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED || errno == EINTR ||
          errno == EPROTO) {
        continue;
      }
      const int error = errno;
      AcceptResult failed = accept_status(AcceptStatus::error, detail::errno_text("accept", error));
      failed.system_error = error;
      return failed;
    }
    // SEC-4: a client of another user is dropped.
    auto uid = detail::peer_uid(peer.get());
    if (!uid || *uid != ::geteuid()) {
      return accept_status(AcceptStatus::denied,
                           "client uid " + (uid ? std::to_string(*uid) : std::string("(unknown)")) +
                               " is not our uid " + std::to_string(::geteuid()) +
                               "; connection dropped");
    }
    AcceptResult result = accept_status(AcceptStatus::accepted);
    result.connection = detail::make_connection(std::move(peer));
    return result;
  }
}

void Listener::Impl::close() {
  std::unique_lock lock(mutex);
  if (closing) {
    changed.wait(lock, [&] { return torn_down; });
    return;
  }
  closing = true;
  lock.unlock();

  // Never read back: the pipe stays readable, so every poller wakes, now and later (LSN-4).
  const char byte = 1;
  while (::write(wake_write.get(), &byte, 1) < 0 && errno == EINTR) {
  }
  remove_socket_file();

  lock.lock();
  if (changed.wait_for(lock, kDrainBound, [&] { return in_flight == 0; })) {
    listen_fd.reset();
    wake_read.reset();
    wake_write.reset();
    directory_fd.reset();
  }
  torn_down = true;
  changed.notify_all();
}

Listener::Listener(const Handshake& handshake, const ListenOptions& options)
    : impl_(std::make_shared<Impl>()) {
  try {
    impl_->create(handshake, options);
  } catch (...) {
    impl_->remove_socket_file();
    throw;
  }
}

Listener::Listener(Listener&&) noexcept = default;

Listener& Listener::operator=(Listener&& other) noexcept {
  if (this != &other) {
    close();
    impl_ = std::move(other.impl_);
  }
  return *this;
}

Listener::~Listener() {
  close();
}

AcceptResult Listener::accept() {
  const std::shared_ptr<Impl> impl = impl_;  // keeps the descriptors alive past a slow close()
  if (!impl) return accept_status(AcceptStatus::closed, "listener moved from");
  {
    std::lock_guard lock(impl->mutex);
    if (impl->closing) return accept_status(AcceptStatus::closed, "listener closed");
    ++impl->in_flight;
  }
  struct LeaveOnExit {
    Impl& impl;
    ~LeaveOnExit() {
      std::lock_guard lock(impl.mutex);
      if (--impl.in_flight == 0) impl.changed.notify_all();
    }
  } leave{*impl};
  return impl->accept_one();
}

void Listener::close() {
  if (impl_) impl_->close();
}

bool Listener::closed() const {
  if (!impl_) return true;
  std::lock_guard lock(impl_->mutex);
  return impl_->closing;
}

const Endpoint& Listener::endpoint() const {
  if (!impl_) throw Error(Errc::system_error, "endpoint() of a moved-from Listener");
  return impl_->endpoint;
}

}  // namespace pipecheck

// posix_test_support.hpp — scratch directories, handshakes and process helpers for the POSIX
// runtime tests (listener, dial, connection, discovery, security).
//
//   pipecheck::test_support::ScratchRoot root;                 // mkdtemp, removed at the end
//   auto hs = pipecheck::test_support::unique_handshake();     // a hash no other test uses
//   pipecheck::Listener lsn(hs, root.listen(/*queue_size=*/16));
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "pipecheck/dial.hpp"
#include "pipecheck/discovery.hpp"
#include "pipecheck/hash_profile.hpp"
#include "pipecheck/listener.hpp"
#include "pipecheck/naming.hpp"
#include "posix_fd.hpp"

namespace pipecheck::test_support {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// The unprivileged uid the root-only tests switch to (Debian's `nobody`).
inline constexpr uid_t kOtherUid = 65534;

// A private mkdtemp directory under /tmp (short, to stay inside the 104-byte path budget),
// removed with everything in it when the test ends. remove_all never follows symlinks.
class ScratchRoot {
 public:
  ScratchRoot() {
    char name[] = "/tmp/pch1-XXXXXX";
    if (::mkdtemp(name) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = name;
  }
  ~ScratchRoot() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchRoot(const ScratchRoot&) = delete;
  ScratchRoot& operator=(const ScratchRoot&) = delete;

  const std::string& path() const { return path_; }

  // Options rooted here (spelled out: designated initializers that skip members warn).
  NamingOptions naming() const {
    NamingOptions options;
    options.root = path_;
    return options;
  }
  ListenOptions listen(int queue_size = 4, ProcessId pid = 0) const {
    ListenOptions options;
    options.queue_size = queue_size;
    options.naming = naming();
    options.pid = pid;
    return options;
  }
  DiscoveryOptions discovery(bool reclaim_stale = false) const {
    DiscoveryOptions options;
    options.naming = naming();
    options.reclaim_stale = reclaim_stale;
    return options;
  }

 private:
  std::string path_;
};

// A pipecheck/1 handshake whose hash no other test in this run shares.
inline Handshake unique_handshake(const std::string& profile = "pipecheck") {
  static std::atomic<int> counter{0};
  const std::string salt = std::to_string(::getpid()) + "-" + std::to_string(counter++);
  if (profile == "msbuild") {
    return make_handshake("msbuild", {{"options", "8"},
                                      {"salt", std::to_string(counter * 7919)},
                                      {"version", "17.8"},
                                      {"session", "0"}});
  }
  // An explicit arch: `*` is refused where HASH-4 has no name for the machine (the s390x leg).
  return make_handshake(profile,
                        {{"kind", "worker"}, {"version", "1.0"}, {"arch", "x64"}, {"salt", salt}});
}

inline RetryPolicy retry_until(std::chrono::milliseconds deadline) {
  RetryPolicy policy;
  policy.deadline = deadline;
  return policy;
}

// A PID that is certainly not running: a child that has exited and been reaped.
inline ProcessId dead_pid() {
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return child;
}

inline sockaddr_un unix_address(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() + 1 > sizeof address.sun_path) throw std::runtime_error("path too long: " + path);
  path.copy(address.sun_path, path.size());
  return address;
}

// A socket file at `path` with nobody listening on it (connect is refused). The file stays
// after the descriptor is closed.
inline void make_unlistened_socket_file(const std::string& path) {
  detail::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un address = unix_address(path);
  if (!fd || ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    throw std::runtime_error("bind " + path + " failed");
  }
}

inline int count_open_fds() {
  int count = 0;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  while (::readdir(dir) != nullptr) ++count;
  ::closedir(dir);
  return count;
}

inline mode_t permission_bits(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return 0xffff;
  return st.st_mode & 07777;
}

inline bool path_exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// Forks a child that runs `body` (async-signal-safe calls only: the parent has threads) and
// _exits with its result. alarm() bounds the child's life, so reap_child's wait is bounded too.
template <typename Body>
pid_t fork_child(Body body) {
  pid_t child = ::fork();
  if (child == 0) {
    ::alarm(10);
    ::_exit(body());
  }
  return child;
}

// The child's exit code, or -1 if a signal (e.g. its alarm) ended it.
inline int reap_child(pid_t child) {
  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Reads one byte within the deadline: the synchronisation signal of a forked child.
inline bool read_signal_byte(int fd, std::chrono::milliseconds deadline = 5s) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(deadline.count())) != 1) return false;
  char byte = 0;
  return ::read(fd, &byte, 1) == 1;
}

}  // namespace pipecheck::test_support

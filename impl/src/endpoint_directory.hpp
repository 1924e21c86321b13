// endpoint_directory.hpp — open and vet the directory that holds endpoint sockets (SEC-1/2/5).
//
// Profile `pipecheck` keeps endpoints in a private per-user directory `{root}/{prefix}-{uid}`:
// it must be a real directory (never a symlink), owned by the effective uid, without group or
// other bits, and the listener creates it 0700. Profile `msbuild` keeps endpoints in the shared
// root itself (e.g. sticky, world-writable /tmp), to which the private rule does not apply; its
// entries are vetted one by one instead (never followed, foreign owners are foreign).
//
//   auto dir = pipecheck::detail::open_endpoint_directory(ep.directory, root, Create::yes);
//   ::fstatat(dir->fd.get(), ep.name.c_str(), &st, AT_SYMLINK_NOFOLLOW);
#pragma once

#include <sys/stat.h>
#include <optional>
#include <string>

#include "posix_fd.hpp"

namespace pipecheck::detail {

struct EndpointDirectory {
  UniqueFd fd;  // O_DIRECTORY descriptor: entries are examined relative to it
  std::string path;
  bool is_private = false;  // the per-user directory (SEC-2 applies), not the shared root
};

enum class Create { no, yes };

// `directory` is what endpoint_directory() returned and `root` what resolve_root() returned.
// Missing directory: nullopt with Create::no; with Create::yes the private directory is created
// (0700) and a missing root throws system_error. Insecure: throws Error{insecure_directory}.
std::optional<EndpointDirectory> open_endpoint_directory(const std::string& directory,
                                                         const std::string& root, Create create);

// What an entry is, for messages: "socket", "symlink", "regular file", "directory", "fifo" ...
std::string file_kind(mode_t mode);

// The same file (device and inode) as `expected`, still a socket owned by the effective uid;
// the check before every unlink (SEC-5, LSN-5).
bool same_socket_of_ours(int directory_fd, const std::string& name, const struct stat& expected);

// An exclusive flock() on the endpoint directory for the span of a check-then-change (publish,
// reclaim, remove), so that between our processes "verified, then unlinked" cannot unlink a file
// published in between (SEC-5). Advisory: waits at most 1 s, then goes on unlocked (a holder that
// never lets go costs that second, never a hang).
class DirectoryLock {
 public:
  explicit DirectoryLock(int directory_fd);
  ~DirectoryLock();
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  int fd_ = -1;  // -1: not held
};

}  // namespace pipecheck::detail

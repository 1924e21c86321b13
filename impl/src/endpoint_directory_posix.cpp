#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "endpoint_directory.hpp"

namespace pipecheck::detail {

namespace {

std::string without_trailing_slashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

[[noreturn]] void throw_insecure(const std::string& path, const std::string& problem,
                                 const struct stat& st) {
  throw Error(Errc::insecure_directory,
              "endpoint directory '" + path + "' is insecure (SEC-2): " + problem + "; it is a " +
                  file_kind(st.st_mode) + " owned by uid " + std::to_string(st.st_uid) +
                  " with mode " + octal_mode(st.st_mode) +
                  ", expected a real directory owned by uid " + std::to_string(::geteuid()) +
                  " with no group/other permission bits (0700)");
}

UniqueFd open_directory(const std::string& path) {
  return UniqueFd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

// NAME-5: the root is configuration: a listener refuses one that does not exist as bad input;
// one that is not a directory is refused by everyone.
[[noreturn]] void throw_missing_root(const std::string& root, int error) {
  if (error == ENOENT || error == ENOTDIR) {
    throw Error::bad_field("root", "endpoint root '" + root + "' " +
                                       (error == ENOENT ? "does not exist" : "is not a directory") +
                                       " (NAME-5: expected an existing directory)");
  }
  throw_system_error("open", "endpoint root '" + root + "'", error);
}

// The shared root (msbuild profile): the configured path is opened as given.
std::optional<EndpointDirectory> open_shared_root(const std::string& root, Create create) {
  UniqueFd fd = open_directory(root);
  if (!fd) {
    if (errno == ENOENT && create == Create::no) return std::nullopt;  // nothing there (DISC-9)
    throw_missing_root(root, errno);
  }
  return EndpointDirectory{std::move(fd), root, false};
}

}  // namespace

std::string file_kind(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFSOCK:
      return "socket";
    case S_IFLNK:
      return "symlink";
    case S_IFREG:
      return "regular file";
    case S_IFDIR:
      return "directory";
    case S_IFIFO:
      return "fifo";
    case S_IFCHR:
      return "character device";
    case S_IFBLK:
      return "block device";
  }
  return "file of unknown type";
}

std::optional<EndpointDirectory> open_endpoint_directory(const std::string& directory,
                                                         const std::string& root, Create create) {
  const std::string path = without_trailing_slashes(directory);
  if (path == without_trailing_slashes(root)) return open_shared_root(path, create);

  const auto slash = path.rfind('/');
  const std::string parent = slash == 0 ? "/" : path.substr(0, slash);
  const std::string leaf = path.substr(slash + 1);
  UniqueFd parent_fd = open_directory(parent);
  if (!parent_fd) {
    const int error = errno;
    if (error == ENOENT && create == Create::no) return std::nullopt;  // nothing there (DISC-9)
    if (parent == without_trailing_slashes(root)) throw_missing_root(root, error);
    throw_system_error("open", "parent of endpoint directory '" + path + "'", error);
  }

  bool created = false;
  if (create == Create::yes) {
    created = ::mkdirat(parent_fd.get(), leaf.c_str(), 0700) == 0;
    // EEXIST: someone (maybe not us) has it already; it is vetted below like any existing one.
    if (!created && errno != EEXIST)
      throw_system_error("mkdir", "endpoint directory '" + path + "'");
  }

  UniqueFd fd(
      ::openat(parent_fd.get(), leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    const int error = errno;
    if (error == ENOENT && create == Create::no) return std::nullopt;
    struct stat st {};
    if ((error == ELOOP || error == ENOTDIR) &&
        ::fstatat(parent_fd.get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      throw_insecure(path, "not a real directory", st);
    }
    throw_system_error("open", "endpoint directory '" + path + "'", error);
  }

  // The umask may have narrowed mkdir's mode; SEC-1 wants exactly 0700.
  if (created && ::fchmod(fd.get(), 0700) != 0) {
    throw_system_error("fchmod", "endpoint directory '" + path + "'");
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_system_error("fstat", "endpoint directory '" + path + "'");
  if (st.st_uid != ::geteuid()) throw_insecure(path, "owned by another user", st);
  if ((st.st_mode & 077) != 0) throw_insecure(path, "group or other permission bits are set", st);
  return EndpointDirectory{std::move(fd), path, true};
}

bool same_socket_of_ours(int directory_fd, const std::string& name, const struct stat& expected) {
  struct stat now {};
  if (::fstatat(directory_fd, name.c_str(), &now, AT_SYMLINK_NOFOLLOW) != 0) return false;
  return S_ISSOCK(now.st_mode) && now.st_uid == ::geteuid() && now.st_dev == expected.st_dev &&
         now.st_ino == expected.st_ino;
}

DirectoryLock::DirectoryLock(int directory_fd) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (::flock(directory_fd, LOCK_EX | LOCK_NB) != 0) {
    if ((errno != EWOULDBLOCK && errno != EINTR) || std::chrono::steady_clock::now() > give_up)
      return;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  fd_ = directory_fd;
}

DirectoryLock::~DirectoryLock() {
  if (fd_ >= 0) ::flock(fd_, LOCK_UN);
}

}  // namespace pipecheck::detail

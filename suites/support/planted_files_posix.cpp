#include "planted_files.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <utility>

#include "support/host.hpp"

namespace pipecheck::suites {

PlantedSocket::PlantedSocket(PlantedSocket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

PlantedSocket& PlantedSocket::operator=(PlantedSocket&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

PlantedSocket::~PlantedSocket() {
  close();
}

void PlantedSocket::close() {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

bool PlantedSocket::has_pending_connection() const {
  const int client = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (client < 0) return false;
  ::close(client);
  return true;
}

PlantedSocket plant_socket(const std::filesystem::path& path, bool listening) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string text = path.string();
  if (text.size() >= sizeof(address.sun_path)) {
    throw std::runtime_error("plant_socket(" + text + "): path longer than sun_path");
  }
  std::memcpy(address.sun_path, text.c_str(), text.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_os_error("socket", path);
  PlantedSocket planted(fd, path);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    throw_os_error("bind", path);
  }
  if (listening && ::listen(fd, 16) != 0) throw_os_error("listen", path);
  return planted;
}

void plant_regular_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw_os_error("open", path);
  ::close(fd);
}

void plant_directory(const std::filesystem::path& path) {
  if (::mkdir(path.c_str(), 0700) != 0) throw_os_error("mkdir", path);
}

void plant_fifo(const std::filesystem::path& path) {
  if (::mkfifo(path.c_str(), 0600) != 0) throw_os_error("mkfifo", path);
}

void plant_symlink(const std::filesystem::path& target, const std::filesystem::path& link) {
  if (::symlink(target.c_str(), link.c_str()) != 0) throw_os_error("symlink", link);
}

void change_owner(const std::filesystem::path& path, std::uint32_t uid, std::uint32_t gid) {
  if (::lchown(path.c_str(), uid, gid) != 0) throw_os_error("lchown", path);
}

void change_mode(const std::filesystem::path& path, std::uint32_t mode) {
  if (::chmod(path.c_str(), mode) != 0) throw_os_error("chmod", path);
}

bool can_change_owner() {
  return ::geteuid() == 0;
}

std::int64_t dead_pid() {
  const pid_t child = ::fork();
  if (child < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (child == 0) ::_exit(0);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  // The PID could be reused by now, but only by a process started in the last microseconds;
  // callers re-check with kill(pid, 0) where it matters.
  return child;
}

}  // namespace pipecheck::suites

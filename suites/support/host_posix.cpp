// POSIX part of host.hpp.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <locale.h>
#include <cerrno>
#include <clocale>
#include <cstring>
#include <stdexcept>

#include "support/host.hpp"

namespace pipecheck::suites {

std::int64_t suite_pid() {
  return ::getpid();
}

std::uint32_t suite_uid() {
  return ::geteuid();
}

bool suite_is_root() {
  return ::geteuid() == 0;
}

bool pid_alive(std::int64_t pid) {
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

std::uint32_t file_mode(const std::filesystem::path& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) return 0;
  return info.st_mode & 07777;
}

std::uint64_t file_id(const std::filesystem::path& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) return 0;
  return info.st_ino;
}

bool locale_available(const std::string& name) {
  locale_t locale = ::newlocale(LC_ALL_MASK, name.c_str(), static_cast<locale_t>(0));
  if (locale == static_cast<locale_t>(0)) return false;
  ::freelocale(locale);
  return true;
}

void throw_os_error(const std::string& call, const std::filesystem::path& path) {
  throw std::runtime_error(call + "(" + path.string() + "): " + std::strerror(errno));
}

}  // namespace pipecheck::suites

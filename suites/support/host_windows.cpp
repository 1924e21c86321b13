// Windows part of host.hpp. Uids, modes and inodes are POSIX notions: the checks that use them
// skip Windows agents first, so reaching them here is a defect in a check, said as such.
#include <windows.h>

#include <clocale>
#include <stdexcept>

#include "support/host.hpp"

namespace pipecheck::suites {
namespace {

[[noreturn]] void posix_only(const char* what) {
  throw std::logic_error(std::string(what) +
                         " is a POSIX notion: a check asked for it on a Windows host without "
                         "skipping first");
}

}  // namespace

std::int64_t suite_pid() {
  return ::GetCurrentProcessId();
}

std::uint32_t suite_uid() {
  posix_only("the effective uid");
}

bool suite_is_root() {
  return false;
}

bool pid_alive(std::int64_t pid) {
  HANDLE process = ::OpenProcess(SYNCHRONIZE, FALSE, static_cast<DWORD>(pid));
  if (process == nullptr) return ::GetLastError() == ERROR_ACCESS_DENIED;
  const bool running = ::WaitForSingleObject(process, 0) == WAIT_TIMEOUT;
  ::CloseHandle(process);
  return running;
}

std::uint32_t file_mode(const std::filesystem::path&) {
  posix_only("a file mode");
}

std::uint64_t file_id(const std::filesystem::path&) {
  posix_only("an inode");
}

bool locale_available(const std::string& name) {
  _locale_t locale = ::_create_locale(LC_ALL, name.c_str());
  if (locale == nullptr) return false;
  ::_free_locale(locale);
  return true;
}

}  // namespace pipecheck::suites

// Windows part of planted_files.hpp: AF_UNIX sockets, fifos, modes and owners are planted only by
// checks that skip Windows agents first, so reaching this is a defect in a check, said as such.
// dead_pid() works as on POSIX.
#include <windows.h>

#include <stdexcept>
#include <string>

#include "support/planted_files.hpp"

namespace pipecheck::suites {
namespace {

[[noreturn]] void posix_only(const std::string& what, const std::filesystem::path& path) {
  throw std::logic_error(what + "(" + path.string() +
                         "): planting files is for POSIX hosts; a check asked for it on a "
                         "Windows host without skipping first");
}

}  // namespace

PlantedSocket::PlantedSocket(PlantedSocket&& other) noexcept
    : fd_(other.fd_), path_(std::move(other.path_)) {}
PlantedSocket& PlantedSocket::operator=(PlantedSocket&& other) noexcept {
  path_ = std::move(other.path_);
  return *this;
}
PlantedSocket::~PlantedSocket() = default;
void PlantedSocket::close() {}
bool PlantedSocket::has_pending_connection() const {
  posix_only("accept", path_);
}

PlantedSocket plant_socket(const std::filesystem::path& path, bool) {
  posix_only("socket", path);
}
void plant_regular_file(const std::filesystem::path& path) {
  posix_only("open", path);
}
void plant_directory(const std::filesystem::path& path) {
  posix_only("mkdir", path);
}
void plant_fifo(const std::filesystem::path& path) {
  posix_only("mkfifo", path);
}
void plant_symlink(const std::filesystem::path&, const std::filesystem::path& link) {
  posix_only("symlink", link);
}
void change_owner(const std::filesystem::path& path, std::uint32_t, std::uint32_t) {
  posix_only("lchown", path);
}
void change_mode(const std::filesystem::path& path, std::uint32_t) {
  posix_only("chmod", path);
}
bool can_change_owner() {
  return false;
}
std::int64_t dead_pid() {
  // A copy of this program, created suspended and terminated before it ran: its PID is free once
  // the last handle to it is closed (reused only by a process started in the meantime).
  wchar_t self[MAX_PATH] = {};
  ::GetModuleFileNameW(nullptr, self, MAX_PATH);
  std::wstring command = L"\"" + std::wstring(self) + L"\"";
  STARTUPINFOW startup{};
  startup.cb = sizeof(startup);
  PROCESS_INFORMATION child{};
  if (!::CreateProcessW(self, command.data(), nullptr, nullptr, FALSE,
                        CREATE_SUSPENDED | CREATE_NO_WINDOW, nullptr, nullptr, &startup, &child)) {
    throw std::runtime_error("dead_pid: CreateProcessW: Windows error " +
                             std::to_string(::GetLastError()));
  }
  ::TerminateProcess(child.hProcess, 0);
  ::WaitForSingleObject(child.hProcess, 10'000);
  ::CloseHandle(child.hThread);
  ::CloseHandle(child.hProcess);
  return static_cast<std::int64_t>(child.dwProcessId);
}

}  // namespace pipecheck::suites

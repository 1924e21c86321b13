// planted_files.hpp — files the suite process itself puts into an endpoint directory.
//
// Discovery and listener checks need entries no agent would create: plain AF_UNIX sockets
// (bound, optionally listening, so they look like endpoints), regular files, directories,
// fifos, symlinks, and entries owned by another uid. Everything is created under a scratch root
// the suite made itself, so cleaning up never touches a file that is not ours. POSIX hosts only
// (planted_files_posix.cpp): on a Windows host every function throws, since the checks that plant
// skip Windows agents first (planted_files_windows.cpp).
//
//   pipecheck::suites::PlantedSocket s = pipecheck::suites::plant_socket(dir / name, true);
//   pipecheck::suites::plant_regular_file(dir / other_name);
//   // s closes its descriptor (the file stays until the scratch root is removed)
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace pipecheck::suites {

// A bound AF_UNIX socket file. The descriptor is closed on destruction; the file stays (like a
// crashed server's) unless remove_file() is called.
class PlantedSocket {
 public:
  PlantedSocket() = default;
  PlantedSocket(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  PlantedSocket(PlantedSocket&& other) noexcept;
  PlantedSocket& operator=(PlantedSocket&& other) noexcept;
  PlantedSocket(const PlantedSocket&) = delete;
  PlantedSocket& operator=(const PlantedSocket&) = delete;
  ~PlantedSocket();

  const std::filesystem::path& path() const { return path_; }
  // True when a client connection is waiting in this socket's accept queue (non-blocking).
  bool has_pending_connection() const;
  void close();

 private:
  int fd_ = -1;
  std::filesystem::path path_;
};

// Binds a socket at `path` (which must not exist); `listening` also calls listen() so a connect
// succeeds. Throws std::runtime_error naming the call, the path and the OS error.
PlantedSocket plant_socket(const std::filesystem::path& path, bool listening);

void plant_regular_file(const std::filesystem::path& path);
void plant_directory(const std::filesystem::path& path);
void plant_fifo(const std::filesystem::path& path);
void plant_symlink(const std::filesystem::path& target, const std::filesystem::path& link);
// lchown: never follows a symlink.
void change_owner(const std::filesystem::path& path, std::uint32_t uid, std::uint32_t gid);
void change_mode(const std::filesystem::path& path, std::uint32_t mode);

// True when the process can plant files owned by another uid (it runs as root).
bool can_change_owner();
// A PID that is certainly not alive right now: a child that has exited and been reaped.
std::int64_t dead_pid();

}  // namespace pipecheck::suites

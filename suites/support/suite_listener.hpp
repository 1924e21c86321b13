// suite_listener.hpp — AF_UNIX listeners the suite process itself controls (POSIX).
//
// Dial checks classify outcomes against a listener whose state the suite knows for certain, so
// a server-side fault of the implementation under test is never charged to its client: a listener
// whose backlog the suite has filled (every further connect is `busy`), and one that admits
// connections but never accepts or answers them (a client handshake can only time out).
//
//   pipecheck::suites::SuiteListener full(dir / "full", 0);
//   full.fill();  // connects until the kernel refuses with EAGAIN; holds those connections
//   agent->call("dial", {{"path", full.path().string()}});  // -> busy
#pragma once

#include <filesystem>
#include <vector>

namespace pipecheck::suites {

class SuiteListener {
 public:
  // Binds and listens at `path` (which must not exist) with `backlog`; never accepts.
  // Throws std::runtime_error naming the call, the path and the OS error.
  SuiteListener(std::filesystem::path path, int backlog);
  SuiteListener(const SuiteListener&) = delete;
  SuiteListener& operator=(const SuiteListener&) = delete;
  ~SuiteListener();

  const std::filesystem::path& path() const { return path_; }
  // Connects (non-blocking) until a connect fails with EAGAIN; returns how many were admitted.
  // Throws when any other error occurs or nothing is refused after 4096 connects.
  int fill();

 private:
  int fd_ = -1;
  std::filesystem::path path_;
  std::vector<int> held_;
};

}  // namespace pipecheck::suites

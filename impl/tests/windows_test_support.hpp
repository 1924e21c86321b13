// windows_test_support.hpp — scratch roots, handshakes and small helpers for the Windows runtime
// tests (listener, dial, discovery), which run under Wine in the cross build.
//
//   pipecheck::test_support::ScratchRoot root;                 // a private temp dir, removed at the end
//   auto hs = pipecheck::test_support::unique_handshake();     // a hash no other test uses
//   pipecheck::Listener lsn(hs, root.listen(/*queue_size=*/4));
//   pipecheck::test_support::StartGate go(4);                  // go.arrive_and_wait() in 4 threads
#pragma once

#include <gtest/gtest.h>
#include <windows.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "pipecheck/hash_profile.hpp"
#include "pipecheck/identity.hpp"
#include "pipecheck/listener.hpp"

namespace pipecheck::test_support {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Releases `parties` threads at once. Not std::barrier: libstdc++ 12 builds it on atomic waits,
// which lose wake-ups where there is no futex (mingw-w64 under Wine: a race check hung on one).
class StartGate {
 public:
  explicit StartGate(int parties)
      : left_(parties), open_(::CreateEventW(nullptr, TRUE, FALSE, nullptr)) {
    if (open_ == nullptr) throw std::runtime_error("CreateEventW failed");
  }
  ~StartGate() { ::CloseHandle(open_); }
  StartGate(const StartGate&) = delete;
  StartGate& operator=(const StartGate&) = delete;

  void arrive_and_wait() {
    if (--left_ == 0) ::SetEvent(open_);
    // Bounded: a party that never arrives fails its test instead of hanging it.
    EXPECT_EQ(::WaitForSingleObject(open_, 30'000), WAIT_OBJECT_0) << "a party never arrived";
  }

 private:
  std::atomic<int> left_;
  HANDLE open_;
};

// A directory of its own under %TEMP%, removed with everything in it when the test ends. Marker
// files (WIN-2) live below it, so tests never touch %LOCALAPPDATA%\pipecheck.
class ScratchRoot {
 public:
  ScratchRoot() {
    static std::atomic<int> counter{0};
    const auto base = std::filesystem::temp_directory_path();
    do {
      path_ = base / ("pcw-" + std::to_string(current_pid()) + "-" + std::to_string(counter++));
    } while (!std::filesystem::create_directory(path_));
  }
  ~ScratchRoot() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchRoot(const ScratchRoot&) = delete;
  ScratchRoot& operator=(const ScratchRoot&) = delete;

  std::string path() const { return path_.string(); }

  NamingOptions naming() const {
    NamingOptions options;
    options.root = path();
    return options;
  }

  ListenOptions listen(int queue_size) const {
    ListenOptions options;
    options.queue_size = queue_size;
    options.naming = naming();
    return options;
  }

 private:
  std::filesystem::path path_;
};

// A handshake whose hash no other test (or test process) shares: the salt names the test.
inline Handshake unique_handshake() {
  static std::atomic<int> counter{0};
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  FieldMap fields{{"kind", "wintest"},
                  {"version", "1"},
                  {"arch", "*"},
                  {"salt", std::string(info->test_suite_name()) + "." + info->name() + "-" +
                               std::to_string(current_pid()) + "-" + std::to_string(counter++)}};
  return make_handshake("pipecheck", fields);
}

// A PID that names no running process (for stale entries).
inline ProcessId dead_pid() {
  for (ProcessId pid = 4000000; pid < 4001000; pid += 4) {
    if (!process_alive(pid)) return pid;
  }
  throw std::runtime_error("no dead PID found in 4000000..4001000");
}

}  // namespace pipecheck::test_support

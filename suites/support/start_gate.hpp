// start_gate.hpp — releases the threads of a race at once, with a bound (the listen races).
//
//   StartGate start(3);
//   // in each of 3 threads:
//   if (!start.arrive_and_wait()) return;  // a party never arrived within the bound
//
// Not std::barrier: libstdc++ 12 builds it on atomic waits, which lose wake-ups where there is no
// futex (mingw-w64 under Wine: suite_close.exe hung in a listen race with every thread waiting).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace pipecheck::suites {

class StartGate {
 public:
  explicit StartGate(int parties) : left_(parties) {}

  // False if the other parties did not all arrive within `bound` (the gate opens anyway).
  bool arrive_and_wait(std::chrono::milliseconds bound = std::chrono::seconds(30)) {
    std::unique_lock lock(mutex_);
    if (--left_ <= 0) open_.notify_all();
    return open_.wait_for(lock, bound, [this] { return left_ <= 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable open_;
  int left_;
};

}  // namespace pipecheck::suites

#include "stop_signal.hpp"

namespace pipecheck::cli {

StopSignal& StopSignal::instance() {
  // Never destroyed: the signal-watching thread may still reference it while the process exits.
  static StopSignal* stop = new StopSignal();
  return *stop;
}

void StopSignal::request_stop(const std::string& reason) {
  {
    std::lock_guard lock(mutex_);
    if (reason_) return;
    reason_ = reason;
  }
  changed_.notify_all();
}

std::optional<std::string> StopSignal::requested() {
  std::lock_guard lock(mutex_);
  return reason_;
}

std::optional<std::string> StopSignal::wait_until(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  changed_.wait_until(lock, deadline, [&] { return reason_.has_value(); });
  return reason_;
}

}  // namespace pipecheck::cli

// stop_signal.hpp — a one-shot, process-wide stop request for long-running subcommands.
//
// SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 (Ctrl-C / console close on Windows) or
// request_stop() from any thread ends the wait; the first reason wins (its name, e.g. "SIGHUP").
// Call watch_signals() before starting other threads (on POSIX the signals are blocked in the
// caller and in every thread it starts, and one thread sigwait()s).
//
//   StopSignal& stop = StopSignal::instance();
//   stop.watch_signals();
//   std::optional<std::string> why = stop.wait_until(deadline);  // nullopt: deadline passed
//   if (stop.requested()) { ... }                                // polling, never blocks
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>

namespace pipecheck::cli {

class StopSignal {
 public:
  static StopSignal& instance();

  void watch_signals();  // platform part: stop_signal_posix.cpp / stop_signal_windows.cpp
  void request_stop(const std::string& reason);
  std::optional<std::string> wait_until(std::chrono::steady_clock::time_point deadline);
  std::optional<std::string> requested();  // the reason, without waiting; nullopt: no stop yet

 private:
  StopSignal() = default;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<std::string> reason_;
};

}  // namespace pipecheck::cli

// POSIX: the terminating signals a user or a terminal sends (SIGINT, SIGTERM, SIGHUP when the
// terminal closes, SIGQUIT, SIGUSR1) are blocked in the caller (so in every thread it starts
// later) and a detached thread takes them with sigwait(), which makes the handling ordinary code:
// each of them stops cleanly, never leaving a stale socket behind.
#include <pthread.h>
#include <signal.h>

#include <stdexcept>
#include <string>
#include <thread>

#include "stop_signal.hpp"

namespace pipecheck::cli {

namespace {

constexpr struct {
  int number;
  const char* name;
} kStopSignals[] = {{SIGINT, "SIGINT"},
                    {SIGTERM, "SIGTERM"},
                    {SIGHUP, "SIGHUP"},
                    {SIGQUIT, "SIGQUIT"},
                    {SIGUSR1, "SIGUSR1"}};

std::string signal_name(int number) {
  for (const auto& known : kStopSignals) {
    if (known.number == number) return known.name;
  }
  return "signal " + std::to_string(number);
}

}  // namespace

void StopSignal::watch_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  for (const auto& known : kStopSignals) sigaddset(&signals, known.number);
  if (int error = ::pthread_sigmask(SIG_BLOCK, &signals, nullptr); error != 0) {
    throw std::runtime_error("pthread_sigmask failed");
  }
  std::thread([this, signals] {
    int signal_number = 0;
    if (::sigwait(&signals, &signal_number) == 0) request_stop(signal_name(signal_number));
  }).detach();
}

}  // namespace pipecheck::cli

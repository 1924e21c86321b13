// POSIX: SIGINT and SIGTERM are blocked in the caller (so in every thread it starts later) and a
// detached thread takes them with sigwait(), which makes the handling ordinary code.
#include <pthread.h>
#include <signal.h>

#include <stdexcept>
#include <thread>

#include "stop_signal.hpp"

namespace pipecheck::cli {

void StopSignal::watch_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  if (int error = ::pthread_sigmask(SIG_BLOCK, &signals, nullptr); error != 0) {
    throw std::runtime_error("pthread_sigmask failed");
  }
  std::thread([this, signals] {
    int signal_number = 0;
    if (::sigwait(&signals, &signal_number) == 0) {
      request_stop(signal_number == SIGINT ? "SIGINT" : "SIGTERM");
    }
  }).detach();
}

}  // namespace pipecheck::cli

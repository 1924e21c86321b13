#include <unistd.h>
#include <cerrno>
#include <climits>
#include <csignal>

#include "pipecheck/identity.hpp"

namespace pipecheck {

ProcessId current_pid() {
  return ::getpid();
}

ProcessId max_process_id() {
  return INT_MAX;
}

bool process_alive(ProcessId pid) {
  if (pid <= 0 || pid > max_process_id()) return false;
  // EPERM means the process exists but belongs to someone else: it is alive.
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

}  // namespace pipecheck

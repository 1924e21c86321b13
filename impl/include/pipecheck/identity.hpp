// pipecheck/process.hpp — process identity: the current PID and whether a PID is alive.
//
//   pipecheck::ProcessId me = pipecheck::current_pid();
//   if (!pipecheck::process_alive(pid)) { /* the endpoint is stale */ }
#pragma once

#include <cstdint>

namespace pipecheck {

// Wide enough for pid_t and Windows DWORD process ids.
using ProcessId = std::int64_t;

ProcessId current_pid();
ProcessId max_process_id();  // largest PID the platform can have (INT32_MAX on POSIX)
bool process_alive(ProcessId pid);

}  // namespace pipecheck

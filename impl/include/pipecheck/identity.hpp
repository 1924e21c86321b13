// pipecheck/identity.hpp — who and what this process is: its user and architecture (hashed by
// the profiles, HASH-4 / HASH-6), its PID (in every endpoint name) and whether another PID is
// alive (a dead one makes an endpoint stale).
//
//   pipecheck::ProcessId me = pipecheck::current_pid();
//   std::string user = pipecheck::current_user();  // "1000", or "S-1-5-21-..." on Windows
//   if (!pipecheck::process_alive(pid)) { /* the endpoint is stale */ }
#pragma once

#include <cstdint>
#include <string>

namespace pipecheck {

// Wide enough for pid_t and Windows DWORD process ids.
using ProcessId = std::int64_t;

ProcessId current_pid();
ProcessId max_process_id();  // largest PID the platform can have (INT32_MAX on POSIX)
bool process_alive(ProcessId pid);

std::string current_user();  // effective uid in decimal (POSIX) or the user SID string (Windows)
// "x86", "x64", "arm" or "arm64"; empty on an architecture HASH-4 has no name for (s390x), where
// make_handshake refuses arch `*`.
std::string current_arch();

}  // namespace pipecheck

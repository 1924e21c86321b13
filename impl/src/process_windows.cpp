#include <windows.h>

#include "pipecheck/identity.hpp"

namespace pipecheck {

ProcessId current_pid() {
  return static_cast<ProcessId>(::GetCurrentProcessId());
}

ProcessId max_process_id() {
  return static_cast<ProcessId>(0xFFFFFFFFu);
}

bool process_alive(ProcessId pid) {
  if (pid <= 0 || pid > max_process_id()) return false;
  HANDLE process = ::OpenProcess(SYNCHRONIZE, FALSE, static_cast<DWORD>(pid));
  if (process == nullptr) return ::GetLastError() == ERROR_ACCESS_DENIED;
  const bool running = ::WaitForSingleObject(process, 0) == WAIT_TIMEOUT;
  ::CloseHandle(process);
  return running;
}

}  // namespace pipecheck

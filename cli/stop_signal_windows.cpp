// Windows: a console control handler (Ctrl-C, Ctrl-Break, console close) requests the stop.
#include <windows.h>

#include <stdexcept>

#include "stop_signal.hpp"

namespace pipecheck::cli {

namespace {

BOOL WINAPI on_console_event(DWORD event) {
  switch (event) {
    case CTRL_C_EVENT:
      StopSignal::instance().request_stop("CTRL_C");
      return TRUE;
    case CTRL_BREAK_EVENT:
      StopSignal::instance().request_stop("CTRL_BREAK");
      return TRUE;
    case CTRL_CLOSE_EVENT:
      StopSignal::instance().request_stop("CTRL_CLOSE");
      return TRUE;
    default:
      return FALSE;
  }
}

}  // namespace

void StopSignal::watch_signals() {
  if (!::SetConsoleCtrlHandler(on_console_event, TRUE)) {
    throw std::runtime_error("SetConsoleCtrlHandler failed");
  }
}

}  // namespace pipecheck::cli

// Windows parts of the report writer: platform identity, Ctrl-C/Ctrl-Break flush.
#include <windows.h>

#include <algorithm>
#include <atomic>

#include "pipecheck/harness/report_writer.hpp"
#include "report_platform.hpp"

namespace pipecheck::harness {
namespace {

std::atomic<ReportWriter*> interrupted_writer{nullptr};

// Runs on a thread the system creates for the event, so it may flush directly.
BOOL WINAPI on_console_event(DWORD event) {
  ReportWriter* writer = interrupted_writer.load();
  if (writer == nullptr) return FALSE;
  writer->interrupt(event == CTRL_C_EVENT ? "SIGINT" : "SIGTERM");
  return FALSE;  // let the default handler end the process
}

}  // namespace

namespace detail {

PlatformIdentity platform_identity() {
  PlatformIdentity id;
  id.os = "windows";
  // GetVersionEx lies for unmanifested programs; RtlGetVersion tells the truth.
  using RtlGetVersionFn = LONG(WINAPI*)(OSVERSIONINFOW*);
  OSVERSIONINFOW version{};
  version.dwOSVersionInfoSize = sizeof version;
  if (HMODULE ntdll = GetModuleHandleW(L"ntdll.dll")) {
    // Through void* because FARPROC and the real signature are incompatible function types.
    auto rtl_get_version = reinterpret_cast<RtlGetVersionFn>(
        reinterpret_cast<void*>(GetProcAddress(ntdll, "RtlGetVersion")));
    if (rtl_get_version != nullptr && rtl_get_version(&version) == 0)
      id.os_release = std::to_string(version.dwMajorVersion) + "." +
                      std::to_string(version.dwMinorVersion) + "." +
                      std::to_string(version.dwBuildNumber);
  }
  SYSTEM_INFO system{};
  GetNativeSystemInfo(&system);
  switch (system.wProcessorArchitecture) {
    case PROCESSOR_ARCHITECTURE_AMD64:
      id.arch = "x64";
      break;
    case PROCESSOR_ARCHITECTURE_INTEL:
      id.arch = "x86";
      break;
    case PROCESSOR_ARCHITECTURE_ARM64:
      id.arch = "arm64";
      break;
    case PROCESSOR_ARCHITECTURE_ARM:
      id.arch = "arm";
      break;
    default:
      id.arch = "unknown";
      break;
  }
  char host[MAX_COMPUTERNAME_LENGTH + 1];
  DWORD size = sizeof host;
  if (GetComputerNameA(host, &size)) id.host.assign(host, size);
  return id;
}

}  // namespace detail

struct InterruptFlush::Impl {
  ReportWriter& writer;
};

InterruptFlush::InterruptFlush(ReportWriter& writer) : impl_(std::make_unique<Impl>(writer)) {
  ReportWriter* expected = nullptr;
  if (!interrupted_writer.compare_exchange_strong(expected, &writer))
    throw ReportError("InterruptFlush: only one may be active at a time");
  SetConsoleCtrlHandler(on_console_event, TRUE);
}

InterruptFlush::~InterruptFlush() {
  SetConsoleCtrlHandler(on_console_event, FALSE);
  interrupted_writer.store(nullptr);
}

}  // namespace pipecheck::harness

// Windows: the suite runs in a Job object that kills every process in it when `pipecheck run`
// closes it (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE), so the agents the suite started die with it,
// and in a process group of its own, so a stop request reaches it as Ctrl-Break (its report
// writer flushes the part report, as on SIGTERM).
#include <windows.h>

#include <io.h>

#include <stdexcept>
#include <string>

#include "pipecheck/harness/windows_command_line.hpp"
#include "suite_process.hpp"

namespace pipecheck::cli {
namespace {

using harness::append_quoted;
using harness::widen;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": Windows error " + std::to_string(::GetLastError()));
}

// The exit code TerminateJobObject gives what is left; finish() reports it like SIGKILL (137).
constexpr UINT kKilledExitCode = 0xDEAD;

}  // namespace

struct SuiteProcess::Impl {
  HANDLE job = nullptr;
  HANDLE process = nullptr;
  DWORD pid = 0;
  bool finished = false;
  int status = -1;
};

SuiteProcess::SuiteProcess(const std::filesystem::path& executable,
                           const std::vector<std::string>& args, std::FILE* log)
    : impl_(std::make_unique<Impl>()) {
  impl_->job = ::CreateJobObjectW(nullptr, nullptr);
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
  limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
  if (impl_->job == nullptr ||
      !::SetInformationJobObject(impl_->job, JobObjectExtendedLimitInformation, &limits,
                                 sizeof(limits))) {
    fail("cannot create a job object for " + executable.string());
  }
  std::wstring command_line;
  append_quoted(command_line, executable.wstring());
  for (const auto& arg : args) append_quoted(command_line, widen(arg));

  SECURITY_ATTRIBUTES inheritable{sizeof(inheritable), nullptr, TRUE};
  HANDLE null_input = ::CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE,
                                    &inheritable, OPEN_EXISTING, 0, nullptr);
  HANDLE output = reinterpret_cast<HANDLE>(_get_osfhandle(_fileno(log)));
  HANDLE inherited_output = nullptr;
  ::DuplicateHandle(::GetCurrentProcess(), output, ::GetCurrentProcess(), &inherited_output, 0,
                    TRUE, DUPLICATE_SAME_ACCESS);
  STARTUPINFOW startup{};
  startup.cb = sizeof(startup);
  startup.dwFlags = STARTF_USESTDHANDLES;
  startup.hStdInput = null_input;
  startup.hStdOutput = inherited_output;
  startup.hStdError = inherited_output;
  PROCESS_INFORMATION info{};
  const BOOL started =
      ::CreateProcessW(executable.c_str(), command_line.data(), nullptr, nullptr, TRUE,
                       CREATE_SUSPENDED | CREATE_NEW_PROCESS_GROUP | CREATE_UNICODE_ENVIRONMENT,
                       nullptr, nullptr, &startup, &info);
  const DWORD error = ::GetLastError();
  if (null_input != INVALID_HANDLE_VALUE) ::CloseHandle(null_input);
  if (inherited_output) ::CloseHandle(inherited_output);
  if (!started) {
    ::SetLastError(error);
    fail("cannot start " + executable.string());
  }
  impl_->process = info.hProcess;
  impl_->pid = info.dwProcessId;
  if (!::AssignProcessToJobObject(impl_->job, info.hProcess)) {
    ::TerminateProcess(info.hProcess, kKilledExitCode);
    ::CloseHandle(info.hThread);
    fail("cannot put " + executable.string() + " into its job object");
  }
  ::ResumeThread(info.hThread);
  ::CloseHandle(info.hThread);
}

SuiteProcess::~SuiteProcess() {
  if (!impl_) return;
  if (!impl_->finished) finish();
  if (impl_->process) ::CloseHandle(impl_->process);
  if (impl_->job) ::CloseHandle(impl_->job);
}

bool SuiteProcess::exited() {
  return impl_->finished || ::WaitForSingleObject(impl_->process, 0) == WAIT_OBJECT_0;
}

void SuiteProcess::request_exit() {
  // The suite leads its own process group (CREATE_NEW_PROCESS_GROUP), which Ctrl-Break reaches.
  if (!impl_->finished) ::GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, impl_->pid);
}

void SuiteProcess::kill() {
  if (!impl_->finished) ::TerminateJobObject(impl_->job, kKilledExitCode);
}

int SuiteProcess::finish() {
  if (!impl_->finished) {
    // The agents the suite left behind, and the suite if it still runs.
    ::TerminateJobObject(impl_->job, kKilledExitCode);
    ::WaitForSingleObject(impl_->process, 10'000);
    DWORD code = 0;
    ::GetExitCodeProcess(impl_->process, &code);
    impl_->status = code == kKilledExitCode ? 137 : static_cast<int>(code);
    impl_->finished = true;
  }
  return impl_->status;
}

}  // namespace pipecheck::cli

// Windows agent processes: CreateProcessW in a Job object that kills every descendant when the
// harness closes it (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE), stdin and stdout as overlapped named
// pipes waited on against deadlines, stderr appended to a log file. Commands are found as a
// Windows user expects: a bare name is searched on PATH with PATHEXT (`node` is node.exe) and a
// .cmd/.bat script runs through cmd.exe.
#include <windows.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <cwctype>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent_process.hpp"
#include "pipecheck/harness/windows_command_line.hpp"

namespace pipecheck::harness {
namespace {

constexpr std::size_t kStderrTailBytes = 4096;
constexpr DWORD kPipeBufferBytes = 64 * 1024;

class Handle {
 public:
  Handle() = default;
  explicit Handle(HANDLE handle) : handle_(handle == INVALID_HANDLE_VALUE ? nullptr : handle) {}
  ~Handle() { reset(); }
  Handle(Handle&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  HANDLE get() const { return handle_; }
  explicit operator bool() const { return handle_ != nullptr; }
  void reset() {
    if (handle_) ::CloseHandle(handle_);
    handle_ = nullptr;
  }

 private:
  HANDLE handle_ = nullptr;
};

std::string narrow(std::wstring_view wide) {
  if (wide.empty()) return {};
  const int size = ::WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()),
                                         nullptr, 0, nullptr, nullptr);
  std::string text(static_cast<std::size_t>(std::max(size, 0)), '\0');
  ::WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()), text.data(), size,
                        nullptr, nullptr);
  return text;
}

std::string error_text(DWORD error) {
  std::array<wchar_t, 512> buffer{};
  DWORD length =
      ::FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr, error,
                       0, buffer.data(), static_cast<DWORD>(buffer.size()), nullptr);
  while (length > 0 && (buffer[length - 1] == L'\n' || buffer[length - 1] == L'\r' ||
                        buffer[length - 1] == L' ' || buffer[length - 1] == L'.')) {
    --length;
  }
  std::string text = narrow(std::wstring_view(buffer.data(), length));
  return (text.empty() ? "Windows error" : text) + " (error " + std::to_string(error) + ")";
}

[[noreturn]] void spawn_failed(const AgentSpec& spec, const std::string& why) {
  AgentFailure::Details details;
  details.kind = AgentFailure::Kind::spawn_failed;
  details.agent = spec.name;
  details.op = "start";
  std::string command;
  for (const auto& arg : spec.command) command += (command.empty() ? "" : " ") + arg;
  details.detail = "cannot start `" + command + "`: " + why;
  throw AgentFailure(std::move(details));
}

DWORD milliseconds_until(Clock::time_point deadline) {
  auto left =
      std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return static_cast<DWORD>(std::clamp<std::int64_t>(left.count(), 0, 60'000));
}

std::wstring lower(std::wstring text) {
  for (wchar_t& c : text) c = static_cast<wchar_t>(std::towlower(c));
  return text;
}

std::wstring environment_variable(const wchar_t* name) {
  const DWORD size = ::GetEnvironmentVariableW(name, nullptr, 0);
  if (size == 0) return {};
  std::wstring value(size, L'\0');
  value.resize(::GetEnvironmentVariableW(name, value.data(), size));
  return value;
}

bool is_file(const std::filesystem::path& path) {
  const DWORD attributes = ::GetFileAttributesW(path.c_str());
  return attributes != INVALID_FILE_ATTRIBUTES && !(attributes & FILE_ATTRIBUTE_DIRECTORY);
}

// The executable a Windows user means by `name`: as given when it has a directory part or an
// extension that exists, else the first PATH directory holding name + one of PATHEXT's
// extensions (.COM;.EXE;.BAT;.CMD by default). Empty when none.
std::filesystem::path find_program(const std::string& name) {
  const std::filesystem::path given = widen(name);
  std::vector<std::wstring> extensions;
  std::wstring pathext = environment_variable(L"PATHEXT");
  if (pathext.empty()) pathext = L".COM;.EXE;.BAT;.CMD";
  for (std::size_t start = 0; start <= pathext.size();) {
    const std::size_t end = std::min(pathext.find(L';', start), pathext.size());
    if (end > start) extensions.push_back(pathext.substr(start, end - start));
    start = end + 1;
  }
  auto with_extensions = [&](const std::filesystem::path& base) -> std::filesystem::path {
    if (base.has_extension() && is_file(base)) return base;
    for (const auto& extension : extensions) {
      std::filesystem::path candidate = base;
      candidate += extension;
      if (is_file(candidate)) return candidate;
    }
    return {};
  };
  if (given.has_parent_path() || given.is_absolute()) return with_extensions(given);
  std::wstring path = environment_variable(L"PATH");
  for (std::size_t start = 0; start <= path.size();) {
    const std::size_t end = std::min(path.find(L';', start), path.size());
    if (end > start) {
      std::filesystem::path found =
          with_extensions(std::filesystem::path(path.substr(start, end - start)) / given);
      if (!found.empty()) return found;
    }
    start = end + 1;
  }
  return {};
}

// The environment block (sorted, case-insensitive names, as Windows keeps it).
std::wstring build_environment(const AgentSpec& spec) {
  auto less = [](const std::wstring& a, const std::wstring& b) { return lower(a) < lower(b); };
  std::map<std::wstring, std::wstring, decltype(less)> vars(less);
  if (spec.clean_environment) {
    for (const wchar_t* name : {L"PATH", L"SystemRoot", L"SystemDrive", L"TEMP", L"TMP",
                                L"USERPROFILE", L"LOCALAPPDATA", L"PATHEXT", L"COMSPEC"}) {
      std::wstring value = environment_variable(name);
      if (!value.empty()) vars[name] = value;
    }
    vars[L"LANG"] = L"C.UTF-8";
  } else {
    wchar_t* block = ::GetEnvironmentStringsW();
    for (const wchar_t* entry = block; entry && *entry; entry += std::wcslen(entry) + 1) {
      std::wstring_view text(entry);
      const std::size_t eq = text.find(L'=', 1);  // "=C:=C:\\dir" entries start with '='
      if (eq == std::wstring_view::npos || text[0] == L'=') continue;
      vars.emplace(std::wstring(text.substr(0, eq)), std::wstring(text.substr(eq + 1)));
    }
    if (block) ::FreeEnvironmentStringsW(block);
  }
  for (const auto& [key, value] : spec.env) vars[widen(key)] = widen(value);
  std::wstring out;
  for (const auto& [key, value] : vars) {
    out += key + L"=" + value;
    out += L'\0';
  }
  out += L'\0';
  return out;
}

// An overlapped operation with its own event.
struct Overlapped {
  Overlapped() { state.hEvent = ::CreateEventW(nullptr, TRUE, FALSE, nullptr); }
  ~Overlapped() {
    if (state.hEvent) ::CloseHandle(state.hEvent);
  }
  Overlapped(const Overlapped&) = delete;
  Overlapped& operator=(const Overlapped&) = delete;
  OVERLAPPED state{};
};

// A pipe whose server end (ours) is overlapped and whose client end the child inherits.
// `inbound`: the child writes (its stdout), we read.
std::pair<Handle, Handle> make_pipe(bool inbound) {
  static std::atomic<unsigned> counter{0};
  const std::wstring name = L"\\\\.\\pipe\\pipecheck-harness-" +
                            std::to_wstring(::GetCurrentProcessId()) + L"-" +
                            std::to_wstring(counter.fetch_add(1));
  Handle ours(::CreateNamedPipeW(
      name.c_str(),
      (inbound ? PIPE_ACCESS_INBOUND : PIPE_ACCESS_OUTBOUND) | FILE_FLAG_OVERLAPPED |
          FILE_FLAG_FIRST_PIPE_INSTANCE,
      PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS, 1,
      kPipeBufferBytes, kPipeBufferBytes, 0, nullptr));
  if (!ours) return {};
  Handle theirs(::CreateFileW(name.c_str(), inbound ? GENERIC_WRITE : GENERIC_READ, 0, nullptr,
                              OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr));
  if (!theirs) return {};
  // The client end is open already: the server end reports it connected.
  Overlapped connect;
  if (!::ConnectNamedPipe(ours.get(), &connect.state) && ::GetLastError() != ERROR_PIPE_CONNECTED) {
    return {};
  }
  return {std::move(ours), std::move(theirs)};
}

class WindowsProcess final : public Agent::Process {
 public:
  explicit WindowsProcess(const AgentSpec& spec) : log_path_(spec.log_path) {
    if (spec.command.empty()) spawn_failed(spec, "the command is empty");
    if (spec.run_as_uid) spawn_failed(spec, "run_as_uid is POSIX only (no uids on Windows)");

    open_log(spec);
    auto [stdin_ours, stdin_theirs] = make_pipe(false);
    auto [stdout_ours, stdout_theirs] = make_pipe(true);
    if (!stdin_ours || !stdout_ours) spawn_failed(spec, "pipe: " + error_text(::GetLastError()));
    stdin_ = std::move(stdin_ours);
    stdout_ = std::move(stdout_ours);

    const std::filesystem::path program = find_program(spec.command[0]);
    if (program.empty()) {
      spawn_failed(spec, "`" + spec.command[0] + "` is not found (on PATH, with PATHEXT)");
    }
    std::wstring command_line;
    append_quoted(command_line, program.wstring());
    for (std::size_t i = 1; i < spec.command.size(); ++i) {
      append_quoted(command_line, widen(spec.command[i]));
    }
    std::wstring application = program.wstring();
    const std::wstring extension = lower(program.extension().wstring());
    if (extension == L".cmd" || extension == L".bat") {
      // Scripts run through the command interpreter, as CreateProcess documents.
      std::wstring comspec = environment_variable(L"COMSPEC");
      application = comspec.empty() ? L"C:\\Windows\\System32\\cmd.exe" : comspec;
      command_line = L"cmd.exe /d /s /c \"" + command_line + L"\"";
    }

    job_ = Handle(::CreateJobObjectW(nullptr, nullptr));
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    if (!job_ || !::SetInformationJobObject(job_.get(), JobObjectExtendedLimitInformation, &limits,
                                            sizeof(limits))) {
      spawn_failed(spec, "job object: " + error_text(::GetLastError()));
    }

    std::wstring environment = build_environment(spec);
    std::filesystem::path start_dir =
        spec.working_dir.empty() ? std::filesystem::current_path() : spec.working_dir;
    PROCESS_INFORMATION info{};
    DWORD error = 0;
    {
      // The child's three handles are inheritable only during this launch, and one launch runs
      // at a time, so a concurrent launch never hands them to another agent (which would keep
      // this agent's stdin open after we close it).
      static std::mutex launch_mutex;
      std::lock_guard lock(launch_mutex);
      const HANDLE inherited[] = {stdin_theirs.get(), stdout_theirs.get(), log_.get()};
      for (HANDLE h : inherited)
        ::SetHandleInformation(h, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
      STARTUPINFOW startup{};
      startup.cb = sizeof(startup);
      startup.dwFlags = STARTF_USESTDHANDLES;
      startup.hStdInput = stdin_theirs.get();
      startup.hStdOutput = stdout_theirs.get();
      startup.hStdError = log_.get();
      DWORD flags = CREATE_UNICODE_ENVIRONMENT | CREATE_SUSPENDED | CREATE_NO_WINDOW;
      if (spec.new_session) flags |= CREATE_NEW_PROCESS_GROUP;
      if (!::CreateProcessW(application.c_str(), command_line.data(), nullptr, nullptr, TRUE, flags,
                            environment.data(), start_dir.c_str(), &startup, &info)) {
        error = ::GetLastError();
      }
      ::SetHandleInformation(log_.get(), HANDLE_FLAG_INHERIT, 0);
    }
    if (error != 0) spawn_failed(spec, "CreateProcessW: " + error_text(error));
    process_ = Handle(info.hProcess);
    Handle thread(info.hThread);
    pid_ = info.dwProcessId;
    // In the job before it runs a single instruction: nothing it starts can escape the job.
    if (!::AssignProcessToJobObject(job_.get(), process_.get())) {
      error = ::GetLastError();
      ::TerminateProcess(process_.get(), 1);
      ::WaitForSingleObject(process_.get(), 10'000);
      spawn_failed(spec, "AssignProcessToJobObject: " + error_text(error));
    }
    ::ResumeThread(thread.get());
  }

  ~WindowsProcess() override {
    kill_and_reap();
    cancel_read();
  }

  std::int64_t pid() const override { return pid_; }
  const std::filesystem::path& log_path() const override { return log_path_; }

  std::string stderr_tail() const override {
    LARGE_INTEGER size{};
    if (!::GetFileSizeEx(log_.get(), &size)) return {};
    const std::int64_t start =
        std::max<std::int64_t>(0, size.QuadPart - static_cast<std::int64_t>(kStderrTailBytes));
    std::string tail(static_cast<std::size_t>(size.QuadPart - start), '\0');
    Overlapped at;
    at.state.Offset = static_cast<DWORD>(start & 0xffffffff);
    at.state.OffsetHigh = static_cast<DWORD>(start >> 32);
    DWORD got = 0;
    if (!::ReadFile(log_.get(), tail.data(), static_cast<DWORD>(tail.size()), &got, &at.state)) {
      got = 0;
    }
    tail.resize(got);
    return tail;
  }

  WriteResult write_line(std::string_view line, Clock::time_point deadline) override {
    if (!stdin_) return WriteResult::closed;
    std::string data(line);
    data += '\n';
    std::size_t written = 0;
    while (written < data.size()) {
      Overlapped write;
      DWORD done = 0;
      const DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(data.size() - written, 1 << 20));
      if (!::WriteFile(stdin_.get(), data.data() + written, chunk, &done, &write.state)) {
        if (::GetLastError() != ERROR_IO_PENDING) return WriteResult::closed;
        if (::WaitForSingleObject(write.state.hEvent, milliseconds_until(deadline)) !=
            WAIT_OBJECT_0) {
          ::CancelIoEx(stdin_.get(), &write.state);
          ::GetOverlappedResult(stdin_.get(), &write.state, &done, TRUE);
          return WriteResult::timeout;
        }
        if (!::GetOverlappedResult(stdin_.get(), &write.state, &done, FALSE)) {
          return WriteResult::closed;
        }
      }
      written += done;
    }
    return WriteResult::written;
  }

  LineEvent read_line(Clock::time_point deadline) override {
    while (true) {
      if (auto end = buffer_.find('\n', scanned_); end != std::string::npos) {
        LineEvent event{LineEvent::Kind::line, buffer_.substr(0, end)};
        buffer_.erase(0, end + 1);
        scanned_ = 0;
        return event;
      }
      scanned_ = buffer_.size();
      if (buffer_.size() > kMaxLineBytes) {
        return {LineEvent::Kind::too_long, buffer_.substr(0, 512)};
      }
      if (stdout_eof_) return {LineEvent::Kind::eof, std::exchange(buffer_, {})};
      if (std::chrono::steady_clock::now() >= deadline && !reading_) {
        return {LineEvent::Kind::timeout, {}};
      }
      // One read stays pending across calls: a timeout leaves it, the next call waits on it.
      if (!reading_) {
        ::ResetEvent(read_.state.hEvent);
        DWORD got = 0;
        if (::ReadFile(stdout_.get(), chunk_.data(), static_cast<DWORD>(chunk_.size()), &got,
                       &read_.state)) {
          buffer_.append(chunk_.data(), got);
          continue;
        }
        if (::GetLastError() != ERROR_IO_PENDING) {
          stdout_eof_ = true;  // ERROR_BROKEN_PIPE: the agent closed its stdout
          continue;
        }
        reading_ = true;
      }
      if (::WaitForSingleObject(read_.state.hEvent, milliseconds_until(deadline)) !=
          WAIT_OBJECT_0) {
        if (std::chrono::steady_clock::now() >= deadline) return {LineEvent::Kind::timeout, {}};
        continue;
      }
      reading_ = false;
      DWORD got = 0;
      if (::GetOverlappedResult(stdout_.get(), &read_.state, &got, FALSE)) {
        buffer_.append(chunk_.data(), got);
      } else if (::GetLastError() != ERROR_MORE_DATA) {
        stdout_eof_ = true;
      } else {
        buffer_.append(chunk_.data(), got);
      }
    }
  }

  void close_stdin() override { stdin_.reset(); }

  bool running() override {
    if (status_) return false;
    if (!process_) return false;
    if (::WaitForSingleObject(process_.get(), 0) != WAIT_OBJECT_0) return true;
    status_ = decode();
    return false;
  }

  std::optional<ExitStatus> wait_exit(Clock::time_point deadline) override {
    while (running()) {
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      ::WaitForSingleObject(process_.get(), milliseconds_until(deadline));
    }
    return status_;
  }

  ExitStatus kill_and_reap() override {
    // The whole job: the agent and everything it started, even when the agent itself is gone.
    if (job_) ::TerminateJobObject(job_.get(), kKilledExitCode);
    if (running() && !wait_exit(std::chrono::steady_clock::now() + std::chrono::seconds(10))) {
      // Terminated but not gone within 10 s (the system is stuck tearing it down): reported as
      // killed, and the job's close below ends it; nothing here waits without a bound.
      status_ = ExitStatus{std::nullopt, 9};
    }
    job_.reset();  // KILL_ON_JOB_CLOSE as well
    stdin_.reset();
    return status_.value_or(ExitStatus{});
  }

 private:
  // The exit code TerminateJobObject gives the killed processes; reported like SIGKILL.
  static constexpr UINT kKilledExitCode = 0xDEAD;

  void open_log(const AgentSpec& spec) {
    SECURITY_ATTRIBUTES attributes{sizeof(attributes), nullptr, FALSE};
    if (log_path_.empty()) {
      std::array<wchar_t, MAX_PATH + 1> directory{};
      std::array<wchar_t, MAX_PATH + 1> file{};
      if (::GetTempPathW(static_cast<DWORD>(directory.size()), directory.data()) == 0 ||
          ::GetTempFileNameW(directory.data(), L"pca", 0, file.data()) == 0) {
        spawn_failed(spec, "cannot create a stderr log: " + error_text(::GetLastError()));
      }
      log_ = Handle(::CreateFileW(file.data(), GENERIC_READ | FILE_APPEND_DATA,
                                  FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                                  &attributes, CREATE_ALWAYS,
                                  FILE_ATTRIBUTE_TEMPORARY | FILE_FLAG_DELETE_ON_CLOSE, nullptr));
    } else {
      // FILE_FLAG_OPEN_REPARSE_POINT: a symlink planted at the log path is not followed.
      log_ = Handle(::CreateFileW(log_path_.c_str(), GENERIC_READ | FILE_APPEND_DATA,
                                  FILE_SHARE_READ | FILE_SHARE_WRITE, &attributes, OPEN_ALWAYS,
                                  FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, nullptr));
    }
    if (!log_) {
      spawn_failed(spec, "cannot open the stderr log " + log_path_.string() + ": " +
                             error_text(::GetLastError()));
    }
  }

  // Exit codes of crashes are NTSTATUS errors (0xC0000005 access violation, 0xC0000409 stack
  // buffer overrun, ...): reported as `signal` with that code, since the process did not exit.
  ExitStatus decode() const {
    DWORD code = 0;
    ExitStatus status;
    if (!::GetExitCodeProcess(process_.get(), &code)) return status;
    if (code == kKilledExitCode) {
      status.signal = 9;  // killed by the harness, as SIGKILL on POSIX
    } else if ((code & 0xF0000000u) == 0xC0000000u) {
      status.signal = static_cast<int>(code);
    } else {
      status.exit_code = static_cast<int>(code);
    }
    return status;
  }

  void cancel_read() {
    if (!reading_) return;
    ::CancelIoEx(stdout_.get(), &read_.state);
    DWORD got = 0;
    ::GetOverlappedResult(stdout_.get(), &read_.state, &got, TRUE);
    reading_ = false;
  }

  std::filesystem::path log_path_;
  Handle job_, process_, stdin_, stdout_, log_;
  std::int64_t pid_ = -1;
  Overlapped read_;
  bool reading_ = false;
  std::array<char, 65536> chunk_{};
  std::string buffer_;
  std::size_t scanned_ = 0;
  bool stdout_eof_ = false;
  std::optional<ExitStatus> status_;
};

}  // namespace

std::unique_ptr<Agent::Process> Agent::Process::spawn(const AgentSpec& spec) {
  return std::make_unique<WindowsProcess>(spec);
}

}  // namespace pipecheck::harness

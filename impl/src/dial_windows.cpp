// Dialing a pipe (DIAL-1, DIAL-4..6, SEC-4): one CreateFileW per attempt, never WaitNamedPipe.

#include "dial_platform.hpp"
#include "pipecheck/dial.hpp"
#include "windows_connection.hpp"
#include "windows_identity.hpp"

namespace pipecheck {

namespace {

DialResult failure(DialOutcome outcome, DWORD error, std::string detail) {
  DialResult result;
  result.outcome = outcome;
  result.system_error = static_cast<int>(error);
  result.detail = std::move(detail);
  return result;
}

// DIAL-4: the error of a failed CreateFileW, classified.
DialResult classify_open_error(DWORD error, const std::string& path) {
  const std::string detail = detail::win_error_text("CreateFileW", error) + " (" + path + ")";
  switch (error) {
    case ERROR_PIPE_BUSY:
      return failure(DialOutcome::busy, error, detail);
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
      return failure(DialOutcome::absent, error, detail);
    case ERROR_ACCESS_DENIED:
      return failure(DialOutcome::denied, error, detail);
  }
  return failure(DialOutcome::other, error, detail);
}

}  // namespace

DialResult dial_once(const std::string& path, std::chrono::milliseconds) {
  // CreateFileW on a pipe answers at once (connected, busy or absent): the timeout bounds
  // nothing here, and there is no waiting for an instance (that would be WaitNamedPipe).
  std::wstring wide;
  try {
    wide = detail::to_wide(path);
  } catch (const Error& e) {
    return failure(DialOutcome::other, ERROR_INVALID_NAME, e.what());
  }
  // SECURITY_IDENTIFICATION: the server may learn who we are but cannot act as us.
  detail::UniqueHandle pipe(::CreateFileW(
      wide.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING,
      FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, nullptr));
  if (!pipe) return classify_open_error(::GetLastError(), path);

  // SEC-4: a server of another user is not ours to talk to.
  ULONG server_pid = 0;
  if (!::GetNamedPipeServerProcessId(pipe.get(), &server_pid)) {
    const DWORD error = ::GetLastError();
    return failure(DialOutcome::denied, error,
                   detail::win_error_text("GetNamedPipeServerProcessId", error) + " (" + path +
                       "): the server's user is unknown; connection dropped");
  }
  const auto server_user = detail::process_user_sid(server_pid);
  const std::string& ours = detail::current_user_sid();
  if (!server_user || *server_user != ours) {
    return failure(DialOutcome::denied, 0,
                   "server at " + path + " (PID " + std::to_string(server_pid) + ") runs as " +
                       (server_user ? *server_user : std::string("(unknown user)")) +
                       ", not our user " + ours + "; connection dropped");
  }
  DialResult result;
  result.outcome = DialOutcome::ok;
  result.connection = detail::make_connection(std::move(pipe), server_user);
  return result;
}

namespace detail {

bool worth_retrying(const DialResult& result, const std::string&) {
  return result.outcome == DialOutcome::busy;
}

}  // namespace detail

}  // namespace pipecheck

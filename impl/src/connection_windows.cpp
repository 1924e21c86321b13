// A connected pipe handle (either side) with overlapped I/O and bounded waits (WIRE-3).
#include <algorithm>
#include <chrono>

#include "windows_connection.hpp"

namespace pipecheck {

namespace {

using Clock = std::chrono::steady_clock;

// A write into a pipe completes once the bytes are in the pipe's buffer; one that does not
// within this bound has a peer that stopped reading.
constexpr std::chrono::milliseconds kWriteBound{10000};

DWORD remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<DWORD>(std::clamp<decltype(left)>(left, 0, 1 << 30));
}

enum class ReadStatus { data, timeout, end_of_stream };

// One overlapped ReadFile appended to `pending`, waiting at most until `deadline`.
ReadStatus receive_some(Connection::Impl& impl, Clock::time_point deadline) {
  char buffer[512];
  OVERLAPPED overlapped{};
  overlapped.hEvent = impl.io_event.get();
  DWORD received = 0;
  if (!::ReadFile(impl.pipe.get(), buffer, sizeof buffer, nullptr, &overlapped)) {
    const DWORD error = ::GetLastError();
    if (error != ERROR_IO_PENDING) return ReadStatus::end_of_stream;
    if (::WaitForSingleObject(overlapped.hEvent, remaining_ms(deadline)) != WAIT_OBJECT_0) {
      // The read may complete between the wait and the cancel: its bytes are kept then.
      ::CancelIoEx(impl.pipe.get(), &overlapped);
      if (!::GetOverlappedResult(impl.pipe.get(), &overlapped, &received, TRUE)) {
        return ::GetLastError() == ERROR_OPERATION_ABORTED ? ReadStatus::timeout
                                                           : ReadStatus::end_of_stream;
      }
      impl.pending.append(buffer, received);
      return ReadStatus::data;
    }
  }
  if (!::GetOverlappedResult(impl.pipe.get(), &overlapped, &received, FALSE)) {
    return ReadStatus::end_of_stream;  // ERROR_BROKEN_PIPE and friends: the peer is gone
  }
  impl.pending.append(buffer, received);
  return ReadStatus::data;
}

}  // namespace

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

void Connection::write_all(std::string_view bytes) {
  if (!impl_ || !impl_->pipe) throw Error(Errc::system_error, "write on a closed connection");
  while (!bytes.empty()) {
    OVERLAPPED overlapped{};
    overlapped.hEvent = impl_->io_event.get();
    const DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(bytes.size(), 1 << 20));
    DWORD written = 0;
    if (!::WriteFile(impl_->pipe.get(), bytes.data(), chunk, nullptr, &overlapped)) {
      const DWORD error = ::GetLastError();
      if (error != ERROR_IO_PENDING)
        throw Error(Errc::system_error, detail::win_error_text("WriteFile", error));
      if (::WaitForSingleObject(overlapped.hEvent, static_cast<DWORD>(kWriteBound.count())) !=
          WAIT_OBJECT_0) {
        ::CancelIoEx(impl_->pipe.get(), &overlapped);
      }
    }
    if (!::GetOverlappedResult(impl_->pipe.get(), &overlapped, &written, TRUE)) {
      const DWORD error = ::GetLastError();
      throw Error(Errc::system_error, error == ERROR_OPERATION_ABORTED
                                          ? "WriteFile: the peer read nothing for " +
                                                std::to_string(kWriteBound.count()) + " ms"
                                          : detail::win_error_text("WriteFile", error));
    }
    bytes.remove_prefix(written);
  }
}

std::optional<std::string> Connection::read_line(std::chrono::milliseconds timeout,
                                                 std::size_t max_bytes) {
  if (!impl_ || !impl_->pipe) return std::nullopt;
  const auto deadline = Clock::now() + timeout;
  std::string& pending = impl_->pending;
  while (true) {
    const auto newline = pending.find('\n');
    if (newline != std::string::npos) {
      if (newline > max_bytes) return std::nullopt;
      std::string line = pending.substr(0, newline);
      pending.erase(0, newline + 1);
      return line;
    }
    if (pending.size() > max_bytes) return std::nullopt;
    if (receive_some(*impl_, deadline) != ReadStatus::data) return std::nullopt;
  }
}

bool Connection::wait_peer_closed(std::chrono::milliseconds timeout) {
  if (!impl_ || !impl_->pipe) return true;
  const auto deadline = Clock::now() + timeout;
  while (true) {
    // Data the peer sent before closing is kept for read_line.
    switch (receive_some(*impl_, deadline)) {
      case ReadStatus::end_of_stream:
        return true;
      case ReadStatus::timeout:
        return false;
      case ReadStatus::data:
        if (Clock::now() >= deadline) return false;
        break;
    }
  }
}

std::optional<std::string> Connection::peer_user() const {
  if (!impl_ || !impl_->pipe) return std::nullopt;
  return impl_->peer_user;
}

void Connection::close() {
  if (impl_) impl_->pipe.reset();
}

namespace detail {

Connection make_connection(UniqueHandle pipe, std::optional<std::string> peer_user) {
  auto impl = std::make_unique<Connection::Impl>();
  impl->pipe = std::move(pipe);
  impl->io_event.reset(::CreateEventW(nullptr, TRUE, FALSE, nullptr));
  if (!impl->io_event) throw_win_error("CreateEventW", "connection I/O event");
  impl->peer_user = std::move(peer_user);
  return Connection(std::move(impl));
}

}  // namespace detail
}  // namespace pipecheck

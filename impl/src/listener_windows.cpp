// The Windows listener (LSN-*, SEC-4/6/7/8): a pool of `queue_size` pipe instances, each with a
// pending overlapped ConnectNamedPipe, re-armed as soon as its connection is handed to accept().
#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "endpoint_marker.hpp"
#include "pipecheck/identity.hpp"
#include "pipecheck/listener.hpp"
#include "windows_connection.hpp"
#include "windows_identity.hpp"

namespace pipecheck {

namespace {

// WaitForMultipleObjects waits on at most 64 handles: the close event plus 63 instances.
constexpr int kMaxQueue = MAXIMUM_WAIT_OBJECTS - 1;
// An instance that could not be created (out of resources) is tried again at this interval.
constexpr DWORD kRearmRetryMs = 1;
// How long close() waits for a cancelled ConnectNamedPipe to complete before closing its handle.
constexpr DWORD kCancelBoundMs = 1000;
constexpr DWORD kPipeBufferBytes = 4096;

AcceptResult accept_status(AcceptStatus status, std::string detail = {}) {
  AcceptResult result;
  result.status = status;
  result.detail = std::move(detail);
  return result;
}

bool client_left(DWORD error) {
  return error == ERROR_NO_DATA || error == ERROR_BROKEN_PIPE || error == ERROR_PIPE_NOT_CONNECTED;
}

}  // namespace

struct Listener::Impl {
  // One pipe instance of the pool.
  struct Slot {
    enum class State { empty, listening, connected };
    detail::UniqueHandle pipe;
    detail::UniqueHandle event;  // manual reset; signalled when ConnectNamedPipe completes
    OVERLAPPED overlapped{};
    State state = State::empty;
  };

  Endpoint endpoint;
  std::wstring pipe_path;
  int queue = 1;
  detail::OwnerOnlySecurity security;  // SEC-8, for every instance
  std::vector<Slot> slots;             // sized once: the OVERLAPPEDs never move
  detail::UniqueHandle close_event;    // set once by close(), never reset: wakes every waiter
  detail::UniqueHandle marker;         // WIN-2: held while listening

  std::mutex mutex;  // guards slots and the flags below
  std::condition_variable changed;
  std::size_t next_slot = 0;  // where the next claim starts looking, for fairness
  bool closing = false;
  bool torn_down = false;

  void create(const Handshake& handshake, const ListenOptions& options);
  DWORD arm(Slot& slot, bool first_instance);
  DWORD listen(Slot& slot);
  std::optional<detail::UniqueHandle> claim(std::string& error);
  AcceptResult accept_one();
  AcceptResult admit(detail::UniqueHandle pipe);
  void close();
};

void Listener::Impl::create(const Handshake& handshake, const ListenOptions& options) {
  endpoint =
      endpoint_for(handshake, options.pid != 0 ? options.pid : current_pid(), options.naming);
  pipe_path = detail::to_wide(endpoint.path);
  if (options.queue_size > kMaxQueue) {
    throw Error::bad_field(
        "queue_size", "field 'queue_size': " + std::to_string(options.queue_size) + " is over " +
                          std::to_string(kMaxQueue) +
                          ", the most pipe instances one Windows listener keeps "
                          "ready (WIN-6)");
  }
  queue = std::max(options.queue_size, 1);  // LSN-1: 0 and 1 are the legacy slot
  close_event.reset(::CreateEventW(nullptr, TRUE, FALSE, nullptr));
  if (!close_event) detail::throw_win_error("CreateEventW", endpoint.path);

  // The marker first (WIN-2): held without FILE_SHARE_DELETE, it also refuses a second listener
  // of this name where FILE_FLAG_FIRST_PIPE_INSTANCE is not enforced (Wine 8.0, WIN-5).
  try {
    marker =
        detail::create_marker(detail::marker_directory(handshake, options.naming), endpoint.name);
  } catch (const Error& e) {
    if (e.code() != Errc::address_in_use) throw;
    throw Error::in_use_by(
        endpoint.pid,
        "address in use: pipe '" + endpoint.path + "' (PID " + std::to_string(endpoint.pid) + ", " +
            (process_alive(endpoint.pid) ? "alive" : "not running") + "): " + e.what());
  }

  slots = std::vector<Slot>(static_cast<std::size_t>(queue));
  for (std::size_t i = 0; i < slots.size(); ++i) {
    slots[i].event.reset(::CreateEventW(nullptr, TRUE, FALSE, nullptr));
    if (!slots[i].event) detail::throw_win_error("CreateEventW", endpoint.path);
    const DWORD error = arm(slots[i], i == 0);
    if (error == ERROR_SUCCESS) continue;
    if (i == 0 && (error == ERROR_ACCESS_DENIED || error == ERROR_PIPE_BUSY)) {
      // SEC-6, LSN-6: someone holds an instance of this name. Pipes vanish with their process,
      // so there is nothing stale to reclaim.
      throw Error::in_use_by(
          endpoint.pid, "address in use: pipe '" + endpoint.path + "' (PID " +
                            std::to_string(endpoint.pid) + ", " +
                            (process_alive(endpoint.pid) ? "alive" : "not running") +
                            ") already has an instance; FILE_FLAG_FIRST_PIPE_INSTANCE refused (" +
                            detail::win_error_text("CreateNamedPipeW", error) + ")");
    }
    detail::throw_win_error("CreateNamedPipeW", endpoint.path, error);
  }
}

// Creates a new instance for `slot` and starts listening on it.
DWORD Listener::Impl::arm(Slot& slot, bool first_instance) {
  // WIN-6: unlimited, so connections handed out never eat into the `queue` ready instances and
  // the name never vanishes between instances (with nMaxInstances 1 a legacy server cannot
  // re-arm while its last connection is open, and dialers see ERROR_FILE_NOT_FOUND meanwhile).
  const DWORD max_instances = PIPE_UNLIMITED_INSTANCES;
  const DWORD open_mode = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED |
                          (first_instance ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0);  // SEC-6
  const DWORD pipe_mode =
      PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS;  // SEC-7
  slot.pipe.reset(::CreateNamedPipeW(pipe_path.c_str(), open_mode, pipe_mode, max_instances,
                                     kPipeBufferBytes, kPipeBufferBytes, 0, security.attributes()));
  if (!slot.pipe) {
    slot.state = Slot::State::empty;
    return ::GetLastError();
  }
  const DWORD error = listen(slot);
  if (error != ERROR_SUCCESS) slot.pipe.reset();
  return error;
}

// Starts an overlapped ConnectNamedPipe on the slot's instance.
DWORD Listener::Impl::listen(Slot& slot) {
  while (true) {
    ::ResetEvent(slot.event.get());
    slot.overlapped = OVERLAPPED{};
    slot.overlapped.hEvent = slot.event.get();
    if (::ConnectNamedPipe(slot.pipe.get(), &slot.overlapped)) {
      slot.state = Slot::State::connected;
      ::SetEvent(slot.event.get());
      return ERROR_SUCCESS;
    }
    const DWORD error = ::GetLastError();
    if (error == ERROR_IO_PENDING) {
      slot.state = Slot::State::listening;
      return ERROR_SUCCESS;
    }
    if (error == ERROR_PIPE_CONNECTED) {  // LSN-12: the client came first, a success
      slot.state = Slot::State::connected;
      ::SetEvent(slot.event.get());
      return ERROR_SUCCESS;
    }
    if (error != ERROR_NO_DATA) {
      slot.state = Slot::State::empty;
      return error;
    }
    ::DisconnectNamedPipe(slot.pipe.get());  // LSN-12: it came and left; listen again
  }
}

// Under the mutex: takes a connected instance out of the pool and re-arms its slot.
std::optional<detail::UniqueHandle> Listener::Impl::claim(std::string& error) {
  for (std::size_t n = 0; n < slots.size(); ++n) {
    Slot& slot = slots[(next_slot + n) % slots.size()];
    if (slot.state == Slot::State::listening) {
      if (::WaitForSingleObject(slot.event.get(), 0) != WAIT_OBJECT_0) continue;
      DWORD ignored = 0;
      if (!::GetOverlappedResult(slot.pipe.get(), &slot.overlapped, &ignored, FALSE)) {
        DWORD failure = ::GetLastError();
        if (failure == ERROR_IO_INCOMPLETE) continue;
        const bool aborted = failure == ERROR_OPERATION_ABORTED;
        if (client_left(failure) || aborted) {
          // LSN-12: the client left. Aborted: the thread that issued ConnectNamedPipe exited,
          // which cancels its I/O; the instance itself is fine. Either way: listen again.
          if (!aborted) ::DisconnectNamedPipe(slot.pipe.get());
          const DWORD relisten = listen(slot);
          if (relisten == ERROR_SUCCESS && slot.state == Slot::State::listening) continue;
          failure = relisten == ERROR_SUCCESS ? ERROR_PIPE_CONNECTED : relisten;
        }
        if (failure != ERROR_PIPE_CONNECTED) {
          error = detail::win_error_text("ConnectNamedPipe", failure) + " (" + endpoint.path + ")";
          slot.pipe.reset();
          slot.state = Slot::State::empty;
          arm(slot, false);
          return std::nullopt;
        }
      }
    } else if (slot.state != Slot::State::connected) {
      continue;
    }
    next_slot = (next_slot + n + 1) % slots.size();
    detail::UniqueHandle connected = std::move(slot.pipe);
    slot.state = Slot::State::empty;
    arm(slot, false);  // on failure the slot stays empty and accept() retries it
    return connected;
  }
  return std::nullopt;
}

AcceptResult Listener::Impl::accept_one() {
  while (true) {
    std::optional<detail::UniqueHandle> claimed;
    std::string error;
    std::vector<HANDLE> waits{close_event.get()};
    bool some_empty = false;
    {
      std::lock_guard lock(mutex);
      if (closing) return accept_status(AcceptStatus::closed, "listener closed");
      claimed = claim(error);
      if (!claimed && error.empty()) {
        for (Slot& slot : slots) {
          if (slot.state == Slot::State::empty) arm(slot, false);
          if (slot.state == Slot::State::empty) {
            some_empty = true;
          } else {
            waits.push_back(slot.event.get());
          }
        }
      }
    }
    if (claimed) {
      // Checked outside the lock: a slow peer lookup must not hold up other acceptors.
      AcceptResult result = admit(std::move(*claimed));
      // LSN-4: an accept still in progress when close() began returns `closed`; the connection
      // it claimed is dropped (admit's token lookup is slow enough under Wine to lose this race).
      if (std::lock_guard lock(mutex); closing)
        return accept_status(AcceptStatus::closed, "listener closed");
      if (result.status != AcceptStatus::error) return result;
      continue;  // the client left before we looked at it (LSN-12)
    }
    if (!error.empty()) return accept_status(AcceptStatus::error, error);
    // The events live as long as the Impl, which this accept() keeps alive.
    const DWORD woke = ::WaitForMultipleObjects(static_cast<DWORD>(waits.size()), waits.data(),
                                                FALSE, some_empty ? kRearmRetryMs : INFINITE);
    if (woke == WAIT_FAILED) {
      return accept_status(AcceptStatus::error,
                           detail::win_error_text("WaitForMultipleObjects", ::GetLastError()));
    }
  }
}

// SEC-4: the client process's token user must be ours. `status` error means "not a client".
AcceptResult Listener::Impl::admit(detail::UniqueHandle pipe) {
  ULONG client_pid = 0;
  std::optional<std::string> user;
  std::string lookup_failure;
  if (::GetNamedPipeClientProcessId(pipe.get(), &client_pid)) {
    user = detail::process_user_sid(client_pid);
    if (!user)
      lookup_failure = "the token of client PID " + std::to_string(client_pid) + " cannot be read";
  } else {
    lookup_failure = detail::win_error_text("GetNamedPipeClientProcessId", ::GetLastError());
  }
  if (!user) {
    DWORD available = 0;
    if (!::PeekNamedPipe(pipe.get(), nullptr, 0, nullptr, &available, nullptr) &&
        client_left(::GetLastError())) {
      return accept_status(AcceptStatus::error, "client left");
    }
    return accept_status(AcceptStatus::denied,
                         "client user unknown (" + lookup_failure + "); connection dropped");
  }
  if (*user != detail::current_user_sid()) {
    return accept_status(AcceptStatus::denied, "client PID " + std::to_string(client_pid) +
                                                   " runs as " + *user + ", not our user " +
                                                   detail::current_user_sid() +
                                                   "; connection dropped");
  }
  AcceptResult result = accept_status(AcceptStatus::accepted);
  result.connection = detail::make_connection(std::move(pipe), std::move(user));
  return result;
}

void Listener::Impl::close() {
  std::unique_lock lock(mutex);
  if (closing) {
    changed.wait(lock, [&] { return torn_down; });
    return;
  }
  closing = true;
  if (close_event) ::SetEvent(close_event.get());  // LSN-4: every waiter wakes now
  // Waiters need the mutex to see `closing`: tear down without it, so they return at once. Once
  // `closing` is set no accept touches the slots, and later close() calls wait for torn_down.
  lock.unlock();
  for (Slot& slot : slots) {
    if (!slot.pipe) continue;
    if (slot.state == Slot::State::listening) {
      // The OVERLAPPED must outlive the I/O: wait for the cancellation to land before closing.
      ::CancelIoEx(slot.pipe.get(), &slot.overlapped);
      ::WaitForSingleObject(slot.event.get(), kCancelBoundMs);
    }
    slot.pipe.reset();
    slot.state = Slot::State::empty;
  }
  marker.reset();  // FILE_FLAG_DELETE_ON_CLOSE: the marker file goes with it
  lock.lock();
  torn_down = true;
  changed.notify_all();
}

Listener::Listener(const Handshake& handshake, const ListenOptions& options)
    : impl_(std::make_shared<Impl>()) {
  try {
    impl_->create(handshake, options);
  } catch (...) {
    impl_->close();
    throw;
  }
}

Listener::Listener(Listener&&) noexcept = default;

Listener& Listener::operator=(Listener&& other) noexcept {
  if (this != &other) {
    close();
    impl_ = std::move(other.impl_);
  }
  return *this;
}

Listener::~Listener() {
  close();
}

AcceptResult Listener::accept() {
  const std::shared_ptr<Impl> impl = impl_;  // keeps the events alive past a concurrent close()
  if (!impl) return accept_status(AcceptStatus::closed, "listener moved from");
  return impl->accept_one();
}

void Listener::close() {
  if (impl_) impl_->close();
}

bool Listener::closed() const {
  if (!impl_) return true;
  std::lock_guard lock(impl_->mutex);
  return impl_->closing;
}

const Endpoint& Listener::endpoint() const {
  if (!impl_) throw Error(Errc::system_error, "endpoint() of a moved-from Listener");
  return impl_->endpoint;
}

}  // namespace pipecheck

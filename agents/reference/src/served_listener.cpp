#include "served_listener.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <string>
#include <system_error>

#include "pipecheck/connection.hpp"
#include "pipecheck/wire_handshake.hpp"
#include "platform.hpp"
#include "reply_writer.hpp"

namespace pipecheck::agent {

namespace {

using Clock = std::chrono::steady_clock;

// How often a holding worker looks at the stop flag, so shutdown never waits for a long hold.
constexpr std::chrono::milliseconds kHoldSlice{50};
// After an accept error (EMFILE: the listener stays readable), pause before the next accept
// instead of spinning on it (RES-1): from the first pause, doubling while errors last, at most
// the longest; close ends a pause at once.
constexpr std::chrono::milliseconds kFirstAcceptPause{5};
constexpr std::chrono::milliseconds kLongestAcceptPause{100};
// Bound for the pending accepts to report `closed` after close (LSN-4 says 100 ms).
constexpr std::chrono::milliseconds kUnblockBound{2000};
constexpr std::chrono::milliseconds kWorkersReadyBound{5000};

// A one-shot countdown like std::latch, on a mutex and condition variable: libstdc++ 12 builds
// std::latch on its atomic-wait proxy pool where there is no futex (mingw-w64), and that loses
// wake-ups (measured under Wine: `close` hung with every closer past the gate).
class Countdown {
 public:
  explicit Countdown(int count) : count_(count) {}
  void count_down() {
    const std::lock_guard lock(mutex_);
    if (count_ > 0 && --count_ == 0) reached_zero_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    reached_zero_.wait(lock, [this] { return count_ == 0; });
  }
  void arrive_and_wait() {
    count_down();
    wait();
  }

 private:
  std::mutex mutex_;
  std::condition_variable reached_zero_;
  int count_;
};

double milliseconds_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

}  // namespace

ServedListener::ServedListener(const pipecheck::Handshake& handshake,
                               const pipecheck::ListenOptions& listen, const ServeOptions& serve)
    : handshake_(handshake), options_(serve), listener_(handshake, listen) {
  workers_state_.resize(static_cast<std::size_t>(options_.accept_workers));
  try {
    for (std::size_t i = 0; i < workers_state_.size(); ++i) {
      workers_.emplace_back([this, i] { work(i); });
      const std::lock_guard lock(mutex_);
      ++running_workers_;
    }
  } catch (...) {
    shutdown(std::chrono::seconds(5));
    throw;
  }
  // Reply to `listen` only when every worker waits in accept, so a `close` right after it finds
  // them all pending. Threads get there at once; the bound only guards a stalled scheduler.
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, kWorkersReadyBound,
                    [this] { return first_accepts_ == options_.accept_workers; });
}

ServedListener::~ServedListener() {
  if (!shutdown(std::chrono::seconds(5)))
    log("listener " + endpoint().name + ": accept workers still busy, waiting for them");
  for (auto& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
  // Serving threads hold `this`; each ends within its handshake bound and a hold slice.
  {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return serving_ == 0; });
  }
  join_ended_serving();
}

void ServedListener::work(std::size_t index) {
  std::chrono::milliseconds pause{0};
  while (!stopping_) {
    {
      const std::lock_guard lock(mutex_);
      if (close_started_) break;
      WorkerState& state = workers_state_[index];
      state.in_accept = true;
      if (!state.entered_accept) {
        state.entered_accept = true;
        ++first_accepts_;
        changed_.notify_all();
      }
    }
    pipecheck::AcceptResult result = listener_.accept();
    {
      const std::lock_guard lock(mutex_);
      WorkerState& state = workers_state_[index];
      state.in_accept = false;
      if (state.pending_at_close) {
        state.pending_at_close = false;
        --unresolved_pending_;
        if (result.status == pipecheck::AcceptStatus::closed)
          unblock_ms_.push_back(milliseconds_since(close_began_));
        // It got a client before close began (it had not yet told us): it was not blocked.
        if (result.status == pipecheck::AcceptStatus::accepted ||
            result.status == pipecheck::AcceptStatus::denied)
          ++completed_at_close_;
        changed_.notify_all();
      }
    }
    if (result.status != pipecheck::AcceptStatus::error) pause = std::chrono::milliseconds{0};
    switch (result.status) {
      case pipecheck::AcceptStatus::accepted:
        ++accepted_;
        if (result.connection) start_serving(std::move(*result.connection));
        break;
      case pipecheck::AcceptStatus::denied:
        ++denied_;
        break;
      case pipecheck::AcceptStatus::error: {
        ++accept_errors_;
        if (pause.count() == 0)
          log("listener " + endpoint().name + ": accept: " + result.detail + "; backing off");
        pause = std::clamp(pause * 2, kFirstAcceptPause, kLongestAcceptPause);
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, pause, [this] { return close_started_ || stopping_; });
        break;
      }
      case pipecheck::AcceptStatus::closed:
        break;
    }
    if (result.status == pipecheck::AcceptStatus::closed) break;
  }
  const std::lock_guard lock(mutex_);
  --running_workers_;
  changed_.notify_all();
}

// The handshake and the hold run on a thread of their own: the accept worker goes straight back
// to accept, so silent clients waiting out their handshake bound never stall the backlog
// (LSN-10). Counted in serving_; a thread that ends queues itself in ended_serving_ and the next
// start_serving or shutdown() joins it.
void ServedListener::start_serving(pipecheck::Connection connection) {
  join_ended_serving();
  const std::lock_guard lock(mutex_);  // held until the thread object is stored: it may end at once
  const auto thread = serving_threads_.emplace(serving_threads_.end());
  try {
    *thread = std::thread([this, thread, connection = std::move(connection)]() mutable {
      serve(connection);
      const std::lock_guard lock(mutex_);
      ended_serving_.push_back(thread);
      --serving_;
      changed_.notify_all();
    });
    ++serving_;
  } catch (const std::system_error&) {
    // No thread to be had: the connection went with the discarded lambda (closed).
    serving_threads_.erase(thread);
    ++handshake_failed_;
  }
}

void ServedListener::join_ended_serving() {
  std::vector<std::thread> ended;
  {
    const std::lock_guard lock(mutex_);
    for (const auto thread : ended_serving_) {
      ended.push_back(std::move(*thread));
      serving_threads_.erase(thread);
    }
    ended_serving_.clear();
  }
  for (auto& thread : ended) thread.join();  // each has left serve(): it is ending
}

void ServedListener::serve(pipecheck::Connection& connection) {
  if (options_.handshake) {
    const auto handshake =
        pipecheck::server_handshake(connection, handshake_.hash, options_.handshake_timeout);
    if (!handshake.accepted) {
      ++handshake_failed_;
      connection.close();
      return;
    }
    ++handshake_ok_;
  }
  const auto hold_until = Clock::now() + options_.hold;
  while (!stopping_) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(hold_until - Clock::now());
    if (left <= std::chrono::milliseconds::zero()) break;
    if (connection.wait_peer_closed(std::min(left, kHoldSlice))) break;
  }
  connection.close();
}

CloseReport ServedListener::close(int threads) {
  Countdown ready(threads + 1);
  Countdown go(1);
  std::vector<std::thread> closers;
  closers.reserve(static_cast<std::size_t>(threads));
  try {
    for (int i = 0; i < threads; ++i) {
      closers.emplace_back([&] {
        ready.arrive_and_wait();
        go.wait();
        listener_.close();
      });
    }
  } catch (...) {
    // Fewer closers than asked: release the ones that exist (they still close) and fail.
    for (int i = static_cast<int>(closers.size()); i < threads; ++i) ready.count_down();
    ready.arrive_and_wait();
    go.count_down();
    for (auto& closer : closers) closer.join();
    throw;
  }
  ready.arrive_and_wait();  // every closer is created and waits at the gate

  CloseReport report;
  bool first_close = false;
  {
    const std::lock_guard lock(mutex_);
    first_close = !close_started_;
    close_started_ = true;
    if (first_close) {
      for (WorkerState& state : workers_state_) {
        if (!state.in_accept) continue;
        state.pending_at_close = true;
        ++report.pending_accepts;
      }
      unresolved_pending_ = report.pending_accepts;
      close_began_ = Clock::now();
    }
    changed_.notify_all();  // ends accept-error pauses at once
  }
  stopping_ = true;  // connections being held end too: after close nothing of the listener stays
  go.count_down();
  for (auto& closer : closers) closer.join();

  std::unique_lock lock(mutex_);
  if (first_close) {
    changed_.wait_for(lock, kUnblockBound, [this] { return unresolved_pending_ == 0; });
    report.pending_accepts -= completed_at_close_;
    report.unblocked = static_cast<int>(unblock_ms_.size());
    if (!unblock_ms_.empty())
      report.max_unblock_ms = *std::max_element(unblock_ms_.begin(), unblock_ms_.end());
  }
  lock.unlock();
  // Connections being served end with the listener (stopping_). Wait for the workers, so that
  // when `close` replies nothing of the listener is left open (LSN-7 counts descriptors).
  if (!shutdown(kUnblockBound))
    log("listener " + endpoint().name + ": accept workers still busy after close");
  report.endpoint_removed = !endpoint_exists(endpoint().path);
  return report;
}

ListenerCounters ServedListener::counters() const {
  return {accepted_.load(), handshake_ok_.load(), handshake_failed_.load(), denied_.load(),
          accept_errors_.load()};
}

bool ServedListener::shutdown(std::chrono::milliseconds deadline) {
  stopping_ = true;
  {
    const std::lock_guard lock(mutex_);
    close_started_ = true;
  }
  listener_.close();
  std::unique_lock lock(mutex_);
  if (!changed_.wait_for(lock, deadline, [this] { return running_workers_ == 0 && serving_ == 0; }))
    return false;
  lock.unlock();
  if (!joined_) {
    for (auto& worker : workers_) worker.join();
    joined_ = true;
  }
  join_ended_serving();
  return true;
}

}  // namespace pipecheck::agent

// served_listener.hpp — a pipecheck::Listener with accept worker threads and counters (the
// `listen`, `close` and `counters` ops).
//
// Each worker loops accept -> hand the connection to a serving thread (server handshake -> hold
// -> close), so accepting never waits for a slow or silent client. close() calls Listener::close
// from several threads at once and reports which accepts were pending and how fast they returned
// `closed` (LSN-3, LSN-4); it also ends the holds of connections being served.
//
//   ServedListener served(hs, {.queue_size = 4}, {.accept_workers = 2, .handshake = true});
//   CloseReport report = served.close(4);   // report.pending_accepts == 2
//   served.shutdown(std::chrono::seconds(2));
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "pipecheck/hash_profile.hpp"
#include "pipecheck/listener.hpp"

namespace pipecheck::agent {

struct ServeOptions {
  int accept_workers = 1;             // 0: nobody accepts (LSN-9)
  bool handshake = true;              // run server_handshake on each connection (WIRE-2)
  std::chrono::milliseconds hold{0};  // keep each connection this long, or until the peer closes
  std::chrono::milliseconds handshake_timeout{2000};  // WIRE-3 default
};

struct ListenerCounters {
  std::int64_t accepted = 0;
  std::int64_t handshake_ok = 0;
  std::int64_t handshake_failed = 0;
  std::int64_t denied = 0;
  std::int64_t accept_errors = 0;
};

struct CloseReport {
  int pending_accepts = 0;  // workers inside accept() when close began
  int unblocked = 0;        // of those, how many got AcceptStatus::closed
  double max_unblock_ms = 0;
  bool endpoint_removed = false;
};

class ServedListener {
 public:
  // Throws pipecheck::Error from the Listener constructor; std::system_error if no thread starts.
  ServedListener(const pipecheck::Handshake& handshake, const pipecheck::ListenOptions& listen,
                 const ServeOptions& serve);
  ~ServedListener();  // shutdown with a generous bound
  ServedListener(const ServedListener&) = delete;
  ServedListener& operator=(const ServedListener&) = delete;

  const pipecheck::Endpoint& endpoint() const { return listener_.endpoint(); }
  CloseReport close(int threads);
  ListenerCounters counters() const;
  // Closes and joins the workers; false if some did not finish by the deadline (left running).
  bool shutdown(std::chrono::milliseconds deadline);

 private:
  struct WorkerState {
    bool in_accept = false;
    bool pending_at_close = false;
    bool entered_accept = false;
  };

  void work(std::size_t index);
  void start_serving(pipecheck::Connection connection);
  void join_ended_serving();
  void serve(pipecheck::Connection& connection);

  pipecheck::Handshake handshake_;
  ServeOptions options_;
  pipecheck::Listener listener_;

  std::atomic<std::int64_t> accepted_{0}, handshake_ok_{0}, handshake_failed_{0}, denied_{0},
      accept_errors_{0};
  std::atomic<bool> stopping_{false};

  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable changed_;
  std::vector<WorkerState> workers_state_;
  bool close_started_ = false;
  std::chrono::steady_clock::time_point close_began_;
  int unresolved_pending_ = 0;
  int completed_at_close_ = 0;  // workers counted as pending whose accept got a client
  std::vector<double> unblock_ms_;
  int running_workers_ = 0;
  int serving_ = 0;  // connections being served on their own threads
  // The serving threads, joined once ended (never detached: mingw-w64's winpthreads recycles a
  // detached thread's record while a new thread may still read it, docs/windows-leg.md).
  std::list<std::thread> serving_threads_;
  std::vector<std::list<std::thread>::iterator> ended_serving_;
  int first_accepts_ = 0;  // workers that reached accept() at least once

  std::vector<std::thread> workers_;
  bool joined_ = false;
};

}  // namespace pipecheck::agent

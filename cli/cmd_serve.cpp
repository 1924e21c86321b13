// pipecheck serve — listen on a handshake's endpoint with an accept backlog and answer the wire
// handshake on each connection (LSN-*, WIRE-*). Stops on SIGINT/SIGTERM/SIGHUP/SIGQUIT/SIGUSR1,
// after --count connections, or at --timeout-ms; always closes the listener (removing its socket)
// first.
//
// Hostile peers and environments: each wire handshake runs on its own thread, so the accept
// workers keep draining the backlog while silent clients wait out their handshake bound (LSN-10);
// running out of descriptors in accept backs off and keeps serving; printing goes through a
// LineWriter, so a stdout nobody reads never blocks serving and a closed stdout only stops the
// printing.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "commands.hpp"
#include "handshake_options.hpp"
#include "line_writer.hpp"
#include "output.hpp"
#include "pipecheck/listener.hpp"
#include "pipecheck/wire_handshake.hpp"
#include "stop_signal.hpp"

namespace pipecheck::cli {

namespace {

constexpr std::chrono::milliseconds kHandshakeTimeout{2000};
// Handshakes waiting at once; a connection past this many is closed at once (and counted).
constexpr int kMaxHandshakesInFlight = 1024;
// Back-off after an accept that failed for want of descriptors or memory: doubles up to the max.
constexpr std::chrono::milliseconds kFirstBackoff{10};
constexpr std::chrono::milliseconds kMaxBackoff{1000};
// How long the last lines get to reach a stdout nobody may be reading.
constexpr std::chrono::milliseconds kFinalFlush{1000};

bool out_of_resources(int error) {
  return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
}

// What the accept workers and the handshake threads share. Handshake threads hold it by
// shared_ptr: it outlives cmd_serve's frame even if one of them is late.
struct Serving {
  Handshake hs;
  long long count = 0;
  bool json = false;
  std::shared_ptr<LineWriter> out;

  std::atomic<long long> connections{0};
  std::atomic<long long> handshakes_accepted{0};
  std::atomic<long long> handshakes_done{0};
  std::atomic<long long> denied{0};
  std::atomic<long long> dropped{0};  // over kMaxHandshakesInFlight
  std::atomic<long long> accept_backoffs{0};

  std::mutex mutex;
  std::condition_variable idle;
  int in_flight = 0;
  // Handshake threads, joined once ended and never detached while others start: mingw-w64's
  // winpthreads recycles a detached thread's record while a new thread may still read it.
  std::list<std::thread> threads;
  std::vector<std::list<std::thread>::iterator> ended;

  void print(const nlohmann::json& object, const std::string& text) {
    out->write_line(json ? json_line(object) : text);
  }
  void report_event(const std::string& event, const std::string& detail) {
    print({{"event", event}, {"detail", detail}}, event + ": " + escaped(detail));
  }
  // A connection is done (handshake answered, failed or dropped): stop once --count are.
  void finish_one() {
    if (count > 0 && ++handshakes_done >= count) {
      StopSignal::instance().request_stop("count reached");
    }
  }
  void join_ended() {
    std::vector<std::thread> joinable;
    {
      const std::lock_guard lock(mutex);
      for (const auto thread : ended) {
        joinable.push_back(std::move(*thread));
        threads.erase(thread);
      }
      ended.clear();
    }
    for (auto& thread : joinable) thread.join();  // each has left its handshake: it is ending
  }
  // Waits for the handshakes under way and joins their threads; one past `bound` is left to end
  // with the process.
  void finish_handshakes(std::chrono::milliseconds bound) {
    {
      std::unique_lock lock(mutex);
      idle.wait_for(lock, bound, [this] { return in_flight == 0; });
    }
    join_ended();
    const std::lock_guard lock(mutex);
    for (auto& late : threads) late.detach();
    threads.clear();
  }
};

void handshake_one(const std::shared_ptr<Serving>& serving, Connection connection,
                   long long number) {
  const HandshakeResult result = server_handshake(connection, serving->hs.hash, kHandshakeTimeout);
  connection.close();
  if (result.accepted) ++serving->handshakes_accepted;
  serving->print(
      {{"event", "connection"},
       {"number", number},
       {"handshake", result.accepted ? "accepted" : "failed"},
       {"detail", result.detail}},
      "connection " + std::to_string(number) + ": handshake " +
          (result.accepted ? std::string("accepted") : "failed: " + escaped(result.detail)));
  serving->finish_one();
}

// Hands the connection to a thread of its own; false if it had to be dropped instead.
bool start_handshake(const std::shared_ptr<Serving>& serving, Connection& connection,
                     long long number) {
  serving->join_ended();
  // Held until the thread object is stored: the thread may end at once.
  const std::lock_guard lock(serving->mutex);
  if (serving->in_flight >= kMaxHandshakesInFlight) return false;
  const auto thread = serving->threads.emplace(serving->threads.end());
  try {
    *thread = std::thread([serving, thread, connection = std::move(connection), number]() mutable {
      handshake_one(serving, std::move(connection), number);
      const std::lock_guard lock(serving->mutex);
      serving->ended.push_back(thread);
      if (--serving->in_flight == 0) serving->idle.notify_all();
    });
  } catch (const std::system_error&) {
    serving->threads.erase(thread);
    return false;
  }
  ++serving->in_flight;
  return true;
}

// One accept worker: accept, hand the handshake off, accept again; closes the listener when the
// count is reached.
void accept_loop(Listener& listener, const std::shared_ptr<Serving>& serving) {
  StopSignal& stop = StopSignal::instance();
  auto backoff = kFirstBackoff;
  while (true) {
    AcceptResult accepted = listener.accept();
    switch (accepted.status) {
      case AcceptStatus::closed:
        return;
      case AcceptStatus::denied:
        ++serving->denied;
        serving->report_event("denied", accepted.detail);
        continue;
      case AcceptStatus::error:
        if (out_of_resources(accepted.system_error)) {
          // The connection stays queued; accept it once descriptors are free again.
          if (backoff == kFirstBackoff) {
            serving->report_event("backoff", accepted.detail + "; accepting again with back-off");
          }
          ++serving->accept_backoffs;
          if (stop.wait_until(std::chrono::steady_clock::now() + backoff)) return;
          backoff = std::min(backoff * 2, kMaxBackoff);
          continue;
        }
        serving->report_event("error", accepted.detail);
        stop.request_stop("accept error: " + accepted.detail);
        return;
      case AcceptStatus::accepted:
        break;
    }
    backoff = kFirstBackoff;
    const long long number = ++serving->connections;
    const bool last = serving->count > 0 && number >= serving->count;
    if (last) listener.close();  // no further connections are taken
    if (!start_handshake(serving, *accepted.connection, number)) {
      ++serving->dropped;
      serving->report_event("dropped", "connection " + std::to_string(number) +
                                           ": too many handshakes in flight; closed");
      serving->finish_one();
    }
    if (last) return;
  }
}

}  // namespace

int cmd_serve(const std::vector<std::string>& args) {
  const auto specs = with_handshake_options({
      {"queue-size", "N", "accept backlog (LSN-1; 0 or 1 = legacy single slot; default 16)"},
      {"workers", "N", "accept threads (default 1)"},
      {"count", "N", "exit 0 after N accepted connections (default: until a signal)"},
      {"timeout-ms", "MS", "bounded run: stop after MS; with --count, exit 1 if not reached"},
  });
  if (help_requested(args)) {
    print_text(
        "usage: pipecheck serve <handshake options> [--queue-size N] [--workers N] [--count N]\n"
        "                       [--timeout-ms MS] [--json]\n"
        "Listens on the endpoint of the handshake for this process's PID, prints its path once\n"
        "listening, and answers each client's wire handshake (each on its own thread, so silent\n"
        "clients never hold up the others). SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGUSR1 stop it\n"
        "cleanly, removing its socket.\n"
        "Output never blocks serving: when nobody reads stdout, lines past 256 KiB of backlog are\n"
        "dropped (the final line counts them); when the reader goes away, printing stops and\n"
        "serving goes on until a signal, --count or --timeout-ms.\n\n"
        "options:\n" +
        describe_options(specs));
    return 0;
  }
  const ParsedOptions options = parse_options(args, specs);
  auto serving = std::make_shared<Serving>();
  serving->hs = handshake_from(options);
  ListenOptions listen;
  listen.naming = naming_from(options);
  listen.queue_size = static_cast<int>(options.number("queue-size", 0, 65535, 16));
  const int workers = static_cast<int>(options.number("workers", 1, 256, 1));
  serving->count = options.number("count", 1, 1'000'000'000, 0);
  const long long timeout_ms = options.number("timeout-ms", 1, 86'400'000, 0);
  serving->json = options.has("json");

  ignore_broken_pipe();
  StopSignal& stop = StopSignal::instance();
  stop.watch_signals();  // before any thread starts, so they all inherit the blocked signals
  serving->out = LineWriter::start(stdout);
  const auto deadline =
      timeout_ms > 0 ? std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms)
                     : std::chrono::steady_clock::time_point::max();

  Listener listener(serving->hs, listen);
  const Endpoint& ep = listener.endpoint();
  serving->print({{"event", "listening"},
                  {"path", ep.path},
                  {"name", ep.name},
                  {"pid", ep.pid},
                  {"hash", serving->hs.hash},
                  {"queue_size", listen.queue_size},
                  {"workers", workers}},
                 "listening " + escaped(ep.path));

  std::vector<std::jthread> threads;
  for (int i = 0; i < workers; ++i) {
    threads.emplace_back([&] { accept_loop(listener, serving); });
  }
  std::optional<std::string> reason = stop.wait_until(deadline);
  listener.close();  // every pending accept() returns `closed`; the socket file is removed
  threads.clear();   // joins
  // Handshakes under way end within their bound.
  serving->finish_handshakes(kHandshakeTimeout + std::chrono::milliseconds(500));

  const long long connections = serving->connections.load();
  const long long accepted = serving->handshakes_accepted.load();
  const bool timed_out = !reason.has_value();
  const bool failed =
      (timed_out && serving->count > 0) || (reason && reason->rfind("accept error", 0) == 0);
  const std::string why =
      timed_out ? "timeout after " + std::to_string(timeout_ms) + " ms" : *reason;
  serving->print(
      {{"event", "stopped"},
       {"reason", why},
       {"connections", connections},
       {"handshakes_accepted", accepted},
       {"denied", serving->denied.load()},
       {"dropped_connections", serving->dropped.load()},
       {"accept_backoffs", serving->accept_backoffs.load()},
       {"lines_dropped", serving->out->dropped()},
       {"ok", !failed}},
      "stopped: " + why + "; " + std::to_string(connections) + " connections, " +
          std::to_string(accepted) + " handshakes accepted" +
          (serving->count > 0 ? " (wanted " + std::to_string(serving->count) + ")" : "") +
          (serving->out->dropped() > 0
               ? "; " + std::to_string(serving->out->dropped()) + " lines not printed"
               : ""));
  serving->out->flush_for(kFinalFlush);
  return failed ? 1 : 0;
}

}  // namespace pipecheck::cli

// pipecheck serve — listen on a handshake's endpoint with an accept backlog and answer the wire
// handshake on each connection (LSN-*, WIRE-*). Stops on SIGINT/SIGTERM, after --count
// connections, or at --timeout-ms; always closes the listener (removing its socket) first.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "commands.hpp"
#include "handshake_options.hpp"
#include "output.hpp"
#include "pipecheck/listener.hpp"
#include "pipecheck/wire_handshake.hpp"
#include "stop_signal.hpp"

namespace pipecheck::cli {

namespace {

constexpr std::chrono::milliseconds kHandshakeTimeout{2000};

struct ServeCounters {
  std::atomic<long long> connections{0};
  std::atomic<long long> handshakes_accepted{0};
  std::atomic<long long> denied{0};
};

void report_connection(bool json, long long number, const HandshakeResult& result) {
  if (json) {
    print_json({{"event", "connection"},
                {"number", number},
                {"handshake", result.accepted ? "accepted" : "failed"},
                {"detail", result.detail}});
  } else {
    print_text("connection " + std::to_string(number) + ": handshake " +
               (result.accepted ? std::string("accepted") : "failed: " + escaped(result.detail)));
  }
}

void report_event(bool json, const std::string& event, const std::string& detail) {
  if (json) {
    print_json({{"event", event}, {"detail", detail}});
  } else {
    print_text(event + ": " + escaped(detail));
  }
}

// One accept worker: accept, handshake, count; closes the listener when the count is reached.
void accept_loop(Listener& listener, const Handshake& hs, long long count, bool json,
                 ServeCounters& counters) {
  while (true) {
    AcceptResult accepted = listener.accept();
    switch (accepted.status) {
      case AcceptStatus::closed:
        return;
      case AcceptStatus::denied:
        ++counters.denied;
        report_event(json, "denied", accepted.detail);
        continue;
      case AcceptStatus::error:
        report_event(json, "error", accepted.detail);
        StopSignal::instance().request_stop("accept error: " + accepted.detail);
        return;
      case AcceptStatus::accepted:
        break;
    }
    long long number = ++counters.connections;
    HandshakeResult result = server_handshake(*accepted.connection, hs.hash, kHandshakeTimeout);
    if (result.accepted) ++counters.handshakes_accepted;
    report_connection(json, number, result);
    if (count > 0 && number >= count) {
      listener.close();  // no further connections are taken
      StopSignal::instance().request_stop("count reached");
      return;
    }
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
        "listening, and answers each client's wire handshake. SIGINT/SIGTERM stop it cleanly.\n\n"
        "options:\n" +
        describe_options(specs));
    return 0;
  }
  const ParsedOptions options = parse_options(args, specs);
  const Handshake hs = handshake_from(options);
  ListenOptions listen;
  listen.naming = naming_from(options);
  listen.queue_size = static_cast<int>(options.number("queue-size", 0, 65535, 16));
  const int workers = static_cast<int>(options.number("workers", 1, 256, 1));
  const long long count = options.number("count", 1, 1'000'000'000, 0);
  const long long timeout_ms = options.number("timeout-ms", 1, 86'400'000, 0);
  const bool json = options.has("json");

  StopSignal& stop = StopSignal::instance();
  stop.watch_signals();  // before any thread starts, so they all inherit the blocked signals
  const auto deadline =
      timeout_ms > 0 ? std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms)
                     : std::chrono::steady_clock::time_point::max();

  Listener listener(hs, listen);
  const Endpoint& ep = listener.endpoint();
  if (json) {
    print_json({{"event", "listening"},
                {"path", ep.path},
                {"name", ep.name},
                {"pid", ep.pid},
                {"hash", hs.hash},
                {"queue_size", listen.queue_size},
                {"workers", workers}});
  } else {
    print_text("listening " + escaped(ep.path));
  }

  ServeCounters counters;
  std::vector<std::jthread> threads;
  for (int i = 0; i < workers; ++i) {
    threads.emplace_back([&] { accept_loop(listener, hs, count, json, counters); });
  }
  std::optional<std::string> reason = stop.wait_until(deadline);
  listener.close();  // every pending accept() returns `closed`; the socket file is removed
  threads.clear();   // joins

  const bool timed_out = !reason.has_value();
  const bool failed = (timed_out && count > 0) || (reason && reason->rfind("accept error", 0) == 0);
  const std::string why =
      timed_out ? "timeout after " + std::to_string(timeout_ms) + " ms" : *reason;
  if (json) {
    print_json({{"event", "stopped"},
                {"reason", why},
                {"connections", counters.connections.load()},
                {"handshakes_accepted", counters.handshakes_accepted.load()},
                {"denied", counters.denied.load()},
                {"ok", !failed}});
  } else {
    print_text("stopped: " + why + "; " + std::to_string(counters.connections.load()) +
               " connections, " + std::to_string(counters.handshakes_accepted.load()) +
               " handshakes accepted" +
               (count > 0 ? " (wanted " + std::to_string(count) + ")" : ""));
  }
  return failed ? 1 : 0;
}

}  // namespace pipecheck::cli

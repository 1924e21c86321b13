// pipecheck dial — connect to an endpoint (by PID or path), classify the outcome (DIAL-*) and do
// the client wire handshake (WIRE-*). Exit 0 only when the dial is ok and the server accepts.
#include <chrono>
#include <string>
#include <vector>

#include "commands.hpp"
#include "handshake_options.hpp"
#include "output.hpp"
#include "pipecheck/dial.hpp"
#include "pipecheck/dial_endpoint.hpp"
#include "pipecheck/wire_handshake.hpp"

namespace pipecheck::cli {

int cmd_dial(const std::vector<std::string>& args) {
  const auto specs = with_handshake_options({
      {"pid", "N", "dial the endpoint of this server PID"},
      {"path", "P", "dial this path instead (the handshake still gives the hash sent)"},
      {"retry-ms", "MS", "retry `busy` with backoff for up to MS (DIAL-5; default: one attempt)"},
      {"timeout-ms", "MS", "bound of a single attempt and of the handshake reply (default 2000)"},
  });
  if (help_requested(args)) {
    print_text(
        "usage: pipecheck dial <handshake options> (--pid N | --path P) [--retry-ms MS]\n"
        "                      [--timeout-ms MS] [--json]\n"
        "Connects once (or with retry), prints the outcome (ok, busy, absent, refused, denied,\n"
        "timeout, other) and the handshake result. Exit 0 only on ok + accepted.\n"
        "With --pid the endpoint directory is checked as discover checks it (exit 1 if insecure)\n"
        "and no symlink is followed (a symlink at the endpoint's name is `denied`); --path is\n"
        "dialed as given.\n\noptions:\n" +
        describe_options(specs));
    return 0;
  }
  const ParsedOptions options = parse_options(args, specs);
  if (options.has("pid") == options.has("path"))
    throw UsageError("give exactly one of --pid and --path");
  const Handshake hs = handshake_from(options);
  const std::chrono::milliseconds timeout{options.number("timeout-ms", 1, 3'600'000, 2000)};
  const long long retry_ms = options.number("retry-ms", 1, 3'600'000, 0);
  std::optional<RetryPolicy> retry;
  if (retry_ms > 0) {
    retry = RetryPolicy{.deadline = std::chrono::milliseconds(retry_ms),
                        .initial_backoff = std::chrono::microseconds(100),
                        .max_backoff = std::chrono::microseconds(10000)};
  }

  // By PID, the endpoint is reached as discovery reaches it: verified directory, no symlinks.
  std::string path;
  DialResult dial;
  if (options.has("path")) {
    path = *options.value("path");
    dial = retry ? dial_with_retry(path, *retry) : dial_once(path, timeout);
  } else {
    const ProcessId pid = options.number("pid", 1, max_process_id(), 0);
    const NamingOptions naming = naming_from(options);
    path = endpoint_for(hs, pid, naming).path;
    dial = dial_endpoint(hs, pid, naming, timeout, retry);
  }
  std::optional<HandshakeResult> handshake;
  if (dial.outcome == DialOutcome::ok && dial.connection) {
    handshake = client_handshake(*dial.connection, hs.hash, timeout);
  }
  const bool success = handshake && handshake->accepted;
  const std::string handshake_state = !handshake            ? "not attempted"
                                      : handshake->accepted ? "accepted"
                                                            : "failed";

  if (options.has("json")) {
    print_json({{"path", path},
                {"outcome", to_string(dial.outcome)},
                {"system_error", dial.system_error},
                {"detail", dial.detail},
                {"attempts", dial.attempts},
                {"handshake", handshake_state},
                {"handshake_detail", handshake ? handshake->detail : ""},
                {"ok", success}});
  } else {
    std::string line = "dial " + escaped(path) + ": " + std::string(to_string(dial.outcome));
    if (dial.outcome != DialOutcome::ok) line += " (" + escaped(dial.detail) + ")";
    line += ", " + std::to_string(dial.attempts) + " attempt(s); handshake " + handshake_state;
    if (handshake && !handshake->accepted) line += ": " + escaped(handshake->detail);
    print_text(line);
  }
  return success ? 0 : 1;
}

}  // namespace pipecheck::cli

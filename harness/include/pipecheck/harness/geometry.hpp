// pipecheck/harness/geometry.hpp — load-test geometries (fixtures/geometries/*.json) and running
// them across many agent processes.
//
//   Geometry g = load_geometry(source_dir / "fixtures/geometries/backlog-closed-loop.json");
//   GeometryResult r = run_geometry(g, server_impl, client_impl,
//                                   {.scratch_root = scratch.path(), .log_dir = logs});
//   for (const auto& violation : check_expectations(g, r)) ADD_FAILURE() << violation;
//   std::cout << r.to_json().dump(2);
//
// run_geometry starts `servers.count` server agents and `clients.processes` client agents
// concurrently, `listen`s on every server, gives client process i the path of server
// i % servers.count, arms every client (`prepare_dial`; plain `dial` when the agent lacks
// `dial.barrier`, noted in the result), fires them all at once, collects the dial results and
// listener counters, closes, exits, and kills leftovers. It never throws for a misbehaving agent:
// that agent's failure becomes an `errors` entry (agent, op, what happened, stderr tail) and the
// rest completes. No agent process outlives the call.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipecheck/harness/registry.hpp"
#include "pipecheck/harness/report.hpp"  // LatencySummary, GeometryRun

namespace pipecheck::harness {

struct ServerGeometry {
  int count = 1;           // server agents, one listener each
  int queue_size = 1;      // listen queue_size (LSN-1)
  int accept_workers = 1;  // listen accept_workers
  int hold_ms = 0;
  bool handshake = true;  // server side of the wire handshake
};

struct ClientGeometry {
  int processes = 1;
  int threads = 1;
  int connections_per_thread = 1;          // dial `count`
  std::optional<int> retry_deadline_ms{};  // null: single attempts (DIAL-1); else DIAL-5
  int pace_us = 0;
  int timeout_ms = 1000;  // per attempt (DIAL-6)
  bool handshake = true;  // client side of the wire handshake
  int hold_ms = 0;
};

// Silent clients (attackers beside the real clients): each thread connects once, sends nothing
// and holds the connection (dial with no handshake and hold_ms), fired with the real clients.
// Their outcomes are reported apart (GeometryResult::silent) and never count against `expect`.
struct SilentGeometry {
  int processes = 0;  // 0: none
  int threads = 1;
  int hold_ms = 0;
};

struct Geometry {
  std::string name{};
  std::string description{};
  std::vector<std::string> requirements{};  // "LSN-10"
  ServerGeometry servers{};
  ClientGeometry clients{};
  SilentGeometry silent_clients{};
  int repetitions = 1;
  // Upper bounds on aggregated counts, e.g. {"busy": 0} or {"failures": 0}; empty means the
  // geometry is informational (measured, never asserted). Keys: ok-outcome names (busy, absent,
  // refused, denied, timeout, other), "failures" (attempts not ok + failed handshakes),
  // "handshake_failed", "errors" (agent errors).
  std::map<std::string, std::int64_t> expect{};
  std::filesystem::path source{};

  bool informational() const { return expect.empty(); }
  std::int64_t attempts_per_repetition() const;
};

// A geometry file that breaks docs/formats/geometry.schema.json or a rule beyond it; the
// message names the file, the JSON path and what was expected.
class GeometryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

Geometry load_geometry(const std::filesystem::path& path);
Geometry parse_geometry(const nlohmann::json& document, const std::filesystem::path& source);
// Every *.json in `dir` except geometry.schema.json, sorted by name.
std::vector<Geometry> load_geometries(const std::filesystem::path& dir);

struct OutcomeCounts {
  std::int64_t attempts = 0;
  std::int64_t ok = 0, busy = 0, absent = 0, refused = 0, denied = 0, timeout = 0, other = 0;
  std::int64_t handshake_accepted = 0, handshake_failed = 0;
  std::int64_t retries = 0;

  std::int64_t failures() const { return attempts - ok + handshake_failed; }
  double busy_rate() const { return attempts ? double(busy) / double(attempts) : 0.0; }
  OutcomeCounts& operator+=(const OutcomeCounts& other);
  nlohmann::json to_json() const;
};

struct AgentError {
  std::string agent{};       // "client-3"
  std::string role{};        // "server" / "client"
  std::string op{};          // the request that failed ("start" for spawn / hello)
  std::string what{};        // AgentFailure / AgentReplyError message
  nlohmann::json details{};  // AgentFailure::to_json() or the error reply object
  std::string stderr_tail{};
  nlohmann::json to_json() const;
};

struct AgentFigures {
  std::string agent{};
  std::int64_t pid = 0;
  OutcomeCounts outcomes{};
  LatencySummary latency{};  // this agent's own percentiles
  double elapsed_ms = 0;
  nlohmann::json errors{};  // the agent's `errors` samples
  nlohmann::json to_json() const;
};

struct RepetitionResult {
  int index = 0;
  OutcomeCounts outcomes{};
  LatencySummary latency{};
  double wall_ms = 0;             // fire → last reply
  std::int64_t accepted = 0;      // sum of server `counters.accepted` deltas (when supported)
  double accepts_per_second = 0;  // accepted / wall time
  std::vector<AgentFigures> clients{};
  std::vector<AgentError> errors{};
  nlohmann::json to_json() const;
};

struct GeometryResult {
  std::string geometry{};
  std::string server_implementation{};
  std::string client_implementation{};
  std::vector<RepetitionResult> repetitions{};
  OutcomeCounts outcomes{};  // over every repetition
  OutcomeCounts silent{};    // the silent clients', over every repetition (not in `outcomes`)
  LatencySummary latency{};  // over every repetition
  double busy_rate = 0;
  double wall_ms = 0;  // whole run, start of the first agent to the last exit
  std::int64_t accepted = 0;
  double accepts_per_second = 0;  // accepted / sum of repetition wall times
  bool barrier = true;            // false when some client lacked dial.barrier (plain dial)
  std::vector<std::string> notes{};
  std::vector<AgentError> errors{};  // startup, listen, close, exit and every repetition's errors
  nlohmann::json to_json() const;
};

struct RunOptions {
  std::filesystem::path scratch_root{};  // endpoints go under it (PIPECHECK_ROOT / handshake root)
  std::filesystem::path log_dir{};       // {agent}.log per agent; empty: scratch_root/logs
  std::chrono::milliseconds start_timeout{30000};  // spawn + hello, per agent
  std::chrono::milliseconds op_timeout{5000};      // listen, prepare_dial, counters, close
  std::chrono::milliseconds exit_timeout{3000};
  // Bound for a dial/fire reply beyond what the geometry needs (timeout_ms or retry deadline
  // times connections_per_thread, plus pace and hold), capped at max_dial_timeout.
  std::chrono::milliseconds dial_slack{10000};
  std::chrono::milliseconds max_dial_timeout{120000};
};

GeometryResult run_geometry(const Geometry& geometry, const Implementation& server,
                            const Implementation& client, const RunOptions& options);

// Human-readable violations of geometry.expect ("busy: 3 > 0"); empty when met or informational.
// An agent error always violates a non-informational geometry.
std::vector<std::string> check_expectations(const Geometry& geometry, const GeometryResult& result);

// The report's view of a geometry run: parameters from the geometry, figures from the result.
GeometryRun to_geometry_run(const Geometry& geometry, const GeometryResult& result);

}  // namespace pipecheck::harness

// pipecheck/harness/report.hpp — the pipecheck report: the model and its JSON form.
//
// The JSON form ("format": "pipecheck-report", "format_version": 2) is described in
// docs/formats/report.md and validated by docs/formats/report.schema.json. This header has no process,
// agent or GoogleTest dependency: what works with reports lives beside it, one concern a header:
//   report_interop.hpp  the interop matrix derived from the checks
//   report_merge.hpp    merging reports of several runs (conflicts)
//   report_summary.hpp  the plain-text summary table
//   report_ctrf.hpp     CTRF export (report_junit.hpp, report_markdown.hpp, dashboard.hpp: more)
//   report_writer.hpp   run identity and the incremental, atomically rewritten report file
//   atomic_file.hpp     writing a file atomically
// and `to_geometry_run` (a geometry's result as a report entry) is in geometry.hpp.
//
//   pipecheck::harness::Report report = pipecheck::harness::read_report("out/report.json");
//   for (const auto& check : report.checks)
//     if (check.status == pipecheck::harness::Status::fail) std::cout << check.id << "\n";
//   std::cout << pipecheck::harness::to_json(report).dump(2);
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace pipecheck::harness {

inline constexpr std::string_view kReportFormat = "pipecheck-report";
inline constexpr int kReportFormatVersion = 2;
// Reports of format 1 (no `provided_by`) are still read.
inline constexpr int kOldestReadableReportFormatVersion = 1;

enum class Status { pass, fail, skip, unsupported, error };
inline constexpr Status kAllStatuses[] = {Status::pass, Status::fail, Status::skip,
                                          Status::unsupported, Status::error};

std::string_view to_string(Status status);
std::optional<Status> parse_status(std::string_view text);
// Higher is worse: error > fail > unsupported > skip > pass.
int severity(Status status);

// An implementation under test, as its agent described itself in `hello`.
struct ImplementationInfo {
  std::string name;
  std::string version;
  std::string platform;
  std::string arch;
  std::vector<std::string> capabilities;
  // Capability -> "library" or "agent", as the agent declared it (hello `provided_by`).
  std::map<std::string, std::string> provided_by{};
  bool operator==(const ImplementationInfo&) const = default;
};

enum class RunState { running, complete, interrupted };
std::string_view to_string(RunState state);

// Where and what ran. Reports of one `pipecheck run` share run_id; a merged report has several.
struct RunInfo {
  std::string run_id;
  RunState state = RunState::running;
  std::string interrupted_by;  // "SIGINT", "SIGTERM" when state == interrupted
  std::string pipecheck_version;
  std::string os;          // "linux", "windows", ...
  std::string os_release;  // kernel / OS version
  std::string arch;        // "x64", "arm64", ...
  std::string compiler;
  std::string git_commit;  // "unknown" when built without git
  std::string host;
  std::string started_at;   // RFC 3339 UTC, millisecond precision
  std::string finished_at;  // empty while running
  std::vector<ImplementationInfo> implementations;
};

// One check: one GoogleTest test of a suite executable.
struct Check {
  std::string id;  // "Suite.Test"
  std::vector<std::string> requirements;
  Status status = Status::error;
  double duration_ms = 0;
  std::string message;
  std::map<std::string, std::string> implementations;  // role ("server", "client", "agent") -> name
  nlohmann::json measurements = nlohmann::json::object();  // name -> number or object
  std::vector<std::string> logs;
  // Failed and errored checks: agent ("server-0 (node)") -> the end of its stderr, bounded.
  std::map<std::string, std::string> agent_stderr;
  std::string run_id;  // filled by ReportWriter / merge
};

// Connect latency in microseconds. `method` says how the figure was obtained:
//   "samples": exact percentiles over every agent's raw samples (agents with `dial.latencies`);
//   "per-agent-bound": agents gave only their own percentiles; p50/p90 are the attempt-weighted
//     median of the agents' figures and p99/max the maximum over agents (an upper bound).
struct LatencySummary {
  double p50 = 0, p90 = 0, p99 = 0, max = 0;
  std::string method = "samples";
  nlohmann::json to_json() const;
};

// One geometry run (queue size × accept workers × clients) with its figures.
struct GeometryRun {
  std::string name;                                      // e.g. "q5-w10-c4x100"
  std::string check;                                     // id of the check that ran it
  nlohmann::json parameters = nlohmann::json::object();  // queue_size, accept_workers, ...
  std::string server;                                    // implementation names
  std::string client;
  std::map<std::string, std::int64_t> outcomes;  // dial outcome -> count
  double busy_rate = 0;
  LatencySummary latency_us;  // p50/p90/p99/max and how they were obtained
  double accepts_per_s = 0;
  double wall_ms = 0;
  std::vector<std::string> errors;
  std::string run_id;
};

// Two reports disagree about the same check (same id, implementations and platform).
struct Conflict {
  std::string id;
  std::map<std::string, std::string> implementations;
  std::string platform;
  struct Entry {
    std::string run_id;
    Status status;
    std::string message;
  };
  std::vector<Entry> entries;
};

struct Report {
  std::vector<RunInfo> runs;
  std::vector<Check> checks;
  std::vector<GeometryRun> geometries;
  std::vector<Conflict> conflicts;
};

// Counts per status, over every check.
std::map<Status, int> count_by_status(const Report& report);

nlohmann::json to_json(const Report& report);
// One entry of /runs (also carried by the CTRF export).
nlohmann::json to_json(const RunInfo& run);

// Thrown for a document that is not a valid report; what() names the source, the JSON pointer of
// the field, the rule and what was expected.
class ReportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// `source` names the document in error messages (usually its file name).
Report report_from_json(const nlohmann::json& document, std::string_view source);
Report read_report(const std::filesystem::path& file);

// The JSON Schema of the report (docs/formats/report.schema.json, compiled in).
const nlohmann::json& report_schema();
// Schema violations of `document`, one line each ("/checks/0/status: ..."); empty when valid.
std::vector<std::string> validate_report(const nlohmann::json& document);

}  // namespace pipecheck::harness

// pipecheck/harness/report.hpp — the pipecheck report: model, JSON form, atomic incremental
// writing, merging and CTRF export.
//
// The JSON form ("format": "pipecheck-report", "format_version": 1) is described in
// docs/formats/report.md and validated by docs/formats/report.schema.json. A ReportWriter rewrites
// the file atomically (tmp + fsync + rename) after every check, so a crash loses nothing measured;
// an InterruptFlush marks the run `interrupted` and flushes on SIGINT/SIGTERM.
//
//   pipecheck::harness::ReportWriter writer("out/report.json", pipecheck::harness::current_run_info());
//   pipecheck::harness::InterruptFlush on_signal(writer);
//   writer.add_check({.id = "Hash.Vectors", .requirements = {"HASH-31"},
//                     .status = pipecheck::harness::Status::pass, .duration_ms = 12});
//   writer.finish();
//   nlohmann::json ctrf = pipecheck::harness::to_ctrf(writer.report());
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipecheck/harness/geometry.hpp"

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

// The report's view of a geometry run: parameters from the geometry, figures from the result.
GeometryRun to_geometry_run(const Geometry& geometry, const GeometryResult& result);

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

// The interop matrix: servers of one implementation with clients of another. Derived from the
// checks of the interop suite (ids starting with kInteropCheckPrefix, roles "server" and
// "client"), so merged reports get it for free; the JSON form carries it as `interop` when there
// is at least one cell.
inline constexpr std::string_view kInteropCheckPrefix = "Interop/";

struct InteropCell {
  std::string server;
  std::string client;
  // The worst status of its checks: error > fail > unsupported > skip > pass.
  Status outcome = Status::pass;
  std::map<std::string, Status> checks;  // test name ("RoundTrip") -> status
};

struct InteropMatrix {
  std::vector<std::string> servers;  // in order of first appearance
  std::vector<std::string> clients;
  std::vector<InteropCell> cells;  // one per (server, client) pair that ran
  const InteropCell* find(std::string_view server, std::string_view client) const;
};

InteropMatrix interop_matrix(const Report& report);

// Counts per status, over every check.
std::map<Status, int> count_by_status(const Report& report);

nlohmann::json to_json(const Report& report);

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

// Writes `text` to `file` atomically: `file.tmp` in the same directory, fsync, rename.
void write_file_atomically(const std::filesystem::path& file, std::string_view text);
void write_report(const std::filesystem::path& file, const Report& report);

// Combines reports of several runs, machines or implementations. Runs with the same run_id are
// joined; a check seen twice with the same id, implementations and platform but a different
// status or message becomes a Conflict (both entries are kept).
Report merge(const std::vector<Report>& reports);

// A plain-text table: checks per suite (the id before the first '.') and status, then every
// failed or errored check with its requirement ids, its whole message (bounded by
// kSummaryMessageBytes) and the stderr tails of its agents, then
// conflicts, then the interop matrix (client rows, server columns) when there is one. Ends with a
// newline.
inline constexpr std::size_t kSummaryMessageBytes = 64 * 1024;
std::string summary_table(const Report& report);

// CTRF (https://ctrf.io) export. pass→passed, fail→failed, skip→skipped; unsupported and error →
// `other`, with the pipecheck status in rawStatus and extra.pipecheck_status.
nlohmann::json to_ctrf(const Report& report);

// What this process is: version, OS, arch, compiler, git commit, host, start time, a fresh run id
// (or $PIPECHECK_RUN_ID when set, so that suite executables of one `pipecheck run` share it).
RunInfo current_run_info();
std::string utc_now_rfc3339();

// Holds a report and rewrites its file after every change. Thread-safe. With an empty path it
// only keeps the report in memory.
class ReportWriter {
 public:
  ReportWriter(std::filesystem::path file, RunInfo run);

  void add_implementation(const ImplementationInfo& implementation);
  void add_check(Check check);
  void add_geometry(GeometryRun geometry);
  // Replaces the whole report (e.g. with merged parts). The first run must stay this writer's
  // run; once interrupted it stays interrupted.
  void replace(Report report);
  void finish();                                 // state complete, finished_at set, flushed
  void interrupt(std::string_view signal_name);  // state interrupted, flushed

  Report report() const;
  const std::filesystem::path& file() const { return file_; }

 private:
  void flush_locked() const;

  std::filesystem::path file_;
  mutable std::mutex mutex_;
  Report report_;
  bool frozen_ = false;  // set by interrupt(): no more writes
};

// While alive, SIGINT / SIGTERM (Ctrl-C / Ctrl-Break / close on Windows) mark the writer's run
// interrupted, flush it, and then end the process with the signal's default action. The handler
// only writes one byte to a pipe; a normal thread does the flushing.
class InterruptFlush {
 public:
  explicit InterruptFlush(ReportWriter& writer);
  ~InterruptFlush();
  InterruptFlush(const InterruptFlush&) = delete;
  InterruptFlush& operator=(const InterruptFlush&) = delete;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace pipecheck::harness

// pipecheck/harness/suite_run.hpp — running conformance suite executables into one report: the
// library behind `pipecheck run` (cli/cmd_run.cpp keeps the options, the progress printer and the
// exit codes).
//
// Suites come from {build}/suites/manifest.json (written by pipecheck_add_suite). Each suite is
// listed first (`--gtest_list_tests`, bounded), then run with PIPECHECK_IMPLS, PIPECHECK_RUN_ID and
// its own part report (PIPECHECK_REPORT: hidden, beside the report,
// .{report name}.parts/{suite}.json, log next to it), bounded by its timeout: on expiry, or when a
// stop is requested, the suite is asked to exit (it then flushes its part), after a grace period
// killed, and every check it did not finish becomes an `error` entry saying why. The parts are
// merged into the report after every change, so an interrupted run keeps everything measured.
//
// Processes are started through the SuiteLauncher seam (cli/suite_process_*.cpp on each
// platform; GoogleMock in the unit tests), stops come through StopSource.
//
//   std::vector<Suite> suites = read_suite_manifest(build / "suites/manifest.json");
//   SuiteRunResult result = run_suites(suites, {.implementations = {"reference"},
//                                               .report_file = "out/reference.json"},
//                                      launcher, stop, progress);
//   if (result.interrupted_by) ...;
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "pipecheck/harness/report.hpp"

namespace pipecheck::harness {

// One suite executable of the manifest.
struct Suite {
  std::string name;  // "suite_hash"
  std::filesystem::path executable;
  std::vector<std::string> labels;
  std::chrono::milliseconds timeout{std::chrono::seconds(300)};
};

// A manifest that cannot be used, or a suite name not in it; what() names the file, the field and
// the rule.
class SuiteManifestError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::vector<Suite> read_suite_manifest(const std::filesystem::path& file);
// "suite_hash" answers to "suite_hash" and "hash"; "naming_suite" to "naming".
bool suite_matches(const Suite& suite, std::string_view wanted);
// The suites named in `wanted`, in that order. `manifest` names the file in the error message.
std::vector<Suite> select_suites(const std::vector<Suite>& suites,
                                 const std::vector<std::string>& wanted,
                                 const std::filesystem::path& manifest);

// The seam: one started suite process, with everything it starts.
class SuiteProcess {
 public:
  virtual ~SuiteProcess() = default;
  virtual bool exited() = 0;        // the suite itself has ended
  virtual void request_exit() = 0;  // SIGTERM to the suite and its agents: it flushes its part
  virtual void kill() = 0;          // SIGKILL to the suite and its agents
  virtual int finish() = 0;         // kills what is left, reaps, returns the suite's exit code
};

class SuiteLauncher {
 public:
  virtual ~SuiteLauncher() = default;
  // Starts `executable args...` with stdin closed, stdout and stderr appended to `log`, and
  // `environment` on top of this process's environment (an empty value removes the variable).
  // Throws std::runtime_error when it cannot be started.
  virtual std::unique_ptr<SuiteProcess> start(
      const std::filesystem::path& executable, const std::vector<std::string>& args,
      const std::filesystem::path& log, const std::map<std::string, std::string>& environment) = 0;
};

// Where a stop request (SIGINT/SIGTERM to `pipecheck run`) comes from.
class StopSource {
 public:
  virtual ~StopSource() = default;
  // The reason ("SIGTERM"), without waiting; nullopt while no stop was requested.
  virtual std::optional<std::string> requested() = 0;
  // Returns at `deadline` or earlier when a stop is requested.
  virtual void wait_until(std::chrono::steady_clock::time_point deadline) = 0;
};

// How a suite process ended.
struct SuiteEnding {
  bool timed_out = false;
  std::optional<std::string> interrupted_by;  // "SIGINT", "SIGTERM", ...
  int exit_code = 0;                          // -1: could not be run
  std::string description;  // "exited with status 1", "timed out after 300 s (killed)"
  // Timed out, killed by a signal or could not be run (exit code 1 only says a check failed).
  bool abnormal() const { return timed_out || exit_code > 1 || exit_code < 0; }
};

// What the run tells as it goes (the CLI prints it).
class SuiteRunObserver {
 public:
  virtual ~SuiteRunObserver() = default;
  virtual void suite_started(std::size_t index, std::size_t count, const Suite& suite,
                             std::size_t expected_checks) = 0;
  // The checks of the running suite so far (called again whenever its part report changes).
  virtual void checks(const std::vector<Check>& checks) = 0;
  virtual void suite_finished(const Suite& suite, const SuiteEnding& ending) = 0;
};

struct SuiteRunOptions {
  std::vector<std::string> implementations;  // registry names, PIPECHECK_IMPLS
  std::filesystem::path report_file = "pipecheck-report.json";
  std::chrono::milliseconds poll_interval{100};  // how often the part report is looked at
  std::chrono::milliseconds term_grace{std::chrono::seconds(5)};     // exit request -> kill
  std::chrono::milliseconds list_timeout{std::chrono::seconds(30)};  // --gtest_list_tests
};

struct SuiteRunResult {
  Report report;  // as written to report_file
  std::filesystem::path report_file;
  std::optional<std::string> interrupted_by;  // the stop reason; suites not started are missing
  std::filesystem::path parts_dir;            // part reports, suite logs and listings
};

// Runs `suites` in order until done or a stop is requested and writes the report (complete, or
// interrupted with the stop reason) to options.report_file after every change.
SuiteRunResult run_suites(const std::vector<Suite>& suites, const SuiteRunOptions& options,
                          SuiteLauncher& launcher, StopSource& stop, SuiteRunObserver& observer);

}  // namespace pipecheck::harness

// Approval tests of what `pipecheck run` prints (run_progress.hpp): the progress of a fixed
// two-suite run as plain lines and as a terminal's updating line, the final table with the
// expected-findings comparison, and an interrupted run. The approved files are
// reports/expected/run.*.txt; harness/tests/approval.hpp says how to update them.
#include "run_progress.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "approval.hpp"

namespace pipecheck::cli {
namespace {

namespace harness = pipecheck::harness;
using harness::Check;
using harness::Status;

Check check(std::string id, Status status, double duration_ms, std::string message = {}) {
  Check c;
  c.id = std::move(id);
  c.requirements = {"HASH-1"};
  c.status = status;
  c.duration_ms = duration_ms;
  c.message = std::move(message);
  c.implementations = {{"agent", "reference"}};
  c.run_id = "run-1";
  return c;
}

harness::Suite suite(const std::string& name) {
  return {name, "build/ci/suites/" + name, {"conformance"}, std::chrono::seconds(300)};
}

harness::SuiteEnding exited(int code) {
  return {false, std::nullopt, code, "exited with status " + std::to_string(code)};
}

// Feeds `progress` what run_suites() tells it for a fixed run: suite_hash passes in two part
// updates; suite_close fails one check and times out before its last.
std::vector<Check> play_run(RunProgress& progress) {
  const std::vector<Check> hash = {check("Hash.Vectors", Status::pass, 12),
                                   check("Hash.Profile", Status::pass, 3.7)};
  progress.suite_started(0, 2, suite("suite_hash"), 2);
  progress.checks({hash[0]});
  progress.checks(hash);
  progress.suite_finished(suite("suite_hash"), exited(0));

  const std::vector<Check> close = {
      check("Close.Once", Status::pass, 40),
      check("Close.UnlinksOnlyItsOwnFile", Status::fail, 85, "close.cpp:120: unlinked a file"),
      check("Close.Races", Status::error, 0,
            "suite suite_close timed out after 300 s (killed) before this check finished (log: "
            "out/.reference.json.parts/suite_close.log)")};
  progress.suite_started(1, 2, suite("suite_close"), 3);
  progress.checks({close[0], close[1]});
  progress.checks(close);
  progress.suite_finished(suite("suite_close"),
                          {true, std::nullopt, 137, "timed out after 300 s (killed)"});
  std::vector<Check> all = hash;
  all.insert(all.end(), close.begin(), close.end());
  return all;
}

harness::SuiteRunResult result_of(std::vector<Check> checks) {
  harness::RunInfo run;
  run.run_id = "run-1";
  run.state = harness::RunState::complete;
  run.os = "linux";
  run.implementations = {
      {"reference", "0.1.0", "linux", "x64", {"listen"}, {{"listen", "library"}}}};
  harness::SuiteRunResult result;
  result.report.runs = {run};
  result.report.checks = std::move(checks);
  result.report_file = "out/reference.json";
  result.parts_dir = "out/.reference.json.parts";
  return result;
}

TEST(RunProgress, PlainProgressAndFinalTableMatchApprovedFile) {
  std::ostringstream out;
  RunProgress progress(out, false);
  const harness::SuiteRunResult result = result_of(play_run(progress));
  const std::vector<harness::ExpectedFinding> expected = {
      {"reference", "Close.UnlinksOnlyItsOwnFile", Status::fail, "a known finding"}};
  progress.finished(result, 2, "reference",
                    harness::compare_findings(result.report, expected, {"reference"}));
  approval::expect_approved(out.str(), "run.progress.txt");
}

TEST(RunProgress, TerminalProgressMatchesApprovedFile) {
  std::ostringstream out;
  RunProgress progress(out, true);
  const harness::SuiteRunResult result = result_of(play_run(progress));
  progress.finished(result, 2, "reference", std::nullopt);
  approval::expect_approved(out.str(), "run.progress.tty.txt");
}

TEST(RunProgress, InterruptedRunMatchesApprovedFile) {
  std::ostringstream out;
  RunProgress progress(out, false);
  progress.suite_started(0, 2, suite("suite_hash"), 2);
  const std::vector<Check> checks = {
      check("Hash.Vectors", Status::pass, 12),
      check("Hash.Profile", Status::error, 0,
            "suite suite_hash was stopped by SIGTERM to pipecheck run before this check finished "
            "(log: out/.reference.json.parts/suite_hash.log)")};
  progress.checks(checks);
  progress.suite_finished(suite("suite_hash"),
                          {false, "SIGTERM", 143, "was stopped by SIGTERM to pipecheck run"});
  harness::SuiteRunResult result = result_of(checks);
  result.report.runs[0].state = harness::RunState::interrupted;
  result.interrupted_by = "SIGTERM";
  progress.finished(result, 2, "reference", std::nullopt);
  approval::expect_approved(out.str(), "run.interrupted.txt");
}

}  // namespace
}  // namespace pipecheck::cli

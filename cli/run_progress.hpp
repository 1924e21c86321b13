// run_progress.hpp — what `pipecheck run` prints: progress while the suites run (one updating
// line per suite on a terminal, a plain line per finished check otherwise) and the final summary.
// Approved output: reports/expected/run.progress.txt, run.progress.tty.txt,
// run.interrupted.txt (cli/tests/run_progress_test.cpp).
//
//   RunProgress progress(std::cout, isatty(STDOUT_FILENO) != 0);
//   harness::SuiteRunResult result = harness::run_suites(suites, options, launcher, stop, progress);
//   progress.finished(result, {.implementations = "reference"});
#pragma once

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "pipecheck/harness/expected_findings.hpp"
#include "pipecheck/harness/suite_run.hpp"

namespace pipecheck::cli {

class RunProgress : public harness::SuiteRunObserver {
 public:
  RunProgress(std::ostream& out, bool terminal) : out_(out), terminal_(terminal) {}

  void suite_started(std::size_t index, std::size_t count, const harness::Suite& suite,
                     std::size_t expected_checks) override;
  void checks(const std::vector<harness::Check>& checks) override;
  void suite_finished(const harness::Suite& suite, const harness::SuiteEnding& ending) override;

  // The end of the run: the summary table, where the report is, and with --expect the comparison
  // with the expected findings (`comparison`).
  void finished(const harness::SuiteRunResult& result, std::size_t suite_count,
                const std::string& implementations,
                const std::optional<harness::FindingsComparison>& comparison);

 private:
  std::ostream& out_;
  bool terminal_;
  std::size_t index_ = 0;
  std::size_t count_ = 0;
  std::string suite_;
  std::size_t expected_ = 0;
  std::size_t shown_ = 0;
};

}  // namespace pipecheck::cli

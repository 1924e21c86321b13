// main() of every conformance suite executable (linked in by pipecheck_add_suite).
//
// Installs the report listener: one check per test, written to --pipecheck_report=FILE or
// $PIPECHECK_REPORT after every test, flushed and marked `interrupted` on SIGINT/SIGTERM. It
// starts no agents itself: suites register their own global test environments. What the agents
// start is gone when the suite ends, even what left their process group (harness/descendants.hpp).
//
//   PIPECHECK_IMPLS=reference PIPECHECK_REPORT=out/hash.json build/default/suites/suite_hash
//
// Exit status: 0 when no check failed or errored (a test that passes but names no requirement
// is an error), 1 otherwise.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <iostream>
#include <optional>

#include "common/gtest_report.hpp"
#include "pipecheck/harness/descendants.hpp"
#include "pipecheck/harness/report.hpp"
#include "pipecheck/harness/report_writer.hpp"

int main(int argc, char** argv) {
  namespace harness = pipecheck::harness;
  const std::filesystem::path report_file = harness::report_path_from(argc, argv);
  testing::InitGoogleMock(&argc, argv);
  harness::adopt_orphans();

  harness::ReportListener* listener = nullptr;
  try {
    listener = new harness::ReportListener(report_file);
  } catch (const harness::ReportError& e) {
    std::cerr << "pipecheck: cannot write the report: " << e.what() << "\n";
    return 2;
  }
  // GoogleTest owns appended listeners and deletes them at exit.
  testing::UnitTest::GetInstance()->listeners().Append(listener);
  std::optional<harness::InterruptFlush> flush_on_signal;
  if (!report_file.empty()) flush_on_signal.emplace(listener->writer());

  const int gtest_status = RUN_ALL_TESTS();
  const bool checks_ok = listener->all_checks_ok();
  harness::kill_descendants({}, std::chrono::seconds(5));
  if (gtest_status == 0 && !checks_ok)
    std::cerr << "pipecheck: some checks are errors although their tests passed (see the report: "
                 "a check must name a requirement)\n";
  return gtest_status == 0 && checks_ok ? 0 : 1;
}

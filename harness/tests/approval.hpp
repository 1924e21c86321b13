// approval.hpp — approval (golden) tests of what a person or a machine reads: the actual text is
// compared with an approved file under reports/expected/, the way GoogleTest golden-tests its own
// output. Shared by the harness and CLI unit tests.
//
// On a mismatch the test fails with the first differing lines and writes the actual text to
// ./report_approval_actual/NAME (in the test's working directory). To accept a change, run the
// test with PIPECHECK_APPROVE=1: it rewrites reports/expected/NAME, and the diff goes to review:
//
//   PIPECHECK_APPROVE=1 ctest --preset ci -L unit -R Dashboard
//   git diff reports/expected/
//
//   TEST(Summary, Approved) { pipecheck::approval::expect_approved(summary_table(r), "x.txt"); }
#pragma once

#include <filesystem>
#include <string>

namespace pipecheck::approval {

// reports/expected/ in the source tree.
std::filesystem::path expected_dir();
// The whole content of `file` (empty when it cannot be read).
std::string read_text(const std::filesystem::path& file);

// Compares `actual` with reports/expected/`name` (a GoogleTest failure when they differ or the
// file is missing); with PIPECHECK_APPROVE=1 writes `actual` there instead.
void expect_approved(const std::string& actual, const std::string& name);

}  // namespace pipecheck::approval

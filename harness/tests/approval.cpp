// The approval helper: compare with reports/expected/, show the first differences, or approve.
#include "approval.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string_view>

#include "pipecheck/harness/atomic_file.hpp"

namespace pipecheck::approval {
namespace {

namespace fs = std::filesystem;

constexpr int kShownDifferences = 20;

// The first kShownDifferences differing lines, "line N:\n  - expected\n  + actual".
std::string line_diff(const std::string& expected, const std::string& actual) {
  std::istringstream e_lines(expected), a_lines(actual);
  std::string e, a, diff;
  int line = 0, shown = 0;
  while (shown < kShownDifferences) {
    const bool more_e = static_cast<bool>(std::getline(e_lines, e));
    const bool more_a = static_cast<bool>(std::getline(a_lines, a));
    if (!more_e && !more_a) break;
    ++line;
    if (more_e && more_a && e == a) continue;
    ++shown;
    diff += "line " + std::to_string(line) + ":\n  - " + (more_e ? e : "<end>") + "\n  + " +
            (more_a ? a : "<end>") + "\n";
  }
  return diff;
}

}  // namespace

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

fs::path expected_dir() {
  return fs::path(PIPECHECK_SOURCE_DIR) / "reports" / "expected";
}

void expect_approved(const std::string& actual, const std::string& name) {
  const fs::path expected_file = expected_dir() / name;
  const char* approve = std::getenv("PIPECHECK_APPROVE");
  if (approve != nullptr && std::string_view(approve) == "1") {
    harness::write_file_atomically(expected_file, actual);
    return;
  }
  ASSERT_TRUE(fs::exists(expected_file))
      << expected_file << " is missing; run with PIPECHECK_APPROVE=1 to create it";
  const std::string expected = read_text(expected_file);
  if (expected == actual) return;
  const fs::path actual_file = fs::current_path() / "report_approval_actual" / name;
  harness::write_file_atomically(actual_file, actual);
  ADD_FAILURE() << name << " differs from the approved file " << expected_file
                << " (actual written to " << actual_file << "; PIPECHECK_APPROVE=1 accepts it):\n"
                << line_diff(expected, actual);
}

}  // namespace pipecheck::approval

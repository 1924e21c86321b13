// `pipecheck run`'s progress lines and final summary.
#include "run_progress.hpp"

#include <map>

#include "pipecheck/harness/report_summary.hpp"

namespace pipecheck::cli {

namespace harness = pipecheck::harness;

void RunProgress::suite_started(std::size_t index, std::size_t count, const harness::Suite& suite,
                                std::size_t expected_checks) {
  index_ = index;
  count_ = count;
  suite_ = suite.name;
  expected_ = expected_checks;
  shown_ = 0;
  if (!terminal_)
    out_ << "[" << index_ + 1 << "/" << count_ << "] " << suite_ << ": " << expected_checks
         << " checks\n"
         << std::flush;
}

void RunProgress::checks(const std::vector<harness::Check>& checks) {
  if (terminal_) {
    std::map<harness::Status, int> counts;
    for (const auto& c : checks) ++counts[c.status];
    std::string line = "\r\033[K[" + std::to_string(index_ + 1) + "/" + std::to_string(count_) +
                       "] " + suite_ + "  " + std::to_string(checks.size()) + "/" +
                       std::to_string(expected_) + " checks";
    for (const auto& [status, count] : counts)
      line += "  " + std::string(harness::to_string(status)) + " " + std::to_string(count);
    out_ << line << std::flush;
    return;
  }
  for (; shown_ < checks.size(); ++shown_) {
    const auto& c = checks[shown_];
    out_ << "  " << harness::to_string(c.status) << "  " << c.id << " ("
         << static_cast<long long>(c.duration_ms) << " ms)\n";
  }
  out_ << std::flush;
}

void RunProgress::suite_finished(const harness::Suite& suite, const harness::SuiteEnding& ending) {
  if (terminal_) out_ << "\n";
  if (ending.abnormal()) out_ << "  " << suite.name << " " << ending.description << "\n";
  out_ << std::flush;
}

void RunProgress::finished(const harness::SuiteRunResult& result, std::size_t suite_count,
                           const std::string& implementations,
                           const std::optional<harness::FindingsComparison>& comparison) {
  out_ << "\n" << harness::summary_table(result.report);
  if (result.interrupted_by) {
    out_ << "\npipecheck run: interrupted by " << *result.interrupted_by
         << "; report: " << result.report_file.string() << "\n";
  } else {
    out_ << "\nreport: " << result.report_file.string() << " (" << result.report.checks.size()
         << " checks from " << suite_count << " suite(s), implementations: " << implementations
         << ")\nsuite logs and part reports: " << result.parts_dir.string() << "\n";
    if (comparison) out_ << "\n" << comparison->summary();
  }
  out_ << std::flush;
}

}  // namespace pipecheck::cli

// pipecheck/harness/dashboard.hpp — the CI matrix dashboard: one self-contained HTML page for
// merged reports (inline CSS and SVG, no script, nothing fetched), and the diff against a baseline
// report that it shows and that `--fail-on-regression` gates on.
//
// Sections, in order: header (runs, totals, verdict against expected findings), implementation ×
// platform-leg matrix, requirement × implementation table (every requirement of docs/spec.md,
// compiled in from the spec at build time), interop matrix, busy-rate heatmaps and latency per
// geometry, failures with whole messages and agents' stderr tails, diff against the baseline,
// the suite's strength (kill rate of the mutation self-test).
// Everything from a report is escaped, made valid UTF-8 and bounded. The format of the page is
// described in docs/dashboard.md.
//
//   pipecheck::harness::DashboardOptions options;
//   options.baseline = pipecheck::harness::read_report("last.json");
//   std::string html = pipecheck::harness::dashboard_html(merged, options);
//   bool worse = pipecheck::harness::diff_reports(*options.baseline, merged).regressed();
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipecheck/harness/mutation_report.hpp"
#include "pipecheck/harness/report.hpp"

namespace pipecheck::harness {

// One requirement row of docs/spec.md (generated at build time by cmake/spec_requirements.py).
struct SpecRequirement {
  std::string_view id;        // "LSN-4"
  std::string_view level;     // MUST, SHOULD, MAY
  std::string_view platform;  // all, unix, linux, windows
  std::string_view text;      // the row's text (Markdown)
  std::string_view anchor;    // GitHub anchor of the section heading it is under
};
const std::vector<SpecRequirement>& spec_requirements();

// What changed from a baseline report to the current one. Checks are matched by id,
// implementation roles and platform leg; geometries by name, server, client and leg.
struct ReportDiff {
  struct Change {
    std::string id;                // check id (or geometry name)
    std::string where;             // "node @ linux-x64"
    std::optional<Status> before;  // none: the check is new
    std::optional<Status> after;   // none: the check was removed
  };
  struct BusyChange {
    std::string geometry;
    std::string where;
    double before = 0;
    double after = 0;
  };
  std::vector<Change> new_failures;      // fail/error now; pass, skip, unsupported or absent before
  std::vector<Change> fixed;             // fail/error before, pass now
  std::vector<Change> status_changes;    // every other change of status
  std::vector<Change> added;             // not in the baseline (and not a failure)
  std::vector<Change> removed;           // in the baseline only
  std::vector<BusyChange> busy_changes;  // |after - before| > threshold
  // Anything worse: a new failure, a status change to a worse one, a busy rate up by more than
  // the threshold. Removed checks are listed but do not count (renames would gate CI).
  bool regressed() const;
  std::size_t worse_busy = 0;    // busy_changes that went up
  std::size_t worse_status = 0;  // status_changes to a worse status
};

inline constexpr double kBusyRateThreshold = 0.10;  // absolute: 10 percentage points
ReportDiff diff_reports(const Report& baseline, const Report& current,
                        double busy_threshold = kBusyRateThreshold);

struct DashboardOptions {
  std::optional<Report> baseline;
  std::string baseline_name;  // shown in the diff section (usually the file name)
  // Verdict against expected findings (`--expect`): absent when not asked for.
  struct Verdict {
    bool matches = false;
    std::string file;
    std::string details;  // FindingsComparison::summary()
  };
  std::optional<Verdict> verdict;
  // The suite's kill rate from the mutation self-test (`--mutation`): absent when not given.
  std::optional<MutationScore> mutation;
  std::string spec_url = "docs/spec.md";  // requirement ids link to {spec_url}#{anchor}
  std::string title = "pipecheck conformance";
  double busy_threshold = kBusyRateThreshold;
};

// Bounds on what a report puts on the page (the rest is cut and marked).
inline constexpr std::size_t kPageMessageBytes = 16 * 1024;
inline constexpr std::size_t kPageFieldBytes = 256;
inline constexpr std::size_t kPageStderrBytes = 4096;

std::string dashboard_html(const Report& report, const DashboardOptions& options);

}  // namespace pipecheck::harness

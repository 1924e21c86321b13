// pipecheck report — work with report files: export to CTRF, JUnit and the HTML dashboard,
// merge, validate, summarise (as text or Markdown).
//
//   pipecheck report ctrf reports/out/reference.json reports/out/reference.ctrf.json
//   pipecheck report merge all.json linux.json windows.json
//   pipecheck report validate reports/out/*.json
//   pipecheck report summary reports/out/reference.json [--markdown | --expect FILE]
//   pipecheck report html build/ci/dashboard/index.html linux.json windows.json
//   pipecheck report junit reports/out/reference.json junit.xml
//
// Exit codes: 0 success; 1 merge found conflicts (the merged file is still written, the
// conflicts are listed) or summary shows failed/errored checks; 2 bad usage or a bad input file.
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "options.hpp"
#include "pipecheck/harness/report.hpp"
#include "pipecheck/harness/report_ctrf.hpp"
#include "pipecheck/harness/report_merge.hpp"
#include "pipecheck/harness/report_summary.hpp"
#include "report_exports.hpp"

namespace pipecheck::cli {
namespace {

namespace harness = pipecheck::harness;

constexpr std::string_view kUsage =
    "usage: pipecheck report ctrf IN OUT        export IN as CTRF JSON to OUT ('-' = stdout)\n"
    "       pipecheck report merge OUT IN...    combine reports; conflicts are listed (exit 1)\n"
    "       pipecheck report validate FILE...   check against docs/formats/report.schema.json\n"
    "       pipecheck report summary FILE [--markdown | --expect FILE]\n"
    "                                           print the per-suite table and the failures;\n"
    "                                           --expect: exit 1 unless every one is listed\n"
    "       pipecheck report html OUT.html IN.json... [--baseline OLD.json] [--expect FILE]\n"
    "                             [--fail-on-regression] [--spec-url URL] [--title TEXT]\n"
    "                                           the CI dashboard: one self-contained page\n"
    "       pipecheck report junit IN OUT       export IN as JUnit XML to OUT ('-' = stdout)\n";

int ctrf(const std::vector<std::string>& args) {
  if (args.size() != 2)
    throw UsageError("ctrf takes IN and OUT, got " + std::to_string(args.size()) + " arguments");
  const harness::Report report = harness::read_report(args[0]);
  write_output(args[1], harness::to_ctrf(report).dump(2) + "\n");
  return 0;
}

int merge(const std::vector<std::string>& args) {
  if (args.size() < 2) throw UsageError("merge takes OUT and at least one IN");
  std::vector<harness::Report> inputs;
  for (std::size_t i = 1; i < args.size(); ++i) inputs.push_back(harness::read_report(args[i]));
  const harness::Report merged = harness::merge(inputs);
  write_output(args[0], harness::to_json(merged).dump(2) + "\n");
  if (merged.conflicts.empty()) return 0;
  std::cerr << "pipecheck report merge: " << merged.conflicts.size()
            << " conflict(s): the same check, implementations and platform with different results "
               "(all entries are kept in "
            << args[0] << ")\n";
  for (const auto& c : merged.conflicts) {
    std::cerr << "  " << c.id << " on " << c.platform << ":";
    for (const auto& e : c.entries)
      std::cerr << " " << harness::to_string(e.status) << "@" << e.run_id;
    std::cerr << "\n";
  }
  return 1;
}

int validate(const std::vector<std::string>& args) {
  if (args.empty()) throw UsageError("validate takes at least one FILE");
  int status = 0;
  for (const auto& file : args) {
    try {
      harness::read_report(file);
      std::cout << file << ": valid pipecheck report (format version "
                << harness::kReportFormatVersion << ")\n";
    } catch (const harness::ReportError& e) {
      std::cerr << e.what() << "\n";
      status = 2;
    }
  }
  return status;
}

int summary(const std::vector<std::string>& args) {
  std::vector<std::string> files = args;
  if (std::erase(files, "--markdown") > 0) return report_summary_markdown(files);
  if (files.size() == 3 && files[1] == "--expect") return report_summary_expect(files[0], files[2]);
  if (args.size() != 1) throw UsageError("summary takes one FILE");
  const harness::Report report = harness::read_report(args[0]);
  std::cout << harness::summary_table(report);
  const auto counts = harness::count_by_status(report);
  return counts.at(harness::Status::fail) + counts.at(harness::Status::error) == 0 ? 0 : 1;
}

}  // namespace

int cmd_report(const std::vector<std::string>& args) {
  if (args.empty() || help_requested(args)) {
    (args.empty() ? std::cerr : std::cout) << kUsage;
    return args.empty() ? 2 : 0;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  try {
    if (args[0] == "ctrf") return ctrf(rest);
    if (args[0] == "merge") return merge(rest);
    if (args[0] == "validate") return validate(rest);
    if (args[0] == "summary") return summary(rest);
    if (args[0] == "html") return report_html(rest);
    if (args[0] == "junit") return report_junit(rest);
  } catch (const harness::ReportError& e) {
    std::cerr << "pipecheck report " << args[0] << ": " << e.what() << "\n";
    return 2;
  }
  throw UsageError("unknown report action \"" + args[0] +
                   "\" (ctrf, merge, validate, summary, html, junit)\n" + std::string(kUsage));
}

}  // namespace pipecheck::cli

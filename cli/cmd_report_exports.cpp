// pipecheck report html | junit | summary --markdown: see report_exports.hpp.
//
// html: OUT IN... [--baseline OLD.json] [--expect FILE] [--fail-on-regression] [--mutation FILE]
//   [--spec-url URL] [--title TEXT]. The inputs are merged as `report merge` does (conflicts are shown, not
//   fatal). Exit 0, or 1 with --fail-on-regression when the diff against the baseline found
//   anything worse; 2 for bad usage or a bad input file.
#include <chrono>
#include <iostream>
#include <set>

#include "options.hpp"
#include "pipecheck/harness/atomic_file.hpp"
#include "pipecheck/harness/dashboard.hpp"
#include "pipecheck/harness/expected_findings.hpp"
#include "pipecheck/harness/mutation_report.hpp"
#include "pipecheck/harness/report_junit.hpp"
#include "pipecheck/harness/report_markdown.hpp"
#include "pipecheck/harness/report_merge.hpp"
#include "pipecheck/harness/report_summary.hpp"
#include "pipecheck/harness/report_view.hpp"
#include "report_exports.hpp"

namespace pipecheck::cli {
namespace {

namespace harness = pipecheck::harness;

// Positional arguments and `--name value` / `--flag` options (strictly: unknown ones are errors).
struct Arguments {
  std::vector<std::string> positional;
  ParsedOptions options;
};

Arguments split_arguments(const std::vector<std::string>& args,
                          const std::vector<OptionSpec>& specs) {
  Arguments out;
  std::vector<std::string> option_args;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i].rfind("--", 0) != 0 || args[i] == "-") {
      out.positional.push_back(args[i]);
      continue;
    }
    option_args.push_back(args[i]);
    const std::string name = args[i].substr(2, args[i].find('=') - 2);
    for (const auto& spec : specs)
      if (spec.name == name && !spec.value_name.empty() && args[i].find('=') == std::string::npos &&
          i + 1 < args.size())
        option_args.push_back(args[++i]);
  }
  out.options = parse_options(option_args, specs);
  return out;
}

const std::vector<OptionSpec> kHtmlOptions{
    {"baseline", "OLD.json", "a report of an earlier run: the page shows what changed"},
    {"expect", "FILE", "known findings (fixtures/expected-findings.json): the verdict"},
    {"fail-on-regression", "", "exit 1 when anything got worse than in the baseline"},
    {"mutation", "FILE", "the mutation self-test's report (ci/mutants): the suite's kill rate"},
    {"spec-url", "URL", "where requirement ids link to (default: docs/spec.md)"},
    {"title", "TEXT", "the page title (default: pipecheck conformance)"},
};

std::vector<std::string> implementation_names(const harness::Report& report) {
  std::set<std::string> names;
  for (const auto& c : report.checks)
    for (const auto& n : harness::check_implementations(c)) names.insert(n);
  for (const auto& run : report.runs)
    for (const auto& i : run.implementations) names.insert(i.name);
  return {names.begin(), names.end()};
}

}  // namespace

void write_output(const std::string& out, const std::string& text) {
  if (out == "-") {
    std::cout << text << std::flush;
  } else {
    harness::write_file_atomically(out, text);
  }
}

int report_html(const std::vector<std::string>& args) {
  const Arguments a = split_arguments(args, kHtmlOptions);
  if (a.positional.size() < 2) throw UsageError("html takes OUT.html and at least one IN.json");
  const auto started = std::chrono::steady_clock::now();
  std::vector<harness::Report> inputs;
  for (std::size_t i = 1; i < a.positional.size(); ++i)
    inputs.push_back(harness::read_report(a.positional[i]));
  const harness::Report merged = harness::merge(inputs);

  harness::DashboardOptions options;
  if (const auto baseline = a.options.value("baseline")) {
    options.baseline = harness::read_report(*baseline);
    options.baseline_name = *baseline;
  }
  if (a.options.has("fail-on-regression") && !options.baseline)
    throw UsageError("--fail-on-regression needs --baseline OLD.json");
  if (const auto expect = a.options.value("expect")) {
    std::vector<harness::ExpectedFinding> expected;
    try {
      expected = harness::load_expected_findings(*expect);
    } catch (const harness::ExpectedFindingsError& e) {
      throw UsageError(std::string("option --expect: ") + e.what());
    }
    const auto comparison =
        harness::compare_findings(merged, expected, implementation_names(merged));
    options.verdict =
        harness::DashboardOptions::Verdict{comparison.ok(), *expect, comparison.summary()};
  }
  if (const auto mutation = a.options.value("mutation")) {
    try {
      options.mutation = harness::read_mutation_report(*mutation);
    } catch (const harness::MutationReportError& e) {
      throw UsageError(std::string("option --mutation: ") + e.what());
    }
  }
  options.spec_url = a.options.value_or("spec-url", options.spec_url);
  options.title = a.options.value_or("title", options.title);

  const std::string page = harness::dashboard_html(merged, options);
  write_output(a.positional[0], page);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  if (a.positional[0] != "-")
    std::cerr << "pipecheck report html: " << a.positional[0] << " (" << merged.checks.size()
              << " checks, " << merged.geometries.size() << " geometries, "
              << (page.size() + 1023) / 1024 << " KiB, " << ms << " ms)\n";
  if (options.baseline && a.options.has("fail-on-regression")) {
    const auto diff = harness::diff_reports(*options.baseline, merged, options.busy_threshold);
    if (diff.regressed()) {
      std::cerr << "pipecheck report html: worse than the baseline " << options.baseline_name
                << ": " << diff.new_failures.size() << " new failure(s), " << diff.worse_status
                << " worse status(es), " << diff.worse_busy << " busy rate(s) up\n";
      return 1;
    }
  }
  return 0;
}

int report_junit(const std::vector<std::string>& args) {
  if (args.size() != 2)
    throw UsageError("junit takes IN and OUT, got " + std::to_string(args.size()) + " arguments");
  write_output(args[1], harness::junit_xml(harness::read_report(args[0])));
  return 0;
}

int report_summary_expect(const std::string& file, const std::string& expect) {
  const harness::Report report = harness::read_report(file);
  std::vector<harness::ExpectedFinding> expected;
  try {
    expected = harness::load_expected_findings(expect);
  } catch (const harness::ExpectedFindingsError& e) {
    throw UsageError(std::string("option --expect: ") + e.what());
  }
  std::cout << harness::summary_table(report);
  const auto comparison = harness::compare_findings(report, expected, implementation_names(report));
  std::cout << "\n" << comparison.summary();
  return comparison.ok() ? 0 : 1;
}

int report_summary_markdown(const std::vector<std::string>& args) {
  if (args.size() != 1) throw UsageError("summary --markdown takes one FILE");
  const harness::Report report = harness::read_report(args[0]);
  std::cout << harness::summary_markdown(report);
  const auto counts = harness::count_by_status(report);
  return counts.at(harness::Status::fail) + counts.at(harness::Status::error) == 0 ? 0 : 1;
}

}  // namespace pipecheck::cli

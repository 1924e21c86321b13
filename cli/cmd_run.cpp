// pipecheck run — run the conformance suite executables against implementations, one report: the
// options, the progress printer (run_progress.hpp) and the exit codes around the harness's
// run_suites() (pipecheck/harness/suite_run.hpp), with this platform's suite processes
// (suite_launcher.hpp).
//
//   pipecheck run --impl reference --report reports/out/reference.json
//   pipecheck run --impl reference,node --suite hash,naming --build-dir build/default
//
// Suites come from {build-dir}/suites/manifest.json (written by pipecheck_add_suite). Each suite
// executable runs with PIPECHECK_IMPLS, PIPECHECK_RUN_ID and its own part report (hidden, beside
// the report: .{report name}.parts/{suite}.json, log next to it), in a process group of its own
// with the agents it starts, bounded by its timeout: on expiry, or on SIGINT/SIGTERM to pipecheck
// run, the group gets SIGTERM (the suite then flushes its part), 5 s later SIGKILL, and every check
// it did not finish becomes an `error` entry saying why; processes left once it ends are killed.
// The parts are merged into the report after every change, so an interrupted run keeps
// everything measured. Exit: 0 no check failed or errored, 1 some did, 2 bad usage, 130/143
// interrupted by SIGINT/SIGTERM. With --expect FILE (fixtures/expected-findings.json) failures
// listed there are known findings: exit 0 when the report matches the file exactly (no new failure,
// no listed finding changed or missing), 1 otherwise.
//
//   pipecheck run --impl reference,node,python --expect fixtures/expected-findings.json
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#ifdef _WIN32
#include <io.h>
#else
#include <unistd.h>
#endif

#include "commands.hpp"
#include "options.hpp"
#include "pipecheck/harness/expected_findings.hpp"
#include "pipecheck/harness/registry.hpp"
#include "pipecheck/harness/report.hpp"
#include "pipecheck/harness/suite_run.hpp"
#include "run_progress.hpp"
#include "stop_signal.hpp"
#include "suite_launcher.hpp"

namespace pipecheck::cli {
namespace {

namespace fs = std::filesystem;
namespace harness = pipecheck::harness;

const std::vector<OptionSpec> kOptions{
    {"impl", "NAME[,NAME...]", "implementations under test (names in fixtures/impls.json)"},
    {"suite", "NAME[,NAME...]", "run only these suites (default: every suite in the manifest)"},
    {"report", "FILE", "the report to write (default: pipecheck-report.json)"},
    {"build-dir", "DIR", "build directory holding suites/manifest.json (default: this build)"},
    {"timeout", "SECONDS", "bound for each suite, overriding the manifest's (1..86400)"},
    {"registry", "FILE",
     "implementation registry (default: $PIPECHECK_REGISTRY, else fixtures/impls.json)"},
    {"expect", "FILE", "known findings (fixtures/expected-findings.json): only a difference fails"},
};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    std::string item = text.substr(start, comma - start);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) items.push_back(item);
    start = comma + 1;
  }
  return items;
}

// 128 + the signal number, as a shell reports a command its signal ended.
int interrupted_exit_code(const std::string& signal_name) {
  // On Windows the stop is a console event (CTRL_C, CTRL_BREAK, CTRL_CLOSE): 130, as for Ctrl-C.
  static const std::map<std::string, int> kExitCodes = {
#ifndef _WIN32
      {"SIGHUP", 128 + SIGHUP},
      {"SIGQUIT", 128 + SIGQUIT},
      {"SIGUSR1", 128 + SIGUSR1},
#endif
      {"SIGINT", 128 + SIGINT},
      {"SIGTERM", 128 + SIGTERM}};
  const auto code = kExitCodes.find(signal_name);
  return code == kExitCodes.end() ? 130 : code->second;
}

}  // namespace

int cmd_run(const std::vector<std::string>& args) {
  if (help_requested(args)) {
    std::cout << "usage: pipecheck run --impl NAME[,NAME...] [--suite NAME,...] [--report FILE]\n"
                 "                     [--build-dir DIR] [--timeout SECONDS] [--expect FILE]\n\n"
              << describe_options(kOptions)
              << "\nexit codes: 0 no check failed or errored (with --expect: the report matches\n"
                 "the expected findings), 1 otherwise, 2 bad usage, 130/143 stopped by\n"
                 "SIGINT/SIGTERM (the report is written, marked interrupted)\n";
    return 0;
  }
  const ParsedOptions options = parse_options(args, kOptions);
  // Before any thread starts: SIGINT/SIGTERM become a stop request that ends the running suite.
  StopSignal::instance().watch_signals();
  const auto impl_option = options.value("impl");
  if (!impl_option) throw UsageError("option --impl is required (e.g. --impl reference)");
  const std::vector<std::string> impl_names = split_list(*impl_option);
  if (impl_names.empty()) throw UsageError("option --impl: no implementation named");

  // --registry reaches the suites through the environment they inherit.
  if (const auto registry_option = options.value("registry"))
#ifdef _WIN32
    _putenv_s("PIPECHECK_REGISTRY", fs::absolute(*registry_option).string().c_str());
#else
    setenv("PIPECHECK_REGISTRY", fs::absolute(*registry_option).string().c_str(), 1);
#endif
  const auto vars = harness::default_registry_vars();
  const fs::path registry_file = harness::registry_path(vars);
  try {
    const harness::Registry registry = harness::load_registry(registry_file, vars);
    harness::select_implementations(registry, *impl_option);
  } catch (const harness::RegistryError& e) {
    throw UsageError(std::string("option --impl: ") + e.what());
  }

  std::optional<std::vector<harness::ExpectedFinding>> expected_findings;
  if (const auto expect_file = options.value("expect")) {
    try {
      expected_findings = harness::load_expected_findings(*expect_file);
    } catch (const harness::ExpectedFindingsError& e) {
      throw UsageError(std::string("option --expect: ") + e.what());
    }
  }

  const fs::path build_dir = options.value_or("build-dir", vars.at("BUILD_DIR"));
  const fs::path manifest = build_dir / "suites" / "manifest.json";
  std::vector<harness::Suite> suites;
  try {
    suites = harness::read_suite_manifest(manifest);
  } catch (const harness::SuiteManifestError& e) {
    throw UsageError(e.what());
  }
  if (const auto wanted = options.value("suite")) {
    try {
      suites = harness::select_suites(suites, split_list(*wanted), manifest);
    } catch (const harness::SuiteManifestError& e) {
      throw UsageError(std::string("option --suite: ") + e.what());
    }
  }
  if (options.has("timeout")) {
    const auto seconds = std::chrono::seconds(options.number("timeout", 1, 86400, 300));
    for (auto& s : suites) s.timeout = seconds;
  }
  if (suites.empty())
    std::cout << "pipecheck run: no suites to run (" << manifest.string()
              << " lists none): the report records an empty run\n";

  harness::SuiteRunOptions run_options;
  // The names as given: they are PIPECHECK_IMPLS of the suites.
  run_options.implementations = impl_names;
  run_options.report_file = options.value_or("report", "pipecheck-report.json");
  ProcessSuiteLauncher launcher;
  StopSignalSource stop;
#ifdef _WIN32
  const bool terminal = _isatty(_fileno(stdout)) != 0;
#else
  const bool terminal = isatty(STDOUT_FILENO) != 0;
#endif
  RunProgress progress(std::cout, terminal);
  const harness::SuiteRunResult result =
      harness::run_suites(suites, run_options, launcher, stop, progress);

  std::optional<harness::FindingsComparison> comparison;
  if (expected_findings && !result.interrupted_by)
    comparison = harness::compare_findings(result.report, *expected_findings, impl_names);
  progress.finished(result, suites.size(), *impl_option, comparison);
  if (result.interrupted_by) return interrupted_exit_code(*result.interrupted_by);
  if (comparison) return comparison->ok() ? 0 : 1;
  const auto counts = harness::count_by_status(result.report);
  return counts.at(harness::Status::fail) + counts.at(harness::Status::error) == 0 ? 0 : 1;
}

}  // namespace pipecheck::cli

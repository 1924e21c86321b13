// pipecheck run — run the conformance suite executables against implementations, one report.
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
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "commands.hpp"
#include "options.hpp"
#include "pipecheck/harness/expected_findings.hpp"
#include "pipecheck/harness/outside_input.hpp"
#include "pipecheck/harness/registry.hpp"
#include "pipecheck/harness/report.hpp"
#include "stop_signal.hpp"
#include "suite_process.hpp"

namespace pipecheck::cli {
namespace {

namespace fs = std::filesystem;
namespace harness = pipecheck::harness;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

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

constexpr auto kPollInterval = std::chrono::milliseconds(100);
constexpr auto kTermGrace = std::chrono::seconds(5);
constexpr auto kListTimeout = std::chrono::seconds(30);

struct Suite {
  std::string name;
  fs::path executable;
  std::vector<std::string> labels;
  std::chrono::seconds timeout{300};
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

std::vector<Suite> read_manifest(const fs::path& file) {
  if (!std::ifstream(file))
    throw UsageError("no suite manifest at " + file.string() +
                     ": build the project first (cmake --build ...) or pass --build-dir");
  json document;
  try {
    document = harness::read_outside_json_file(file);
  } catch (const harness::OutsideJsonError& e) {
    throw UsageError(e.what());
  }
  auto bad = [&](const std::string& where, const std::string& rule) {
    return UsageError(file.string() + ": " + where + ": " + rule);
  };
  if (!document.is_object() || document.value("format", "") != "pipecheck-suite-manifest")
    throw bad("/format", "expected \"pipecheck-suite-manifest\"");
  if (!document.contains("suites") || !document["suites"].is_array())
    throw bad("/suites", "expected an array");
  std::vector<Suite> suites;
  for (std::size_t i = 0; i < document["suites"].size(); ++i) {
    const json& entry = document["suites"][i];
    const std::string where = "/suites/" + std::to_string(i);
    if (!entry.is_object()) throw bad(where, "expected an object");
    Suite suite;
    if (!entry.contains("name") || !entry["name"].is_string())
      throw bad(where + "/name", "expected a string");
    if (!entry.contains("executable") || !entry["executable"].is_string())
      throw bad(where + "/executable", "expected a string");
    suite.name = entry["name"];
    suite.executable = entry["executable"].get<std::string>();
    if (entry.contains("labels")) suite.labels = entry["labels"].get<std::vector<std::string>>();
    if (entry.contains("timeout_s")) {
      if (!entry["timeout_s"].is_number_integer() || entry["timeout_s"].get<int>() < 1)
        throw bad(where + "/timeout_s", "expected an integer >= 1");
      suite.timeout = std::chrono::seconds(entry["timeout_s"].get<int>());
    }
    suites.push_back(std::move(suite));
  }
  return suites;
}

// "suite_hash" answers to "suite_hash" and "hash"; "naming_suite" to "naming".
bool suite_matches(const Suite& suite, const std::string& wanted) {
  if (suite.name == wanted) return true;
  std::string short_name = suite.name;
  for (std::string_view affix : {"pipecheck_", "suite_"})
    if (short_name.rfind(affix, 0) == 0) short_name.erase(0, affix.size());
  for (std::string_view affix : {"_suite", "_tests", "_conformance"})
    if (short_name.size() > affix.size() &&
        short_name.compare(short_name.size() - affix.size(), affix.size(), affix) == 0)
      short_name.erase(short_name.size() - affix.size());
  return short_name == wanted;
}

bool stdout_is_terminal() {
  return isatty(STDOUT_FILENO) != 0;
}

void set_env(const char* name, const std::string& value) {
  setenv(name, value.c_str(), 1);
}

// How a suite process ended.
struct Ending {
  bool timed_out = false;
  std::optional<std::string> interrupted_by;  // "SIGINT", "SIGTERM", ...
  int exit_code = 0;
  std::string description;  // "exited with status 1", "timed out after 300 s (killed)"
};

// Runs `executable args...` (and whatever it starts) with stdout and stderr appended to `log`,
// bounded by `timeout` and by a stop request (SIGINT/SIGTERM to `pipecheck run`): either way it
// gets SIGTERM (a suite then flushes its part report), after kTermGrace SIGKILL. Once it has
// ended, leftover processes it started are killed. `on_tick` is called about every
// kPollInterval while it runs.
template <typename Tick>
Ending run_bounded(const fs::path& executable, const std::vector<std::string>& args,
                   const fs::path& log, std::chrono::seconds timeout, Tick on_tick) {
  FILE* log_file = std::fopen(log.string().c_str(), "ab");
  if (log_file == nullptr) throw std::runtime_error(log.string() + ": cannot open for writing");
  Ending ending;
  StopSignal& stop = StopSignal::instance();
  try {
    SuiteProcess process(executable, args, log_file);
    const auto deadline = Clock::now() + timeout;
    while (!process.exited()) {
      ending.interrupted_by = stop.requested();
      if (ending.interrupted_by || Clock::now() >= deadline) {
        ending.timed_out = !ending.interrupted_by;
        process.request_exit();
        const auto grace_end = Clock::now() + kTermGrace;
        while (!process.exited() && Clock::now() < grace_end)
          std::this_thread::sleep_for(kPollInterval);
        process.kill();
        break;
      }
      on_tick();
      stop.wait_until(Clock::now() + kPollInterval);
    }
    ending.exit_code = process.finish();
  } catch (const std::exception& e) {
    std::fclose(log_file);
    throw std::runtime_error(executable.string() + ": cannot run: " + e.what());
  }
  std::fclose(log_file);
  if (ending.interrupted_by) {
    ending.description = "was stopped by " + *ending.interrupted_by + " to pipecheck run";
  } else if (ending.timed_out) {
    ending.description = "timed out after " + std::to_string(timeout.count()) + " s (killed)";
  } else {
    ending.description = "exited with status " + std::to_string(ending.exit_code);
  }
  return ending;
}

// Test ids of a gtest executable (`--gtest_list_tests`), without disabled tests.
std::vector<std::string> list_tests(const Suite& suite, const fs::path& listing) {
  std::error_code ignored;
  fs::remove(listing, ignored);
  const Ending ending =
      run_bounded(suite.executable, {"--gtest_list_tests"}, listing,
                  std::chrono::duration_cast<std::chrono::seconds>(kListTimeout), [] {});
  if (ending.timed_out || ending.exit_code != 0)
    throw std::runtime_error(suite.executable.string() + " --gtest_list_tests " +
                             ending.description + " (output in " + listing.string() + ")");
  std::ifstream in(listing);
  std::vector<std::string> ids;
  std::string line, test_suite;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line[0] != ' ') {
      test_suite = line.substr(0, line.find(' '));
      if (!test_suite.empty() && test_suite.back() == '.') test_suite.pop_back();
      continue;
    }
    const std::string test = line.substr(2, line.find(' ', 2) - 2);
    if (test_suite.find("DISABLED_") != std::string::npos || test.rfind("DISABLED_", 0) == 0)
      continue;
    ids.push_back(test_suite + "." + test);
  }
  return ids;
}

// Shows progress: one updating line on a terminal, a plain line per finished check otherwise.
class Progress {
 public:
  explicit Progress(std::size_t suite_count)
      : tty_(stdout_is_terminal()), suite_count_(suite_count) {}

  void suite_started(std::size_t index, const Suite& suite, std::size_t expected_checks) {
    index_ = index;
    suite_ = suite.name;
    expected_ = expected_checks;
    shown_ = 0;
    if (!tty_)
      std::cout << "[" << index_ + 1 << "/" << suite_count_ << "] " << suite_ << ": "
                << expected_checks << " checks\n"
                << std::flush;
  }

  void checks(const std::vector<harness::Check>& checks) {
    if (tty_) {
      std::map<harness::Status, int> counts;
      for (const auto& c : checks) ++counts[c.status];
      std::string line = "\r\033[K[" + std::to_string(index_ + 1) + "/" +
                         std::to_string(suite_count_) + "] " + suite_ + "  " +
                         std::to_string(checks.size()) + "/" + std::to_string(expected_) +
                         " checks";
      for (const auto& [status, count] : counts)
        line += "  " + std::string(harness::to_string(status)) + " " + std::to_string(count);
      std::cout << line << std::flush;
      return;
    }
    for (; shown_ < checks.size(); ++shown_) {
      const auto& c = checks[shown_];
      std::cout << "  " << harness::to_string(c.status) << "  " << c.id << " ("
                << static_cast<long long>(c.duration_ms) << " ms)\n";
    }
    std::cout << std::flush;
  }

  void suite_finished(const Ending& ending) {
    if (tty_) std::cout << "\n";
    if (ending.timed_out || ending.exit_code > 1 || ending.exit_code < 0)
      std::cout << "  " << suite_ << " " << ending.description << "\n";
    std::cout << std::flush;
  }

 private:
  bool tty_;
  std::size_t suite_count_;
  std::size_t index_ = 0;
  std::string suite_;
  std::size_t expected_ = 0;
  std::size_t shown_ = 0;
};

// The part report of a suite as it is now (empty when not written yet or unreadable).
std::optional<harness::Report> read_part(const fs::path& part) {
  std::error_code ec;
  if (!fs::exists(part, ec)) return std::nullopt;
  try {
    return harness::read_report(part);
  } catch (const harness::ReportError&) {
    return std::nullopt;
  }
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
    set_env("PIPECHECK_REGISTRY", fs::absolute(*registry_option).string());
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
  std::vector<Suite> suites = read_manifest(manifest);
  if (const auto wanted = options.value("suite")) {
    std::vector<Suite> selected;
    for (const auto& name : split_list(*wanted)) {
      auto it = std::find_if(suites.begin(), suites.end(),
                             [&](const Suite& s) { return suite_matches(s, name); });
      if (it == suites.end()) {
        std::string known;
        for (const auto& s : suites) known += (known.empty() ? "" : ", ") + s.name;
        throw UsageError("option --suite: no suite \"" + name + "\" in " + manifest.string() +
                         " (known: " + (known.empty() ? "none" : known) + ")");
      }
      selected.push_back(*it);
    }
    suites = std::move(selected);
  }
  if (options.has("timeout")) {
    const auto seconds = std::chrono::seconds(options.number("timeout", 1, 86400, 300));
    for (auto& s : suites) s.timeout = seconds;
  }

  const fs::path report_file = options.value_or("report", "pipecheck-report.json");
  // Hidden, beside the report: the parts are pipecheck's working files, the report is the result.
  const fs::path parts_dir =
      report_file.parent_path() / ("." + report_file.filename().string() + ".parts");
  fs::create_directories(parts_dir);

  harness::RunInfo run = harness::current_run_info();
  for (const auto& name : impl_names) run.implementations.push_back({name, "", "", "", {}});
  const std::string run_id = run.run_id;
  harness::ReportWriter writer(report_file, run);
  set_env("PIPECHECK_IMPLS", *impl_option);
  set_env("PIPECHECK_RUN_ID", run_id);

  // Our run first, so that merge keeps it as the writer's run.
  std::vector<harness::Report> finished_parts;
  auto publish = [&](const std::optional<harness::Report>& current) {
    std::vector<harness::Report> all{harness::Report{{run}, {}, {}, {}}};
    all.insert(all.end(), finished_parts.begin(), finished_parts.end());
    if (current) all.push_back(*current);
    harness::Report merged = harness::merge(all);
    // Suites killed on timeout mark their part interrupted; the run itself goes on.
    merged.runs.front().state = harness::RunState::running;
    merged.runs.front().interrupted_by.clear();
    merged.runs.front().finished_at.clear();
    // Agents' hello replaced the placeholders; drop a bare name once its full entry is known.
    auto& impls = merged.runs.front().implementations;
    std::erase_if(impls, [&](const harness::ImplementationInfo& i) {
      return i.version.empty() && i.platform.empty() &&
             std::count_if(impls.begin(), impls.end(),
                           [&](const auto& other) { return other.name == i.name; }) > 1;
    });
    writer.replace(std::move(merged));
  };

  if (suites.empty())
    std::cout << "pipecheck run: no suites to run (" << manifest.string()
              << " lists none): the report records an empty run\n";
  Progress progress(suites.size());
  StopSignal& stop = StopSignal::instance();
  for (std::size_t i = 0; i < suites.size() && !stop.requested(); ++i) {
    const Suite& suite = suites[i];
    const fs::path part = parts_dir / (suite.name + ".json");
    const fs::path log = parts_dir / (suite.name + ".log");
    std::error_code ignored;
    fs::remove(part, ignored);
    fs::remove(log, ignored);

    std::vector<std::string> expected;
    std::string listing_error;
    // The listing is a run of the suite too: with the previous suite's PIPECHECK_REPORT still
    // set it would overwrite that suite's part with an empty report.
    unsetenv("PIPECHECK_REPORT");
    try {
      expected = list_tests(suite, parts_dir / (suite.name + ".tests.txt"));
    } catch (const std::exception& e) {
      listing_error = e.what();
    }
    progress.suite_started(i, suite, expected.size());

    Ending ending;
    if (listing_error.empty()) {
      set_env("PIPECHECK_REPORT", part.string());
      fs::file_time_type seen{};
      try {
        ending = run_bounded(suite.executable, {}, log, suite.timeout, [&] {
          std::error_code ec;
          const auto written = fs::last_write_time(part, ec);
          if (ec || written == seen) return;
          seen = written;
          if (auto current = read_part(part)) {
            progress.checks(current->checks);
            publish(current);
          }
        });
      } catch (const std::exception& e) {
        ending.exit_code = -1;
        ending.description = std::string("could not be run: ") + e.what();
      }
    }

    harness::Report result = read_part(part).value_or(harness::Report{});
    if (result.runs.empty()) {
      harness::RunInfo part_run = run;
      part_run.implementations.clear();
      result.runs.push_back(part_run);
    }
    // What the suite did not finish is an error, with the reason.
    std::set<std::string> done;
    for (const auto& c : result.checks) done.insert(c.id);
    const std::string reason =
        listing_error.empty()
            ? "suite " + suite.name + " " + ending.description + " before this check finished" +
                  " (log: " + log.string() + ")"
            : "cannot list the tests of suite " + suite.name + ": " + listing_error;
    if (!listing_error.empty()) expected = {suite.name + ".TestListing"};
    for (const auto& id : expected) {
      if (done.contains(id)) continue;
      harness::Check missing;
      missing.id = id;
      missing.status = harness::Status::error;
      missing.message = reason;
      missing.run_id = result.runs.front().run_id;
      missing.logs = {log.string()};
      result.checks.push_back(std::move(missing));
    }
    progress.checks(result.checks);
    progress.suite_finished(ending);
    finished_parts.push_back(std::move(result));
    publish(std::nullopt);
  }
  if (const auto signal_name = stop.requested()) {
    // Suites not started are not in the report: the run says it was interrupted.
    writer.interrupt(*signal_name);
    std::cout << "\n"
              << harness::summary_table(writer.report()) << "\npipecheck run: interrupted by "
              << *signal_name << "; report: " << report_file.string() << "\n";
    // 128 + the signal number, as a shell reports a command its signal ended.
    static const std::map<std::string, int> kExitCodes = {{"SIGHUP", 128 + SIGHUP},
                                                          {"SIGINT", 128 + SIGINT},
                                                          {"SIGQUIT", 128 + SIGQUIT},
                                                          {"SIGUSR1", 128 + SIGUSR1},
                                                          {"SIGTERM", 128 + SIGTERM}};
    const auto code = kExitCodes.find(*signal_name);
    return code == kExitCodes.end() ? 130 : code->second;
  }
  writer.finish();

  const harness::Report final_report = writer.report();
  std::cout << "\n" << harness::summary_table(final_report);
  const auto counts = harness::count_by_status(final_report);
  std::cout << "\nreport: " << report_file.string() << " (" << final_report.checks.size()
            << " checks from " << suites.size() << " suite(s), implementations: " << *impl_option
            << ")\nsuite logs and part reports: " << parts_dir.string() << "\n";
  if (expected_findings) {
    const harness::FindingsComparison comparison =
        harness::compare_findings(final_report, *expected_findings, impl_names);
    std::cout << "\n" << comparison.summary();
    return comparison.ok() ? 0 : 1;
  }
  return counts.at(harness::Status::fail) + counts.at(harness::Status::error) == 0 ? 0 : 1;
}

}  // namespace pipecheck::cli

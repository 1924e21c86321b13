// Running suite executables into one report: manifest, listing, bounded runs, merging the parts,
// the checks a suite did not finish.
#include "pipecheck/harness/suite_run.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <system_error>
#include <thread>

#include "pipecheck/harness/outside_input.hpp"
#include "pipecheck/harness/report_merge.hpp"
#include "pipecheck/harness/report_writer.hpp"

namespace pipecheck::harness {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

// "300 s", "0.05 s".
std::string seconds_text(std::chrono::milliseconds duration) {
  const auto ms = duration.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  char text[32];
  std::snprintf(text, sizeof text, "%g s", static_cast<double>(ms) / 1000.0);
  return text;
}

// Runs one suite process bounded by `timeout` and by a stop request: either way it is asked to
// exit, after options.term_grace killed. `on_tick` is called about every poll interval while it
// runs. The log is `log`; what started it gets `environment`.
template <typename Tick>
SuiteEnding run_bounded(const Suite& suite, const std::vector<std::string>& args,
                        const fs::path& log, std::chrono::milliseconds timeout,
                        const std::map<std::string, std::string>& environment,
                        const SuiteRunOptions& options, SuiteLauncher& launcher, StopSource& stop,
                        Tick on_tick) {
  SuiteEnding ending;
  try {
    const std::unique_ptr<SuiteProcess> process =
        launcher.start(suite.executable, args, log, environment);
    const auto deadline = SteadyClock::now() + timeout;
    while (!process->exited()) {
      ending.interrupted_by = stop.requested();
      if (ending.interrupted_by || SteadyClock::now() >= deadline) {
        ending.timed_out = !ending.interrupted_by;
        process->request_exit();
        const auto grace_end = SteadyClock::now() + options.term_grace;
        while (!process->exited() && SteadyClock::now() < grace_end)
          std::this_thread::sleep_for(options.poll_interval);
        process->kill();
        break;
      }
      on_tick();
      stop.wait_until(std::min(deadline, SteadyClock::now() + options.poll_interval));
    }
    ending.exit_code = process->finish();
  } catch (const std::exception& e) {
    throw std::runtime_error(suite.executable.string() + ": cannot run: " + e.what());
  }
  if (ending.interrupted_by) {
    ending.description = "was stopped by " + *ending.interrupted_by + " to pipecheck run";
  } else if (ending.timed_out) {
    ending.description = "timed out after " + seconds_text(timeout) + " (killed)";
  } else {
    ending.description = "exited with status " + std::to_string(ending.exit_code);
  }
  return ending;
}

// Test ids of a gtest executable (`--gtest_list_tests`), without disabled tests.
std::vector<std::string> list_tests(const Suite& suite, const fs::path& listing,
                                    const std::map<std::string, std::string>& environment,
                                    const SuiteRunOptions& options, SuiteLauncher& launcher,
                                    StopSource& stop) {
  std::error_code ignored;
  fs::remove(listing, ignored);
  const SuiteEnding ending =
      run_bounded(suite, {"--gtest_list_tests"}, listing, options.list_timeout, environment,
                  options, launcher, stop, [] {});
  if (ending.timed_out || ending.interrupted_by || ending.exit_code != 0)
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

// The part report of a suite as it is now (nullopt when not written yet or unreadable).
std::optional<Report> read_part(const fs::path& part) {
  std::error_code ec;
  if (!fs::exists(part, ec)) return std::nullopt;
  try {
    return read_report(part);
  } catch (const ReportError&) {
    return std::nullopt;
  }
}

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ",") + item;
  return text;
}

}  // namespace

std::vector<Suite> read_suite_manifest(const fs::path& file) {
  if (!std::ifstream(file))
    throw SuiteManifestError("no suite manifest at " + file.string() +
                             ": build the project first (cmake --build ...) or pass --build-dir");
  json document;
  try {
    document = read_outside_json_file(file);
  } catch (const OutsideJsonError& e) {
    throw SuiteManifestError(e.what());
  }
  auto bad = [&](const std::string& where, const std::string& rule) {
    return SuiteManifestError(file.string() + ": " + where + ": " + rule);
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
    if (entry.contains("labels")) {
      const json& labels = entry["labels"];
      if (!labels.is_array() ||
          !std::all_of(labels.begin(), labels.end(), [](const json& l) { return l.is_string(); }))
        throw bad(where + "/labels", "expected an array of strings");
      suite.labels = labels.get<std::vector<std::string>>();
    }
    if (entry.contains("timeout_s")) {
      if (!entry["timeout_s"].is_number_integer() || entry["timeout_s"].get<int>() < 1)
        throw bad(where + "/timeout_s", "expected an integer >= 1");
      suite.timeout = std::chrono::seconds(entry["timeout_s"].get<int>());
    }
    suites.push_back(std::move(suite));
  }
  return suites;
}

bool suite_matches(const Suite& suite, std::string_view wanted) {
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

std::vector<Suite> select_suites(const std::vector<Suite>& suites,
                                 const std::vector<std::string>& wanted, const fs::path& manifest) {
  std::vector<Suite> selected;
  for (const auto& name : wanted) {
    auto it = std::find_if(suites.begin(), suites.end(),
                           [&](const Suite& s) { return suite_matches(s, name); });
    if (it == suites.end()) {
      std::string known;
      for (const auto& s : suites) known += (known.empty() ? "" : ", ") + s.name;
      throw SuiteManifestError("no suite \"" + name + "\" in " + manifest.string() +
                               " (known: " + (known.empty() ? "none" : known) + ")");
    }
    selected.push_back(*it);
  }
  return selected;
}

SuiteRunResult run_suites(const std::vector<Suite>& suites, const SuiteRunOptions& options,
                          SuiteLauncher& launcher, StopSource& stop, SuiteRunObserver& observer) {
  const fs::path& report_file = options.report_file;
  SuiteRunResult result;
  result.report_file = report_file;
  // Hidden, beside the report: the parts are pipecheck's working files, the report is the result.
  result.parts_dir = report_file.parent_path() / ("." + report_file.filename().string() + ".parts");
  fs::create_directories(result.parts_dir);

  RunInfo run = current_run_info();
  for (const auto& name : options.implementations)
    run.implementations.push_back({name, "", "", "", {}});
  ReportWriter writer(report_file, run);
  const std::map<std::string, std::string> run_environment = {
      {"PIPECHECK_IMPLS", joined(options.implementations)}, {"PIPECHECK_RUN_ID", run.run_id}};

  // Our run first, so that merge keeps it as the writer's run.
  std::vector<Report> finished_parts;
  auto publish = [&](const std::optional<Report>& current) {
    std::vector<Report> all{Report{{run}, {}, {}, {}}};
    all.insert(all.end(), finished_parts.begin(), finished_parts.end());
    if (current) all.push_back(*current);
    Report merged = merge(all);
    // Suites killed on timeout mark their part interrupted; the run itself goes on.
    merged.runs.front().state = RunState::running;
    merged.runs.front().interrupted_by.clear();
    merged.runs.front().finished_at.clear();
    // Agents' hello replaced the placeholders; drop a bare name once its full entry is known.
    auto& impls = merged.runs.front().implementations;
    std::erase_if(impls, [&](const ImplementationInfo& i) {
      return i.version.empty() && i.platform.empty() &&
             std::count_if(impls.begin(), impls.end(),
                           [&](const auto& other) { return other.name == i.name; }) > 1;
    });
    writer.replace(std::move(merged));
  };

  for (std::size_t i = 0; i < suites.size() && !stop.requested(); ++i) {
    const Suite& suite = suites[i];
    const fs::path part = result.parts_dir / (suite.name + ".json");
    const fs::path log = result.parts_dir / (suite.name + ".log");
    std::error_code ignored;
    fs::remove(part, ignored);
    fs::remove(log, ignored);

    std::vector<std::string> expected;
    std::string listing_error;
    // The listing is a run of the suite too: with a PIPECHECK_REPORT it would overwrite a part
    // with an empty report.
    auto listing_environment = run_environment;
    listing_environment["PIPECHECK_REPORT"] = "";
    try {
      expected = list_tests(suite, result.parts_dir / (suite.name + ".tests.txt"),
                            listing_environment, options, launcher, stop);
    } catch (const std::exception& e) {
      listing_error = e.what();
    }
    observer.suite_started(i, suites.size(), suite, expected.size());

    SuiteEnding ending;
    if (listing_error.empty()) {
      auto environment = run_environment;
      environment["PIPECHECK_REPORT"] = part.string();
      fs::file_time_type seen{};
      try {
        ending =
            run_bounded(suite, {}, log, suite.timeout, environment, options, launcher, stop, [&] {
              std::error_code ec;
              const auto written = fs::last_write_time(part, ec);
              if (ec || written == seen) return;
              seen = written;
              if (auto current = read_part(part)) {
                observer.checks(current->checks);
                publish(current);
              }
            });
      } catch (const std::exception& e) {
        ending.exit_code = -1;
        ending.description = std::string("could not be run: ") + e.what();
      }
    }

    Report part_report = read_part(part).value_or(Report{});
    if (part_report.runs.empty()) {
      RunInfo part_run = run;
      part_run.implementations.clear();
      part_report.runs.push_back(part_run);
    }
    // What the suite did not finish is an error, with the reason.
    std::set<std::string> done;
    for (const auto& c : part_report.checks) done.insert(c.id);
    const std::string reason =
        listing_error.empty()
            ? "suite " + suite.name + " " + ending.description + " before this check finished" +
                  " (log: " + log.string() + ")"
            : "cannot list the tests of suite " + suite.name + ": " + listing_error;
    if (!listing_error.empty()) expected = {suite.name + ".TestListing"};
    for (const auto& id : expected) {
      if (done.contains(id)) continue;
      Check missing;
      missing.id = id;
      missing.status = Status::error;
      missing.message = reason;
      missing.run_id = part_report.runs.front().run_id;
      missing.logs = {log.string()};
      part_report.checks.push_back(std::move(missing));
    }
    observer.checks(part_report.checks);
    observer.suite_finished(suite, ending);
    finished_parts.push_back(std::move(part_report));
    publish(std::nullopt);
  }
  result.interrupted_by = stop.requested();
  if (result.interrupted_by) {
    writer.interrupt(*result.interrupted_by);
  } else {
    writer.finish();
  }
  result.report = writer.report();
  return result;
}

}  // namespace pipecheck::harness

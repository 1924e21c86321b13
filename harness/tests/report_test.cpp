// Unit tests of the report: approval of a deterministic synthetic run (JSON + CTRF + merge),
// schema validation, parse errors, atomic writes, merging and the CTRF status mapping.
//
// Approval files live in reports/expected/; approval.hpp says how to update them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdlib.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "approval.hpp"
#include "pipecheck/harness/atomic_file.hpp"
#include "pipecheck/harness/report.hpp"
#include "pipecheck/harness/report_ctrf.hpp"
#include "pipecheck/harness/report_interop.hpp"
#include "pipecheck/harness/report_merge.hpp"
#include "pipecheck/harness/report_summary.hpp"
#include "pipecheck/harness/report_writer.hpp"
#include "pipecheck/harness/scratch.hpp"

namespace pipecheck::harness {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::HasSubstr;
using testing::IsEmpty;

using approval::read_text;

// Replaces what differs between machines and runs with fixed markers.
void normalise_run(json& run) {
  run["run_id"] = "RUN";
  run["started_at"] = "2000-01-01T00:00:00.000Z";
  if (!run["finished_at"].is_null()) run["finished_at"] = "2000-01-01T00:00:01.000Z";
  for (const char* field : {"pipecheck_version", "os", "os_release", "arch", "compiler", "host"})
    run[field] = std::string("<") + field + ">";
  run["git_commit"] = "unknown";
}

// Run ids become "RUN-0", "RUN-1", ... in the order of /runs, wherever they are referenced.
json normalise_report(json report) {
  std::map<std::string, std::string> run_names;
  for (auto& run : report["runs"]) {
    const std::string name = "RUN-" + std::to_string(run_names.size());
    run_names[run["run_id"]] = name;
    normalise_run(run);
    run["run_id"] = name;
  }
  for (auto& check : report["checks"]) check["run"] = run_names[check["run"]];
  for (auto& geometry : report["geometries"]) geometry["run"] = run_names[geometry["run"]];
  for (auto& conflict : report["conflicts"]) {
    conflict["platform"] = "<os>";
    for (auto& entry : conflict["entries"]) entry["run"] = run_names[entry["run"]];
  }
  return report;
}

json normalise_ctrf(json ctrf) {
  auto& results = ctrf["results"];
  results["summary"]["start"] = 0;
  results["summary"]["stop"] = 0;
  results["tool"]["version"] = "<pipecheck_version>";
  results["environment"] = {{"osPlatform", "<os>"},
                            {"osRelease", "<os_release>"},
                            {"buildName", "pipecheck"},
                            {"buildNumber", "unknown"}};
  for (auto& run : results["extra"]["runs"]) normalise_run(run);
  for (auto& test : results["tests"]) test["extra"]["run"] = "RUN";
  return ctrf;
}

// Compares `actual` with reports/expected/`name` as indented JSON; see approval.hpp.
void expect_approved(const json& actual, const std::string& name) {
  approval::expect_approved(actual.dump(2) + "\n", name);
}

void expect_schema_valid(const json& document) {
  const auto violations = validate_report(document);
  std::string text;
  for (const auto& v : violations) text += "\n  " + v;
  EXPECT_TRUE(violations.empty()) << "report breaks docs/formats/report.schema.json:" << text;
}

Check make_check(std::string id, std::vector<std::string> requirements, Status status,
                 double duration_ms = 0, std::string message = {},
                 std::map<std::string, std::string> implementations = {}) {
  Check check;
  check.id = std::move(id);
  check.requirements = std::move(requirements);
  check.status = status;
  check.duration_ms = duration_ms;
  check.message = std::move(message);
  check.implementations = std::move(implementations);
  return check;
}

// A fixed sequence of what a suite run records: one check of every status, measurements,
// interop roles, a geometry run.
Report synthetic_run(const fs::path& file, const std::string& run_id) {
  RunInfo run = current_run_info();
  run.run_id = run_id;
  ReportWriter writer(file, run);
  writer.add_implementation({"reference",
                             "0.1.0",
                             "linux",
                             "x64",
                             {"hash.pipecheck", "listen", "dial.barrier"},
                             {{"hash.pipecheck", "library"}, {"dial.barrier", "agent"}}});
  writer.add_check(make_check("HashVectors.Golden", {"HASH-31", "HASH-8"}, Status::pass, 12, {},
                              {{"agent", "reference"}}));
  Check failed = make_check("Naming.PathBudget", {"NAME-6"}, Status::fail, 3.5,
                            "naming_test.cpp:42: Expected: path_too_long\n  Actual: ok",
                            {{"agent", "reference"}});
  failed.logs = {"logs/agent-0.log"};
  writer.add_check(failed);
  writer.add_check(make_check("WindowsPipes.FirstInstance", {"SEC-6"}, Status::skip, 0,
                              "needs platform windows, running on linux"));
  writer.add_check(make_check("Listener.QueueSizeHonoured", {"LSN-9"}, Status::unsupported, 0,
                              "needs capability listen.queue_size", {{"agent", "reference"}}));
  GeometryRun geometry;
  geometry.name = "backlog-closed-loop";
  geometry.check = "Backlog.ClosedLoopZeroBusy";
  geometry.parameters = {{"queue_size", 16}, {"accept_workers", 16}};
  geometry.server = "reference";
  geometry.client = "reference";
  geometry.outcomes = {{"ok", 4000}};
  geometry.latency_us = {41, 80, 210, 900, "samples"};
  geometry.accepts_per_s = 52000;
  geometry.wall_ms = 76.9;
  writer.add_geometry(geometry);
  Check backlog = make_check("Backlog.ClosedLoopZeroBusy", {"LSN-10"}, Status::pass, 80, {},
                             {{"server", "reference"}, {"client", "reference"}});
  backlog.measurements = {{"busy_rate", 0.0}, {"latency_us", {{"p50", 41}, {"p99", 210}}}};
  writer.add_check(backlog);
  writer.add_check(make_check("Dial.RaceWithClose", {"DIAL-7"}, Status::error, 2000,
                              "agent client-0 timed out after 2000 ms on `dial`"));
  writer.add_check(make_check("Interop/Interop.RoundTrip/server_reference_client_node",
                              {"WIRE-1", "WIRE-2"}, Status::pass, 40, {},
                              {{"server", "reference"}, {"client", "node"}}));
  writer.add_check(make_check("Interop/Interop.Discovery/server_node_client_reference", {"DISC-2"},
                              Status::fail, 30,
                              "interop.cpp:99: reference found no endpoint of node",
                              {{"server", "node"}, {"client", "reference"}}));
  writer.finish();
  return writer.report();
}

class ReportTest : public testing::Test {
 protected:
  harness::ScratchDir scratch = harness::ScratchDir::create("pc-report");
};

TEST_F(ReportTest, SyntheticRunMatchesApprovedReport) {
  const fs::path file = scratch.path() / "out" / "report.json";
  synthetic_run(file, "run-a");
  const json written = json::parse(read_text(file));
  expect_schema_valid(written);
  EXPECT_EQ(written["runs"][0]["state"], "complete");
  EXPECT_EQ(written["summary"]["checks"], 8);
  EXPECT_EQ(written["summary"]["error"], 1);
  expect_approved(normalise_report(written), "synthetic.json");
}

TEST_F(ReportTest, CtrfExportMatchesApprovedFile) {
  const Report report = synthetic_run(scratch.path() / "report.json", "run-a");
  const json ctrf = to_ctrf(report);
  const json& summary = ctrf["results"]["summary"];
  EXPECT_EQ(summary["tests"], 8);
  EXPECT_EQ(summary["passed"], 3);
  EXPECT_EQ(summary["failed"], 2);
  EXPECT_EQ(summary["skipped"], 1);
  EXPECT_EQ(summary["other"], 2);  // unsupported and error, real status in rawStatus
  EXPECT_LE(summary["start"].get<std::int64_t>(), summary["stop"].get<std::int64_t>());
  EXPECT_GT(summary["start"].get<std::int64_t>(), 1'600'000'000'000);  // epoch ms, not seconds
  for (const auto& test : ctrf["results"]["tests"]) {
    if (test["status"] == "other") {
      EXPECT_TRUE(test["rawStatus"] == "unsupported" || test["rawStatus"] == "error") << test;
    }
  }
  expect_approved(normalise_ctrf(ctrf), "synthetic.ctrf.json");
}

TEST_F(ReportTest, MergeKeepsBothSidesOfAConflictAndMatchesApprovedFile) {
  Report first = synthetic_run(scratch.path() / "a.json", "run-a");
  Report second = synthetic_run(scratch.path() / "b.json", "run-b");
  // Same check, implementation and platform, another result: a conflict.
  for (auto& check : second.checks)
    if (check.id == "Naming.PathBudget") {
      check.status = Status::pass;
      check.message.clear();
    }
  const Report merged = merge({first, second});
  ASSERT_EQ(merged.runs.size(), 2u);
  ASSERT_EQ(merged.conflicts.size(), 1u);
  EXPECT_EQ(merged.conflicts[0].id, "Naming.PathBudget");
  ASSERT_EQ(merged.conflicts[0].entries.size(), 2u);
  EXPECT_EQ(merged.conflicts[0].entries[0].status, Status::fail);
  EXPECT_EQ(merged.conflicts[0].entries[1].status, Status::pass);
  EXPECT_EQ(merged.checks.size(), 16u) << "checks of both runs are kept with their labels";
  const json document = to_json(merged);
  expect_schema_valid(document);
  expect_approved(normalise_report(document), "merged.json");
}

// `pipecheck report summary` of a merged run: the table, providers, failures, the conflict and the
// interop matrix.
TEST_F(ReportTest, SummaryOfAMergedRunMatchesApprovedFile) {
  Report first = synthetic_run(scratch.path() / "a.json", "run-a");
  Report second = synthetic_run(scratch.path() / "b.json", "run-b");
  first.runs[0].os = second.runs[0].os = "linux";
  for (auto& check : second.checks)
    if (check.id == "Naming.PathBudget") {
      check.status = Status::pass;
      check.message.clear();
    }
  approval::expect_approved(summary_table(merge({first, second})), "merged.summary.txt");
}

TEST_F(ReportTest, MergeJoinsPartsOfOneRunAndDropsExactDuplicates) {
  Report part1 = synthetic_run(scratch.path() / "p1.json", "run-x");
  Report part2 = part1;
  part2.runs[0].implementations.push_back({"node", "20", "linux", "x64", {}});
  const Report merged = merge({part1, part2});
  ASSERT_EQ(merged.runs.size(), 1u);
  EXPECT_EQ(merged.runs[0].implementations.size(), 2u);
  EXPECT_EQ(merged.checks.size(), part1.checks.size());
  EXPECT_TRUE(merged.conflicts.empty());
}

TEST_F(ReportTest, SameCheckOnAnotherPlatformIsNotAConflict) {
  Report linux_run = synthetic_run(scratch.path() / "l.json", "run-l");
  Report windows_run = linux_run;
  windows_run.runs[0].run_id = "run-w";
  windows_run.runs[0].os = linux_run.runs[0].os == "windows" ? "linux" : "windows";
  for (auto& check : windows_run.checks) {
    check.run_id = "run-w";
    check.status = Status::pass;
  }
  const Report merged = merge({linux_run, windows_run});
  EXPECT_TRUE(merged.conflicts.empty());
  EXPECT_EQ(merged.checks.size(), 2 * linux_run.checks.size());
}

TEST_F(ReportTest, RoundTripsThroughJson) {
  const Report report = synthetic_run(scratch.path() / "r.json", "run-a");
  const json once = to_json(report);
  EXPECT_EQ(to_json(report_from_json(once, "memory")), once);
  const Report read = read_report(scratch.path() / "r.json");
  EXPECT_EQ(to_json(read), once);
}

TEST_F(ReportTest, ParseErrorNamesFilePointerAndRule) {
  json document = to_json(synthetic_run(scratch.path() / "r.json", "run-a"));
  document["checks"][2]["status"] = "passed";
  try {
    report_from_json(document, "some/report.json");
    FAIL() << "a bad status was accepted";
  } catch (const ReportError& e) {
    EXPECT_STREQ(e.what(),
                 "some/report.json: /checks/2/status: expected one of "
                 "pass|fail|skip|unsupported|error, got \"passed\"");
  }
  document["checks"][2]["status"] = "skip";
  document["checks"][0].erase("duration_ms");
  EXPECT_THROW(
      {
        try {
          report_from_json(document, "r.json");
        } catch (const ReportError& e) {
          EXPECT_STREQ(e.what(), "r.json: /checks/0/duration_ms: is required but missing");
          throw;
        }
      },
      ReportError);
  document = to_json(Report{});
  document["format_version"] = 3;
  EXPECT_THROW(report_from_json(document, "r.json"), ReportError);
}

// Format 1 had no provided_by: such reports are still read, with no provenance.
TEST_F(ReportTest, FormatOneReportsAreReadWithoutProvenance) {
  json document = to_json(synthetic_run(scratch.path() / "r.json", "run-a"));
  document["format_version"] = 1;
  document["runs"][0]["implementations"][0].erase("provided_by");
  EXPECT_THAT(validate_report(document), IsEmpty());
  const Report read = report_from_json(document, "old.json");
  EXPECT_TRUE(read.runs[0].implementations[0].provided_by.empty());
  EXPECT_THAT(summary_table(read),
              HasSubstr("    undeclared: hash.pipecheck, listen, dial.barrier\n"));
}

// The summary says, per implementation, which capabilities its library provides and which its
// agent's own code adds (and which it did not say).
TEST_F(ReportTest, SummaryGroupsCapabilitiesByProvider) {
  const std::string table = summary_table(synthetic_run(scratch.path() / "r.json", "run-a"));
  EXPECT_THAT(table, HasSubstr("\ncapabilities by provider (library: the library under test does "
                               "it; agent: the agent's own code does it):\n"
                               "  reference 0.1.0 (linux x64)\n"
                               "    library: hash.pipecheck\n"
                               "    agent: dial.barrier\n"
                               "    undeclared: listen\n"));
}

TEST_F(ReportTest, ReadReportRejectsSchemaViolationsWithTheirPaths) {
  json document = to_json(synthetic_run(scratch.path() / "r.json", "run-a"));
  document["geometries"][0]["busy_rate"] = 1.5;
  document["checks"][0]["requirements"][0] = "hash-31";
  const fs::path file = scratch.path() / "bad.json";
  write_file_atomically(file, document.dump());
  try {
    read_report(file);
    FAIL() << "a report breaking the schema was accepted";
  } catch (const ReportError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(file.string()), std::string::npos) << message;
    EXPECT_NE(message.find("/geometries/0/busy_rate"), std::string::npos) << message;
    EXPECT_NE(message.find("/checks/0/requirements/0"), std::string::npos) << message;
  }
}

TEST_F(ReportTest, NotJsonIsAClearError) {
  const fs::path file = scratch.path() / "truncated.json";
  write_file_atomically(file, "{\"format\": \"pipecheck-rep");
  try {
    read_report(file);
    FAIL();
  } catch (const ReportError& e) {
    EXPECT_NE(std::string(e.what()).find(file.string() + ": not valid JSON"), std::string::npos)
        << e.what();
  }
}

TEST_F(ReportTest, WriterRewritesTheFileAfterEveryCheck) {
  const fs::path file = scratch.path() / "incremental.json";
  ReportWriter writer(file, current_run_info());
  EXPECT_EQ(read_report(file).runs[0].state, RunState::running);
  EXPECT_TRUE(read_report(file).checks.empty());
  writer.add_check(make_check("A.B", {"HASH-1"}, Status::pass));
  EXPECT_EQ(read_report(file).checks.size(), 1u);
  writer.interrupt("SIGTERM");
  const Report read = read_report(file);
  EXPECT_EQ(read.runs[0].state, RunState::interrupted);
  EXPECT_EQ(read.runs[0].interrupted_by, "SIGTERM");
  EXPECT_FALSE(fs::exists(file.string() + ".tmp"));
}

TEST_F(ReportTest, AtomicWriteNeverFollowsAPlantedSymlink) {
  const fs::path victim = scratch.path() / "victim.txt";
  write_file_atomically(victim, "keep me");
  const fs::path file = scratch.path() / "report.json";
  fs::create_symlink(victim, file.string() + ".tmp");
  EXPECT_THROW(write_file_atomically(file, "{}"), ReportError);
  EXPECT_EQ(read_text(victim), "keep me");
  EXPECT_FALSE(fs::exists(file));
}

TEST(InteropMatrix, OneCellPerPairWithTheWorstStatusOfItsChecks) {
  Report report;
  auto interop = [&](const std::string& test, const std::string& server, const std::string& client,
                     Status status) {
    report.checks.push_back(
        make_check("Interop/Interop." + test + "/server_" + server + "_client_" + client,
                   {"WIRE-2"}, status, 1, {}, {{"server", server}, {"client", client}}));
  };
  interop("RoundTrip", "reference", "node", Status::pass);
  interop("Backlog", "reference", "node", Status::unsupported);
  interop("RoundTrip", "node", "reference", Status::pass);
  interop("Discovery", "node", "reference", Status::fail);
  interop("Backlog", "node", "reference", Status::unsupported);
  // Not interop checks: another suite, or no client role.
  report.checks.push_back(make_check("Backlog/Geometry.MeetsItsExpectations/x", {"LSN-10"},
                                     Status::error, 1, {},
                                     {{"server", "python"}, {"client", "python"}}));
  report.checks.push_back(make_check("Interop/Interop.RoundTrip/alone", {"WIRE-2"}, Status::error,
                                     1, {}, {{"agent", "python"}}));

  const InteropMatrix matrix = interop_matrix(report);
  EXPECT_EQ(matrix.servers, (std::vector<std::string>{"reference", "node"}));
  EXPECT_EQ(matrix.clients, (std::vector<std::string>{"node", "reference"}));
  ASSERT_EQ(matrix.cells.size(), 2u);
  const InteropCell* forward = matrix.find("reference", "node");
  ASSERT_NE(forward, nullptr);
  EXPECT_EQ(forward->outcome, Status::unsupported);
  EXPECT_EQ(forward->checks.at("RoundTrip"), Status::pass);
  const InteropCell* backward = matrix.find("node", "reference");
  ASSERT_NE(backward, nullptr);
  EXPECT_EQ(backward->outcome, Status::fail);
  EXPECT_EQ(backward->checks.size(), 3u);
  EXPECT_EQ(matrix.find("python", "python"), nullptr);

  const json document = to_json(report);  // schema-checked with the synthetic run's interop
  EXPECT_EQ(document["interop"]["cells"][1]["outcome"], "fail");
  const std::string table = summary_table(report);
  // Columns: servers reference, node; the reference client row has no reference server cell.
  const std::string pad(17 - std::string("reference").size(), ' ');
  EXPECT_NE(table.find("\nclient \\ server  reference" + pad + "node\n"), std::string::npos)
      << table;
  EXPECT_NE(table.find("\nnode" + std::string(13, ' ') + "unsupported      -\n"), std::string::npos)
      << table;
  EXPECT_NE(table.find("\nreference" + pad + "-" + std::string(16, ' ') + "fail\n"),
            std::string::npos)
      << table;
}

TEST(InteropMatrix, AbsentWithoutInteropChecks) {
  Report report;
  report.checks.push_back(make_check("HashVectors.Golden", {"HASH-31"}, Status::pass));
  EXPECT_TRUE(interop_matrix(report).cells.empty());
  EXPECT_FALSE(to_json(report).contains("interop"));
  EXPECT_EQ(summary_table(report).find("interop"), std::string::npos);
}

TEST(ReportStatus, NamesRoundTrip) {
  for (Status s : kAllStatuses) EXPECT_EQ(parse_status(to_string(s)), s);
  EXPECT_FALSE(parse_status("passed"));
}

}  // namespace
}  // namespace pipecheck::harness

// Unit and approval tests of the exports for CI: the HTML dashboard, JUnit XML and the Markdown
// summary of a deterministic two-leg report (fixed run info, so nothing needs normalising but the
// spec-dependent requirement table, which is approved as it is generated), the baseline diff,
// and what hostile report content becomes. The page in a real browser:
// cli/tests/dashboard_browser.py.
//
// Approval files live in reports/expected/dashboard.*; approval.hpp says how to update them.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "approval.hpp"
#include "pipecheck/harness/dashboard.hpp"
#include "pipecheck/harness/report_junit.hpp"
#include "pipecheck/harness/report_markdown.hpp"
#include "pipecheck/harness/report_summary.hpp"
#include "pipecheck/harness/report_view.hpp"

namespace pipecheck::harness {
namespace {

namespace fs = std::filesystem;

using approval::expect_approved;
using approval::read_text;

RunInfo fixed_run(std::string id, std::string os, std::vector<ImplementationInfo> impls) {
  RunInfo run;
  run.run_id = std::move(id);
  run.state = RunState::complete;
  run.pipecheck_version = "0.1.0";
  run.os = std::move(os);
  run.os_release = "6.1.0";
  run.arch = "x64";
  run.compiler = "GNU 12.2.0";
  run.git_commit = "0123456789abcdef0123456789abcdef01234567";
  run.host = "ci-host";
  run.started_at = "2026-12-02T05:00:00.000Z";
  run.finished_at = "2026-12-02T05:04:00.000Z";
  run.implementations = std::move(impls);
  return run;
}

Check check(std::string id, std::vector<std::string> requirements, Status status,
            std::map<std::string, std::string> roles, std::string run, std::string message = {}) {
  Check c;
  c.id = std::move(id);
  c.requirements = std::move(requirements);
  c.status = status;
  c.duration_ms = 12;
  c.implementations = std::move(roles);
  c.run_id = std::move(run);
  c.message = std::move(message);
  return c;
}

GeometryRun geometry(std::string name, std::string server, int queue, int clients, double busy,
                     std::string run) {
  GeometryRun g;
  g.name = std::move(name);
  g.check = "Backlog.Geometry";
  g.parameters = {{"queue_size", queue},
                  {"accept_workers", 1},
                  {"client_processes", clients},
                  {"client_threads", 1}};
  g.server = server;
  g.client = std::move(server);
  g.outcomes = {{"ok", 100}, {"busy", static_cast<std::int64_t>(busy * 100)}};
  g.busy_rate = busy;
  g.latency_us = {40, 80, 200, 900, "samples"};
  g.accepts_per_s = 50000;
  g.wall_ms = 10;
  g.run_id = std::move(run);
  return g;
}

// Linux: reference and node (interop both ways, one failure with a multi-line message and a
// stderr tail, one error); the Windows leg: reference-windows under Wine on a Linux host.
Report two_legs() {
  Report r;
  r.runs.push_back(fixed_run("linux-run", "linux",
                             {{"reference", "0.1.0", "linux", "x64", {"listen"}},
                              {"node", "20.19.2", "linux", "x64", {"listen"}}}));
  r.runs.push_back(fixed_run("windows-run", "linux",
                             {{"reference-windows", "0.1.0", "windows", "x64", {"listen"}}}));
  r.checks.push_back(
      check("Hash.Vectors", {"HASH-31"}, Status::pass, {{"agent", "reference"}}, "linux-run"));
  r.checks.push_back(
      check("Hash.Vectors", {"HASH-31"}, Status::pass, {{"agent", "node"}}, "linux-run"));
  Check failed =
      check("Close.UnlinksOnlyItsOwnFile", {"LSN-5", "SEC-5"}, Status::fail, {{"agent", "node"}},
            "linux-run",
            "close_races.cpp:120: Expected equality of these values:\n  fs::exists(path)\n"
            "    Which is: false\n  true\nnode unlinked a file it did not create");
  failed.agent_stderr = {{"server-0 (node)", "listening on /tmp/x\nunlink /tmp/x\n"}};
  failed.measurements = {{"attempts", 3}};
  r.checks.push_back(failed);
  r.checks.push_back(check("Dial.Timeout", {"DIAL-3"}, Status::error, {{"agent", "node"}},
                           "linux-run", "agent client-0 timed out after 2000 ms on `dial`"));
  r.checks.push_back(check("Listener.QueueSize", {"LSN-9"}, Status::unsupported,
                           {{"agent", "node"}}, "linux-run", "needs capability listen.queue_size"));
  r.checks.push_back(check("Interop/Interop.RoundTrip/server_reference_client_node", {"WIRE-1"},
                           Status::pass, {{"server", "reference"}, {"client", "node"}},
                           "linux-run"));
  r.checks.push_back(check("Interop/Interop.Discovery/server_reference_client_node", {"DISC-2"},
                           Status::fail, {{"server", "reference"}, {"client", "node"}}, "linux-run",
                           "interop.cpp:99: node found no endpoint of reference"));
  r.checks.push_back(check("Interop/Interop.RoundTrip/server_node_client_reference", {"WIRE-1"},
                           Status::pass, {{"server", "node"}, {"client", "reference"}},
                           "linux-run"));
  r.checks.push_back(check("Hash.Vectors", {"HASH-31"}, Status::pass,
                           {{"agent", "reference-windows"}}, "windows-run"));
  r.checks.push_back(check("Unix.SocketMode", {"SEC-3"}, Status::skip,
                           {{"agent", "reference-windows"}}, "windows-run", "needs platform unix"));
  r.geometries.push_back(geometry("q1-c4", "reference", 1, 4, 0.82, "linux-run"));
  r.geometries.push_back(geometry("q16-c4", "reference", 16, 4, 0.0, "linux-run"));
  r.geometries.push_back(geometry("q1-c4", "reference-windows", 1, 4, 0.4, "windows-run"));
  return r;
}

// The same matrix one run earlier: Dial.Timeout passed, Hash.Vectors of node failed, and the
// legacy geometry was less busy.
Report baseline() {
  Report r = two_legs();
  for (auto& c : r.checks) {
    if (c.id == "Dial.Timeout") c.status = Status::pass;
    if (c.id == "Hash.Vectors" && c.implementations.at("agent") == "node") c.status = Status::fail;
  }
  r.checks.push_back(
      check("Hash.Removed", {"HASH-1"}, Status::pass, {{"agent", "reference"}}, "linux-run"));
  r.geometries[0].busy_rate = 0.5;
  return r;
}

TEST(DashboardTest, PageMatchesApprovedFile) {
  DashboardOptions options;
  options.baseline = baseline();
  options.baseline_name = "baseline.json";
  options.verdict = DashboardOptions::Verdict{false, "expected.json", "unexpected: Dial.Timeout\n"};
  options.mutation = MutationScore{
      "python",
      "targeted",
      "2026-12-02T09:00:00Z",
      4,
      2,
      1,
      1,
      {{"LSN", 3, 2, 0}, {"WIRE", 1, 0, 1}},
      {{"lsn5_unlink_by_name", "LSN-5", "survived", "Close unlinks its path by name.", ""},
       {"wire3_no_timeout", "WIRE-3", "excused", "No handshake deadline.",
        "needs a peer that <stalls> longer than the suite waits"}}};
  expect_approved(dashboard_html(two_legs(), options), "dashboard.html");
}

TEST(DashboardTest, JunitMatchesApprovedFile) {
  expect_approved(junit_xml(two_legs()), "dashboard.junit.xml");
}

TEST(DashboardTest, MarkdownMatchesApprovedFile) {
  expect_approved(summary_markdown(two_legs()), "dashboard.summary.md");
}

TEST(DashboardTest, TextSummaryMatchesApprovedFile) {
  expect_approved(summary_table(two_legs()), "dashboard.summary.txt");
}

TEST(DashboardTest, TextSummaryShowsWholeMessagesAndStderrTails) {
  const std::string text = summary_table(two_legs());
  // Every line of the failure's message, not only "Expected equality of these values:".
  EXPECT_NE(text.find("      close_races.cpp:120: Expected equality of these values:\n"
                      "        fs::exists(path)\n          Which is: false\n        true\n"
                      "      node unlinked a file it did not create\n"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("      stderr of server-0 (node) (last lines):\n        | listening on /tmp/x\n"
                "        | unlink /tmp/x\n"),
      std::string::npos)
      << text;
  Report huge = two_legs();
  huge.checks[2].message = std::string(1 << 20, 'x');
  EXPECT_LT(summary_table(huge).size(), kSummaryMessageBytes + 4096);
}

TEST(DashboardTest, LegsComeFromTheAgentsPlatform) {
  const Report r = two_legs();
  EXPECT_EQ(check_leg(r, r.checks[0]), "linux-x64");
  EXPECT_EQ(check_leg(r, r.checks[8]), "windows-x64 on linux");
  Check none = check("X.Y", {}, Status::pass, {}, "linux-run");
  EXPECT_EQ(check_leg(r, none), "linux-x64");
  EXPECT_EQ(check_implementations(r.checks[5]), (std::vector<std::string>{"reference", "node"}));
}

TEST(DashboardTest, DiffFindsWhatGotWorseAndWhatGotBetter) {
  const ReportDiff d = diff_reports(baseline(), two_legs());
  ASSERT_EQ(d.new_failures.size(), 1u);
  EXPECT_EQ(d.new_failures[0].id, "Dial.Timeout");
  ASSERT_EQ(d.fixed.size(), 1u);
  EXPECT_EQ(d.fixed[0].id, "Hash.Vectors");
  ASSERT_EQ(d.removed.size(), 1u);
  EXPECT_EQ(d.removed[0].id, "Hash.Removed");
  ASSERT_EQ(d.busy_changes.size(), 1u);
  EXPECT_DOUBLE_EQ(d.busy_changes[0].after, 0.82);
  EXPECT_TRUE(d.regressed());
  // Reversed: fixed becomes new failure, the busy rate went down, the removed check is added.
  const ReportDiff back = diff_reports(two_legs(), baseline());
  EXPECT_EQ(back.worse_busy, 0u);
  EXPECT_EQ(back.added.size(), 1u);
  EXPECT_TRUE(back.regressed());
  EXPECT_FALSE(diff_reports(two_legs(), two_legs()).regressed());
  // Below the threshold a busy-rate change is noise.
  Report close = two_legs();
  close.geometries[0].busy_rate = 0.75;
  EXPECT_TRUE(diff_reports(two_legs(), close).busy_changes.empty());
}

TEST(DashboardTest, HostileContentIsEscapedAndBounded) {
  Report r = two_legs();
  Check& c = r.checks[2];
  c.id = "Evil.<script>alert(1)</script>";
  c.message = "<script>alert('x')</script>\"><img src=x onerror=alert(1)>\xff\xfe\xc3(" +
              std::string(1 << 20, 'A');
  c.agent_stderr = {{"agent\"><b>", "</pre><script>alert(2)</script>\x80"}};
  r.runs[0].host = "<iframe src=//evil>";
  const std::string page = dashboard_html(r, {});
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_EQ(page.find("<iframe"), std::string::npos);
  EXPECT_EQ(page.find("\"><b>"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&gt;&lt;img"),
            std::string::npos);
  EXPECT_NE(page.find("\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD("), std::string::npos);  // 3 x U+FFFD
  EXPECT_EQ(page.find('\xff'), std::string::npos);
  EXPECT_LT(page.size(), 200u * 1024) << "a 1 MB message must be cut on the page";
  EXPECT_NE(page.find("more bytes]"), std::string::npos);
  const std::string xml = junit_xml(r);
  EXPECT_EQ(xml.find("<script"), std::string::npos);
  EXPECT_EQ(xml.find('\xff'), std::string::npos);
  // Markdown: the raw text only inside fenced code blocks (literal there), nowhere else.
  const std::string md = summary_markdown(r);
  std::istringstream lines(md);
  std::string line, outside, fence;
  while (std::getline(lines, line)) {
    const bool is_fence = line.starts_with("```");
    if (fence.empty() && is_fence) {
      fence = line.substr(0, line.find_first_not_of('`'));
    } else if (!fence.empty() && line == fence) {
      fence.clear();
    } else if (fence.empty()) {
      outside += line + "\n";
    }
  }
  EXPECT_NE(md.find("<script>alert('x')"), std::string::npos) << "the message is shown, in a fence";
  EXPECT_EQ(outside.find("<script"), std::string::npos) << outside;
  EXPECT_LT(md.size(), kMarkdownBytes + 4096);
}

TEST(DashboardTest, ValidUtf8ReplacesWhatIsNot) {
  EXPECT_EQ(printable_utf8("ok \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "ok \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(printable_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
  EXPECT_EQ(printable_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(printable_utf8(std::string("a\0b\x1b", 4)),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD");
  EXPECT_EQ(printable_utf8("line\n\ttab"), "line\n\ttab");
  EXPECT_EQ(printable_utf8("crlf\r\nend\r"), "crlf\nend\xEF\xBF\xBD");
  EXPECT_EQ(bounded_text("\xC3\xA9\xC3\xA9", 3), "\xC3\xA9\n[... 2 more bytes]");
}

TEST(DashboardTest, RequirementTableIsTheSpecs) {
  // Generated from docs/spec.md at build time: every row of the spec, in order, with its anchor.
  const std::string spec = read_text(fs::path(PIPECHECK_SOURCE_DIR) / "docs" / "spec.md");
  const std::regex row(R"(\n\| ([A-Z]+-[0-9]+) \| (MUST|SHOULD|MAY) \|)");
  std::vector<std::string> ids;
  for (auto it = std::sregex_iterator(spec.begin(), spec.end(), row); it != std::sregex_iterator();
       ++it)
    ids.push_back((*it)[1]);
  std::vector<std::string> generated;
  for (const auto& r : spec_requirements()) {
    generated.emplace_back(r.id);
    EXPECT_FALSE(r.anchor.empty()) << r.id;
    EXPECT_FALSE(r.text.empty()) << r.id;
  }
  EXPECT_EQ(generated, ids);
}

}  // namespace
}  // namespace pipecheck::harness

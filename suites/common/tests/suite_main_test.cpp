// Runs bridge_fixture (a suite executable with suites/common/suite_main.cpp) as a real process
// and checks the report it writes: one check per test with the right status, requirement ids,
// measurements and geometry; a check without requirement is an error; the exit status; and that
// SIGTERM mid-run leaves a report marked interrupted that keeps the finished checks.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/asio/streambuf.hpp>
#include <chrono>
#include <filesystem>
#include <map>

#include "pipecheck/harness/boost_process.hpp"
#include "pipecheck/harness/report.hpp"
#include "pipecheck/harness/scratch.hpp"

namespace {

namespace fs = std::filesystem;
namespace bp = boost::process::v2;
namespace harness = pipecheck::harness;
using namespace std::chrono_literals;

constexpr auto kDeadline = 60s;

// Waits for `process` to exit within kDeadline (killing it otherwise); the raw wait status.
int wait_bounded(boost::asio::io_context& context, bp::process& process) {
  bool exited = false;
  process.async_wait([&](boost::system::error_code, int) { exited = true; });
  context.restart();
  context.run_for(kDeadline);
  if (!exited) {
    process.terminate();
    ADD_FAILURE() << "bridge_fixture did not exit within the deadline; killed";
  }
  return process.native_exit_code();
}

std::map<std::string, harness::Check> by_id(const harness::Report& report) {
  std::map<std::string, harness::Check> checks;
  for (const auto& c : report.checks) checks[c.id] = c;
  return checks;
}

TEST(SuiteMain, EveryKindOfCheckLandsInTheReport) {
  harness::ScratchDir scratch = harness::ScratchDir::create("pc-bridge");
  const fs::path report_file = scratch.path() / "part.json";
  boost::asio::io_context context;
  bp::process process(context, BRIDGE_FIXTURE,
                      {"--gtest_filter=Bridge.*", "--pipecheck_report=" + report_file.string()},
                      bp::process_stdio{nullptr, nullptr, nullptr});
  const int status = wait_bounded(context, process);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1) << "failed and errored checks make the suite fail";

  const harness::Report report = harness::read_report(report_file);  // also schema-validates
  ASSERT_EQ(report.runs.size(), 1u);
  EXPECT_EQ(report.runs[0].state, harness::RunState::complete);
  auto checks = by_id(report);
  ASSERT_EQ(checks.size(), 7u);

  const auto& passes = checks["Bridge.Passes"];
  EXPECT_EQ(passes.status, harness::Status::pass);
  EXPECT_EQ(passes.requirements, (std::vector<std::string>{"HASH-1", "HASH-7"}));
  EXPECT_EQ(passes.measurements["busy_rate"], 0.25);
  EXPECT_EQ(passes.measurements["latency_us"]["max"], 9);
  EXPECT_EQ(passes.implementations,
            (std::map<std::string, std::string>{{"server", "reference"}, {"client", "other"}}));
  EXPECT_EQ(passes.logs, std::vector<std::string>{"logs/server-0.log"});

  EXPECT_EQ(checks["Bridge.Fails"].status, harness::Status::fail);
  EXPECT_NE(checks["Bridge.Fails"].message.find("expected kind to be rejected"), std::string::npos);
  EXPECT_NE(checks["Bridge.Fails"].message.find("bridge_fixture.cpp:"), std::string::npos)
      << "failures carry file:line";

  EXPECT_EQ(checks["Bridge.Unsupported"].status, harness::Status::unsupported);
  EXPECT_EQ(checks["Bridge.Unsupported"].message, "needs capability listen.queue_size");

  EXPECT_EQ(checks["Bridge.Skipped"].status, harness::Status::skip);
  EXPECT_EQ(checks["Bridge.Skipped"].message, "needs platform windows");

  EXPECT_EQ(checks["Bridge.AgentError"].status, harness::Status::error);
  EXPECT_EQ(checks["Bridge.AgentError"].message, "agent client-0 died: signal 9");

  EXPECT_EQ(checks["Bridge.NamesNoRequirement"].status, harness::Status::error);
  EXPECT_EQ(
      checks["Bridge.NamesNoRequirement"].message.rfind("check does not name a requirement", 0), 0u)
      << checks["Bridge.NamesNoRequirement"].message;

  EXPECT_EQ(checks["Bridge.RecordsGeometry"].status, harness::Status::pass);
  ASSERT_EQ(report.geometries.size(), 1u);
  EXPECT_EQ(report.geometries[0].check, "Bridge.RecordsGeometry");
  EXPECT_EQ(report.geometries[0].outcomes.at("busy"), 70);
}

TEST(SuiteMain, PassingRunExitsZero) {
  harness::ScratchDir scratch = harness::ScratchDir::create("pc-bridge");
  boost::asio::io_context context;
  bp::process process(context, BRIDGE_FIXTURE,
                      {"--gtest_filter=Bridge.Passes:Bridge.Skipped:Bridge.Unsupported",
                       "--pipecheck_report=" + (scratch.path() / "r.json").string()},
                      bp::process_stdio{nullptr, nullptr, nullptr});
  const int status = wait_bounded(context, process);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "skip and unsupported do not fail a suite";
}

TEST(SuiteMain, SigtermFlushesAnInterruptedReportKeepingFinishedChecks) {
  harness::ScratchDir scratch = harness::ScratchDir::create("pc-bridge");
  const fs::path report_file = scratch.path() / "interrupted.json";
  boost::asio::io_context context;
  boost::asio::readable_pipe out(context);
  bp::process process(
      context, BRIDGE_FIXTURE,
      {"--gtest_filter=Bridge.Passes:Interrupt.*", "--pipecheck_report=" + report_file.string()},
      bp::process_stdio{nullptr, out, nullptr});
  boost::asio::streambuf buffer;
  bool waiting = false;
  boost::asio::async_read_until(out, buffer, "waiting\n",
                                [&](boost::system::error_code ec, std::size_t) { waiting = !ec; });
  context.run_for(kDeadline);
  if (!waiting) process.terminate();
  ASSERT_TRUE(waiting) << "the fixture never reached Interrupt.WaitsForSignal";

  process.request_exit();  // SIGTERM
  const int status = wait_bounded(context, process);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the process ends as SIGTERM's default action would";
  EXPECT_EQ(WTERMSIG(status), SIGTERM);

  const harness::Report report = harness::read_report(report_file);
  EXPECT_EQ(report.runs[0].state, harness::RunState::interrupted);
  EXPECT_EQ(report.runs[0].interrupted_by, "SIGTERM");
  EXPECT_FALSE(report.runs[0].finished_at.empty());
  ASSERT_EQ(report.checks.size(), 1u) << "the finished check is kept, the interrupted one absent";
  EXPECT_EQ(report.checks[0].id, "Bridge.Passes");
}

}  // namespace

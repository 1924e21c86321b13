// suites/common/gtest_report.hpp — turns GoogleTest tests into report checks (the suites' side
// of the report: the harness library has no GoogleTest dependency).
//
// ReportListener (installed by suites/common/suite_main.cpp) makes one check per test. Inside a
// test, the helpers below record what the report needs: the requirement ids (a check without one
// is reported as an error), measurements, implementation roles, geometry runs, log paths, and the
// statuses GoogleTest has no word for (unsupported, error).
//
//   TEST(Listener, BacklogAdmitsQueueSizePlusOne) {
//     pipecheck::harness::requirement("LSN-9");
//     if (!agent.has("listen.queue_size")) PIPECHECK_UNSUPPORTED("needs capability listen.queue_size");
//     auto reply = agent.request(...);
//     if (!reply) PIPECHECK_AGENT_ERROR(reply.error());
//     pipecheck::harness::measure("busy_rate", 0.12);
//     EXPECT_EQ(admitted, queue_size + 1);
//   }
#pragma once

#include <concepts>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pipecheck/harness/report_writer.hpp"

namespace pipecheck::harness {

// Records requirement ids (e.g. "HASH-3") for the running check; also a gtest property
// "requirements" (comma-separated) so GoogleTest's own XML/JSON output carries them.
void requirement(std::string_view id);
// A named measurement: a number or a JSON object (e.g. latency percentiles).
void measure(std::string_view name, double value);
void measure(std::string_view name, const nlohmann::json& value);
// Which implementation plays which role in this check: "agent", "server", "client".
void implementation(std::string_view role, std::string_view name);
// A log file worth keeping with the check (agent stderr, ...).
void log_path(const std::filesystem::path& path);
// One geometry run; its run id is filled in. Also listed under the report's geometries.
void record_geometry(GeometryRun geometry);
// An implementation under test as described by its `hello`; goes to the run info.
void report_implementation(const ImplementationInfo& implementation);

// Statuses GoogleTest does not have. Prefer the macros, which also end the test.
void unsupported(std::string_view reason);  // the implementation lacks a capability
void skip(std::string_view reason);         // this platform cannot run the check
void error(std::string_view reason);        // the harness or an agent broke (timeout, crash)

// Text of an agent failure: a string, an exception, a type with `message`, or anything streamable.
template <typename Failure>
std::string describe(const Failure& failure) {
  if constexpr (std::convertible_to<const Failure&, std::string_view>) {
    return std::string(std::string_view(failure));
  } else if constexpr (requires { failure.what(); }) {
    return failure.what();
  } else if constexpr (requires { std::string(failure.message); }) {
    return std::string(failure.message);
  } else {
    std::ostringstream text;
    text << failure;
    return text.str();
  }
}

// Where the report goes: --pipecheck_report=FILE (removed from argv) or $PIPECHECK_REPORT;
// empty when neither is given (the listener then keeps the report in memory only).
std::filesystem::path report_path_from(int& argc, char** argv);

// Makes one check per test and writes the report after every test.
class ReportListener : public testing::EmptyTestEventListener {
 public:
  explicit ReportListener(std::filesystem::path report_file);
  ~ReportListener() override;

  void OnTestStart(const testing::TestInfo& test) override;
  void OnTestPartResult(const testing::TestPartResult& result) override;
  void OnTestEnd(const testing::TestInfo& test) override;
  void OnTestProgramEnd(const testing::UnitTest& unit_test) override;

  ReportWriter& writer();
  // True when every check passed, was skipped or unsupported (none failed or errored).
  bool all_checks_ok() const;

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace pipecheck::harness

// Marks the check unsupported (the implementation lacks a capability) and ends the test.
#define PIPECHECK_UNSUPPORTED(reason)                     \
  do {                                                    \
    const std::string pipecheck_reason_ = (reason);       \
    ::pipecheck::harness::unsupported(pipecheck_reason_); \
    GTEST_SKIP() << "unsupported: " << pipecheck_reason_; \
  } while (false)

// Marks the check skipped (this platform cannot run it) and ends the test.
#define PIPECHECK_SKIP(reason)                      \
  do {                                              \
    const std::string pipecheck_reason_ = (reason); \
    ::pipecheck::harness::skip(pipecheck_reason_);  \
    GTEST_SKIP() << pipecheck_reason_;              \
  } while (false)

// Marks the check as an error (agent crashed, timed out, broke the protocol) and fails the test.
#define PIPECHECK_AGENT_ERROR(failure)                                             \
  do {                                                                             \
    const std::string pipecheck_reason_ = ::pipecheck::harness::describe(failure); \
    ::pipecheck::harness::error(pipecheck_reason_);                                \
    FAIL() << "error: " << pipecheck_reason_;                                      \
  } while (false)

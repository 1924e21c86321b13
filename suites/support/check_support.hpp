// check_support.hpp — what every conformance check shares: the one way to write a check
// (PIPECHECK_CHECK: its requirement ids, and a body run guarded so that an agent failure makes
// the check an `error`), the per-implementation fixture, capability requirements, scratch roots,
// fixture files and handshake arguments.
//
//   class Discovery : public pipecheck::suites::AgentCheck {};
//
//   // Names of other hashes are never returned.
//   PIPECHECK_CHECK(Discovery, IgnoresOtherHashes, "DISC-3") {
//     auto agent = start_agent();
//     PIPECHECK_REQUIRE_CAPABILITIES(*agent, "discover");
//     json found = agent->call("discover", handshake_args(check_fields(), scratch_root()));
//     EXPECT_TRUE(found.at("live").empty()) << found.dump();
//   }
//
//   INSTANTIATE_IMPLEMENTATIONS(Discovery, Discovery);
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/gtest_report.hpp"
#include "pipecheck/harness/scratch.hpp"
#include "suite_agent.hpp"
#include "support/host.hpp"

namespace pipecheck::suites {

// Runs a check body; AgentFailure (crash, hang, protocol violation) and other exceptions end the
// check as `error`, an unexpected error reply as a failure naming the op, code and message.
// PIPECHECK_CHECK runs every body through it; checks written as a TEST_P that calls it and
// harness::requirement() themselves still work (and ci/tools/traceability.py reads them).
void run_guarded(const std::function<void()>& body);

// A check parametrised by implementation name (GetParam()).
class AgentCheck : public testing::TestWithParam<std::string> {
 protected:
  // Starts an agent of this check's implementation and records it in the report.
  std::unique_ptr<SuiteAgent> start_agent(AgentOptions options = {});
  // A fresh scratch directory (/tmp/pc-XXXXXX) for this check, removed after it.
  const std::filesystem::path& scratch_root();
  // Handshake fields unique to this check, so concurrent checks never share endpoints.
  json check_fields() const;

 private:
  std::optional<harness::ScratchDir> scratch_;
};

// Starts an agent as uid `uid` (root only). nullptr and `why` set when the implementation's
// command cannot be started as that user (e.g. an interpreter under /root): a limit of this
// machine, not of the implementation.
std::unique_ptr<SuiteAgent> start_as_uid(const std::string& implementation, unsigned uid,
                                         const std::string& role, std::string& why);

// The capabilities `agent` lacks, joined for a message ("" when none).
std::string describe_missing(const SuiteAgent& agent, const std::vector<std::string>& needed);

// Reads source_dir()/fixtures/{relative}; a missing or invalid file throws naming it.
json load_fixture(std::string_view relative);
// The value at `key` of `object`, or throws naming the fixture, the JSON path and the rule.
const json& fixture_field(const json& object, std::string_view key, std::string_view where);

// {"profile", "fields", "root"?, "prefix"?} for hash / listen / discover / dial.
json handshake_args(const json& fields, const std::filesystem::path& root = {},
                    std::string_view profile = "pipecheck", std::string_view prefix = {});

// The error reply a request gets, or nothing when it succeeds (then `result` holds the result).
std::optional<harness::AgentReplyError> call_expecting_error(SuiteAgent& agent, std::string_view op,
                                                             const json& args,
                                                             json* result = nullptr);

// The count of `outcome` in a dial result's `outcomes` (absent means 0).
long long outcome_count(const json& dial_result, std::string_view outcome);

// The listener's `counters` once `key` reaches at least `at_least`, or the last ones read when
// `bound` passes first: servers update counters on their own threads after the client is done.
json counters_reaching(SuiteAgent& server, const json& listener_id, std::string_view key,
                       long long at_least,
                       std::chrono::milliseconds bound = std::chrono::milliseconds(2000));

}  // namespace pipecheck::suites

// Ends the check as `unsupported` when `agent` lacks any of the capabilities.
#define PIPECHECK_REQUIRE_CAPABILITIES(agent, ...)                              \
  do {                                                                          \
    const std::string pipecheck_missing_ =                                      \
        ::pipecheck::suites::describe_missing((agent), {__VA_ARGS__});          \
    if (!pipecheck_missing_.empty()) PIPECHECK_UNSUPPORTED(pipecheck_missing_); \
  } while (false)

// One instantiation per selected implementation: `{family}/{fixture}.{Check}/{implementation}`.
#define INSTANTIATE_IMPLEMENTATIONS(family, fixture)                                            \
  INSTANTIATE_TEST_SUITE_P(family, fixture,                                                     \
                           testing::ValuesIn(::pipecheck::suites::selected_implementations()),  \
                           [](const testing::TestParamInfo<std::string>& info) {                \
                             return ::pipecheck::suites::implementation_param_name(info.param); \
                           })

namespace pipecheck::suites {

// Records the check's requirement ids, then runs `body` guarded (run_guarded).
void run_check(std::initializer_list<std::string_view> requirements,
               const std::function<void()>& body);

// Registers Check (a PIPECHECK_CHECK) under "{fixture}.{name}": as a pattern of the parametrised
// fixture (instantiated by INSTANTIATE_IMPLEMENTATIONS / INSTANTIATE_TEST_SUITE_P) when Fixture
// takes parameters, as a plain test otherwise.
template <typename Fixture, typename Check>
int register_check(const char* fixture, const char* name, const char* file, int line) {
  if constexpr (requires { typename Fixture::ParamType; }) {
    ::testing::UnitTest::GetInstance()
        ->parameterized_test_registry()
        .GetTestSuitePatternHolder<Fixture>(fixture, ::testing::internal::CodeLocation(file, line))
        ->AddTestPattern(fixture, name, new ::testing::internal::TestMetaFactory<Check>(),
                         ::testing::internal::CodeLocation(file, line));
  } else {
    ::testing::RegisterTest(fixture, name, nullptr, nullptr, file, line,
                            []() -> Fixture* { return new Check(); });
  }
  return 0;
}

}  // namespace pipecheck::suites

// A conformance check: `fixture.name`, checking the requirement ids that follow (string
// literals of docs/spec.md; ci/tools/traceability.py reads them from here). The body runs
// guarded: an agent crash, hang or protocol violation ends the check as `error`, an unexpected
// error reply as a failure (run_guarded). GoogleTest's macros and PIPECHECK_UNSUPPORTED /
// PIPECHECK_SKIP work in the body as in a TEST_P. The fixture is parametrised (AgentCheck, or a
// testing::TestWithParam of its own) or a plain testing::Test; checks whose ids come from a
// fixture file (geometries) name none here and record them in the body.
//
//   class Backlog : public pipecheck::suites::AgentCheck {};
//   // With nobody accepting, exactly the admitted number of connects succeed.
//   PIPECHECK_CHECK(Backlog, QueueSizeIsHonoured, "LSN-9", "LSN-1") {
//     auto server = start_agent(agent_options("server"));
//     PIPECHECK_REQUIRE_CAPABILITIES(*server, "listen", "listen.queue_size");
//     EXPECT_EQ(...);
//   }
//   INSTANTIATE_IMPLEMENTATIONS(Backlog, Backlog);
#define PIPECHECK_CHECK(fixture, name, ...)                                                \
  class GTEST_TEST_CLASS_NAME_(fixture, name) : public fixture {                           \
   public:                                                                                 \
    void TestBody() override {                                                             \
      ::pipecheck::suites::run_check({__VA_ARGS__}, [this] { CheckBody(); });              \
    }                                                                                      \
                                                                                           \
   private:                                                                                \
    void CheckBody();                                                                      \
    [[maybe_unused]] static const int registered_;                                         \
  };                                                                                       \
  const int GTEST_TEST_CLASS_NAME_(fixture, name)::registered_ =                           \
      ::pipecheck::suites::register_check<fixture, GTEST_TEST_CLASS_NAME_(fixture, name)>( \
          #fixture, #name, __FILE__, __LINE__);                                            \
  void GTEST_TEST_CLASS_NAME_(fixture, name)::CheckBody()

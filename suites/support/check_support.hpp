// check_support.hpp — what every conformance check shares: the per-implementation fixture,
// guarded bodies (an agent failure makes the check an `error`), capability requirements,
// scratch roots, fixture files and handshake arguments.
//
//   class Discovery : public pipecheck::suites::AgentCheck {};
//   TEST_P(Discovery, IgnoresOtherHashes) {
//     run_guarded([&] {
//       pipecheck::harness::requirement("DISC-3");
//       auto agent = start_agent();
//       PIPECHECK_REQUIRE_CAPABILITIES(*agent, "discover");
//       json found = agent->call("discover", handshake_args(check_fields(), scratch_root()));
//       ...
//     });
//   }
//   INSTANTIATE_IMPLEMENTATIONS(Discovery, Discovery);
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pipecheck/harness/gtest_report.hpp"
#include "pipecheck/harness/scratch.hpp"
#include "suite_agent.hpp"

namespace pipecheck::suites {

// Runs a check body; AgentFailure (crash, hang, protocol violation) and other exceptions end the
// check as `error`, an unexpected error reply as a failure naming the op, code and message.
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

// True when the process can use the named locale (it is generated on this machine).
bool locale_available(const std::string& name);

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

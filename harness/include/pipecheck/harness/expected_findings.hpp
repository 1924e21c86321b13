// pipecheck/harness/expected_findings.hpp — known findings of implementations under test
// (fixtures/expected-findings.json) and their comparison with a report, so that CI stays green on
// a documented finding but turns red on a new failure or on a finding that went away.
//
//   auto expected = load_expected_findings("fixtures/expected-findings.json");
//   FindingsComparison result = compare_findings(report, expected, {"reference", "node"});
//   std::cout << result.summary();
//   return result.ok() ? 0 : 1;
//
// File format (errors name the file, the JSON path, the rule and what was expected):
//   {"format": "pipecheck-expected-findings", "format_version": 1,
//    "findings": [{"impl": "node", "check": "Close/Close.X/node", "status": "fail",
//                  "reason": "LSN-5: libuv unlinks the path on close (docs/findings/node-net.md)"}]}
// `check` is a report check id; `impl` must play a role (agent, server or client) in that check;
// `status` is fail, error, unsupported or skip; `reason` says why and where it is documented.
// `"intermittent": true` marks a finding that only a race exposes (a listen/reclaim race check
// runs rounds for a bounded time): a run where its check passes lists it as not seen this time
// instead of turning red; any other status than `pass` or the listed one is still a change.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipecheck/harness/report.hpp"

namespace pipecheck::harness {

struct ExpectedFinding {
  std::string impl;
  std::string check;
  Status status = Status::fail;
  std::string reason;
  bool intermittent = false;
};

class ExpectedFindingsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::vector<ExpectedFinding> load_expected_findings(const std::filesystem::path& file);
std::vector<ExpectedFinding> parse_expected_findings(const nlohmann::json& document,
                                                     const std::string& source);

// What a report says about the expectations. Only expectations of `selected` implementations
// count, and only for suites that ran (some check of the same `{suite}.` prefix is in the report).
struct FindingsComparison {
  std::vector<std::string> confirmed;   // expected finding seen with its status
  std::vector<std::string> unexpected;  // fail/error not listed: a new failure
  std::vector<std::string> changed;     // listed, but the check now has another status
  std::vector<std::string> missing;     // listed, its suite ran, but the check did not
  std::vector<std::string> not_seen;    // intermittent, and its check passed this run
  bool ok() const { return unexpected.empty() && changed.empty() && missing.empty(); }
  // One line per entry, grouped; ends with a verdict line and a newline.
  std::string summary() const;
};

FindingsComparison compare_findings(const Report& report,
                                    const std::vector<ExpectedFinding>& expected,
                                    const std::vector<std::string>& selected);

}  // namespace pipecheck::harness

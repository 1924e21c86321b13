// Unit tests of the expected-findings comparison (expected_findings.hpp).
#include "pipecheck/harness/expected_findings.hpp"

#include <gtest/gtest.h>

#include "approval.hpp"

namespace pipecheck::harness {
namespace {

using nlohmann::json;

Check check(std::string id, Status status, std::string impl) {
  Check c;
  c.id = std::move(id);
  c.status = status;
  c.message = "why\nmore";
  c.implementations = {{"agent", std::move(impl)}};
  return c;
}

json document(json findings) {
  return {{"format", "pipecheck-expected-findings"},
          {"format_version", 1},
          {"findings", std::move(findings)}};
}

const std::vector<ExpectedFinding> kExpected = {
    {"node", "Close/Close.Replaced/node", Status::fail, "LSN-5"},
    {"python", "Close/Close.Other/python", Status::fail, "listed"},
};

TEST(ExpectedFindings, KnownFindingKeepsTheRunGreen) {
  Report report;
  report.checks = {check("Close/Close.Replaced/node", Status::fail, "node"),
                   check("Close/Close.Replaced/reference", Status::pass, "reference")};
  const auto result = compare_findings(report, kExpected, {"reference", "node"});
  EXPECT_TRUE(result.ok()) << result.summary();
  ASSERT_EQ(result.confirmed.size(), 1u);
  EXPECT_NE(result.summary().find("expectations met: 1 known finding"), std::string::npos);
}

TEST(ExpectedFindings, NewFailureAndVanishedFindingTurnItRed) {
  Report report;
  report.checks = {check("Close/Close.Replaced/node", Status::pass, "node"),
                   check("Close/Close.Replaced/reference", Status::error, "reference")};
  const auto result = compare_findings(report, kExpected, {"reference", "node"});
  EXPECT_FALSE(result.ok());
  ASSERT_EQ(result.unexpected.size(), 1u);
  EXPECT_NE(result.unexpected[0].find("Close/Close.Replaced/reference"), std::string::npos);
  EXPECT_NE(result.unexpected[0].find("agent=reference): why"), std::string::npos);
  ASSERT_EQ(result.changed.size(), 1u);
  EXPECT_NE(result.changed[0].find("expected fail, got pass"), std::string::npos);
}

TEST(ExpectedFindings, ListedCheckThatDidNotRunIsMissingOnlyWhenItsSuiteRan) {
  Report report;
  report.checks = {check("Close/Close.Renamed/python", Status::pass, "python")};
  auto result = compare_findings(report, kExpected, {"python"});
  ASSERT_EQ(result.missing.size(), 1u);
  EXPECT_NE(result.missing[0].find("Close/Close.Other/python"), std::string::npos);
  // Another suite only, or the implementation not selected: nothing to say.
  report.checks = {check("Hash/HashVectors.Golden/python", Status::pass, "python")};
  EXPECT_TRUE(compare_findings(report, kExpected, {"python"}).ok());
  report.checks = {check("Close/Close.Renamed/reference", Status::pass, "reference")};
  EXPECT_TRUE(compare_findings(report, kExpected, {"reference"}).ok());
}

TEST(ExpectedFindings, FindingOfAnotherImplementationDoesNotCoverTheCheck) {
  Report report;
  report.checks = {check("Close/Close.Replaced/node", Status::fail, "python")};
  const auto result = compare_findings(report, kExpected, {"python"});
  EXPECT_EQ(result.unexpected.size(), 1u) << result.summary();
}

TEST(ExpectedFindings, IntermittentFindingThatPassedIsNotSeenButAnotherStatusIsAChange) {
  const auto expected =
      parse_expected_findings(document(json::array({{{"impl", "node"},
                                                     {"check", "Listen/ListenRace.Reclaimers/node"},
                                                     {"status", "fail"},
                                                     {"reason", "LSN-6: a race"},
                                                     {"intermittent", true}}})),
                              "findings.json");
  ASSERT_EQ(expected.size(), 1u);
  EXPECT_TRUE(expected[0].intermittent);
  Report report;
  report.checks = {check("Listen/ListenRace.Reclaimers/node", Status::pass, "node")};
  auto result = compare_findings(report, expected, {"node"});
  EXPECT_TRUE(result.ok()) << result.summary();
  ASSERT_EQ(result.not_seen.size(), 1u);
  EXPECT_NE(result.summary().find("not seen this run"), std::string::npos);
  report.checks = {check("Listen/ListenRace.Reclaimers/node", Status::fail, "node")};
  result = compare_findings(report, expected, {"node"});
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(result.confirmed.size(), 1u);
  report.checks = {check("Listen/ListenRace.Reclaimers/node", Status::error, "node")};
  EXPECT_FALSE(compare_findings(report, expected, {"node"}).ok());
  EXPECT_THROW(parse_expected_findings(document(json::array({{{"impl", "node"},
                                                              {"check", "X/Y.Z/node"},
                                                              {"status", "fail"},
                                                              {"reason", "r"},
                                                              {"intermittent", "yes"}}})),
                                       "findings.json"),
               ExpectedFindingsError);
}

// The comparison `pipecheck run --expect` prints, with an entry of every kind.
TEST(ExpectedFindings, ComparisonTextMatchesApprovedFile) {
  const std::vector<ExpectedFinding> expected = {
      {"node", "Close/Close.Replaced/node", Status::fail,
       "LSN-5: libuv unlinks the path on close (docs/findings/node-net.md)"},
      {"node", "Close/Close.Gone/node", Status::fail, "listed, but did not run"},
      {"python", "Close/Close.Other/python", Status::error, "listed as an error"},
      {"python", "Listen/Listen.Race/python", Status::fail, "only a race exposes it", true},
  };
  Report report;
  report.checks = {check("Close/Close.Replaced/node", Status::fail, "node"),
                   check("Close/Close.Other/python", Status::fail, "python"),
                   check("Close/Close.New/reference", Status::error, "reference"),
                   check("Listen/Listen.Race/python", Status::pass, "python")};
  const auto result = compare_findings(report, expected, {"reference", "node", "python"});
  EXPECT_FALSE(result.ok());
  approval::expect_approved(result.summary(), "findings.comparison.txt");
}

TEST(ExpectedFindings, ParsesAndRejectsBadFilesNamingThePath) {
  const auto findings = parse_expected_findings(
      document(
          {{{"impl", "node"}, {"check", "A.B/node"}, {"status", "unsupported"}, {"reason", "r"}}}),
      "x.json");
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].status, Status::unsupported);

  auto error_of = [](const json& doc) {
    try {
      parse_expected_findings(doc, "x.json");
    } catch (const ExpectedFindingsError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of(json::object()), "x.json: /format: expected \"pipecheck-expected-findings\"");
  EXPECT_EQ(
      error_of(document({{{"impl", "node"}, {"check", "A"}, {"status", "pass"}, {"reason", "r"}}})),
      "x.json: /findings/0/status: expected fail, error, unsupported or skip, got \"pass\"");
  EXPECT_EQ(error_of(document({{{"impl", "node"}, {"check", "A"}, {"status", "fail"}}})),
            "x.json: /findings/0/reason: expected a non-empty string");
  EXPECT_EQ(
      error_of(document(
          {{{"impl", "node"}, {"check", "A"}, {"status", "fail"}, {"reason", "r"}, {"bug", 1}}})),
      "x.json: /findings/0/bug: unknown field (expected impl, check, status, reason, "
      "intermittent)");
  const json twice = {{"impl", "node"}, {"check", "A"}, {"status", "fail"}, {"reason", "r"}};
  EXPECT_EQ(error_of(document({twice, twice})),
            "x.json: /findings/1: impl node and check A are listed twice");
}

}  // namespace
}  // namespace pipecheck::harness

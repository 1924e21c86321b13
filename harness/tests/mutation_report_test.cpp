// Unit tests of reading the mutation self-test's report (mutation_report.hpp): the counts are
// recomputed from the mutants, and every broken rule is named with its JSON path.
#include "pipecheck/harness/mutation_report.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace pipecheck::harness {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

json mutant(const std::string& name, const std::string& requirement, const std::string& status) {
  json m = {{"name", name},
            {"requirement", requirement},
            {"family", requirement.substr(0, requirement.find('-'))},
            {"description", "one fault"},
            {"status", status},
            {"killed_by", json::array()}};
  if (status == "excused") m["excuse"] = "cannot be provoked here";
  return m;
}

json report() {
  return {
      {"format", "pipecheck-mutation-report"},
      {"format_version", 1},
      {"agent", "python"},
      {"mode", "targeted"},
      {"finished_at", "2026-12-02T09:00:00Z"},
      {"mutants",
       {mutant("a", "LSN-2", "killed"), mutant("b", "LSN-5", "survived"),
        mutant("c", "WIRE-3", "excused"), mutant("d", "WIRE-1", "killed")}},
      {"summary",
       {{"mutants", 4}, {"killed", 2}, {"survived", 1}, {"excused", 1}, {"kill_rate", 0.6667}}}};
}

std::string error_of(const json& document) {
  try {
    parse_mutation_report(document, "m.json");
  } catch (const MutationReportError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(MutationReportTest, CountsPerFamilyAndListsWhatWasNotKilled) {
  const MutationScore score = parse_mutation_report(report(), "m.json");
  EXPECT_EQ(score.mutants, 4u);
  EXPECT_EQ(score.killed, 2u);
  EXPECT_EQ(score.survived, 1u);
  EXPECT_EQ(score.excused, 1u);
  ASSERT_TRUE(score.kill_rate());
  EXPECT_DOUBLE_EQ(*score.kill_rate(), 2.0 / 3.0);
  ASSERT_EQ(score.families.size(), 2u);
  EXPECT_EQ(score.families[0].name, "LSN");
  EXPECT_EQ(score.families[0].mutants, 2u);
  EXPECT_EQ(score.families[0].killed, 1u);
  EXPECT_EQ(score.families[1].name, "WIRE");
  EXPECT_EQ(score.families[1].excused, 1u);
  ASSERT_EQ(score.not_killed.size(), 2u);
  EXPECT_EQ(score.not_killed[0].name, "b");
  EXPECT_EQ(score.not_killed[1].excuse, "cannot be provoked here");
}

TEST(MutationReportTest, NothingScoredHasNoKillRate) {
  json r = report();
  r["mutants"] = json::array({mutant("c", "WIRE-3", "excused")});
  r["summary"] = {
      {"mutants", 1}, {"killed", 0}, {"survived", 0}, {"excused", 1}, {"kill_rate", nullptr}};
  EXPECT_FALSE(parse_mutation_report(r, "m.json").kill_rate());
}

TEST(MutationReportTest, SummaryThatDisagreesWithTheMutantsIsRefused) {
  json r = report();
  r["summary"]["killed"] = 3;
  EXPECT_EQ(error_of(r),
            "m.json: /summary/killed: says 3, but 2 mutants are counted that way in /mutants");
  r = report();
  r["summary"]["kill_rate"] = 1.0;
  EXPECT_EQ(error_of(r), "m.json: /summary/kill_rate: does not equal killed / (mutants - excused)");
  r = report();
  r["summary"]["survived"] = -1;
  EXPECT_EQ(error_of(r), "m.json: /summary/survived: expected a non-negative integer");
}

TEST(MutationReportTest, EveryBrokenRuleIsNamedWithItsPath) {
  json r = report();
  r["format"] = "x";
  EXPECT_EQ(error_of(r), "m.json: /format: expected \"pipecheck-mutation-report\"");
  r = report();
  r["format_version"] = 2;
  EXPECT_EQ(error_of(r), "m.json: /format_version: expected 1");
  r = report();
  r["mode"] = "random";
  EXPECT_EQ(error_of(r), "m.json: /mode: expected \"targeted\" or \"full\", got \"random\"");
  r = report();
  r["mutants"][1]["status"] = "dead";
  EXPECT_EQ(error_of(r),
            "m.json: /mutants/1/status: expected killed, survived or excused, got \"dead\"");
  r = report();
  r["mutants"][2].erase("excuse");
  EXPECT_EQ(error_of(r), "m.json: /mutants/2/excuse: an excused mutant needs a non-empty excuse");
  r = report();
  r["mutants"][0]["requirement"] = "lsn 2";
  EXPECT_EQ(
      error_of(r),
      "m.json: /mutants/0/requirement: expected a requirement id such as LSN-2, got \"lsn 2\"");
  r = report();
  r["mutants"][0].erase("name");
  EXPECT_EQ(error_of(r), "m.json: /mutants/0/name: expected a string, the field is missing");
  EXPECT_EQ(error_of(json::array()), "m.json: /: expected an object");
}

TEST(MutationReportTest, TooManyMutantsAreRefusedBeforeTheyAreRead) {
  json r = report();
  r["mutants"] = json::array();
  for (std::size_t i = 0; i <= kMaxMutants; ++i) r["mutants"].push_back(json::object());
  EXPECT_THAT(error_of(r), HasSubstr("/mutants: more than 10000 mutants"));
}

TEST(MutationReportTest, UnreadableFileIsNamed) {
  try {
    read_mutation_report("/nonexistent/mutants.json");
    FAIL() << "no error";
  } catch (const MutationReportError& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/mutants.json: cannot be read");
  }
}

}  // namespace
}  // namespace pipecheck::harness

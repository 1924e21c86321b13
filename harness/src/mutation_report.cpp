// The mutation self-test's report (mutation_report.hpp).
#include "pipecheck/harness/mutation_report.hpp"

#include <cmath>
#include <fstream>
#include <map>
#include <regex>

#include "pipecheck/harness/outside_input.hpp"

namespace pipecheck::harness {
namespace {

using nlohmann::json;

constexpr std::string_view kMutationReportFormat = "pipecheck-mutation-report";

}  // namespace

std::optional<double> MutationScore::kill_rate() const {
  const std::size_t scored = mutants - excused;
  if (scored == 0) return std::nullopt;
  return static_cast<double>(killed) / static_cast<double>(scored);
}

MutationScore parse_mutation_report(const json& document, const std::string& source) {
  auto fail = [&](const std::string& pointer, const std::string& rule) {
    return MutationReportError(source + ": " + (pointer.empty() ? "/" : pointer) + ": " + rule);
  };
  auto text = [&](const json& object, const std::string& where, const char* field,
                  bool required) -> std::string {
    if (!object.contains(field)) {
      if (required) throw fail(where + "/" + field, "expected a string, the field is missing");
      return {};
    }
    if (!object[field].is_string()) throw fail(where + "/" + field, "expected a string");
    return object[field].get<std::string>();
  };
  if (!document.is_object()) throw fail("", "expected an object");
  if (document.value("format", "") != kMutationReportFormat)
    throw fail("/format", "expected \"" + std::string(kMutationReportFormat) + "\"");
  if (!document.contains("format_version") || document["format_version"] != 1)
    throw fail("/format_version", "expected 1");

  MutationScore score;
  score.agent = text(document, "", "agent", true);
  score.mode = text(document, "", "mode", true);
  if (score.mode != "targeted" && score.mode != "full")
    throw fail("/mode", "expected \"targeted\" or \"full\", got \"" + score.mode + "\"");
  score.finished_at = text(document, "", "finished_at", false);

  if (!document.contains("mutants") || !document["mutants"].is_array())
    throw fail("/mutants", "expected an array");
  const json& mutants = document["mutants"];
  if (mutants.size() > kMaxMutants)
    throw fail("/mutants", "more than " + std::to_string(kMaxMutants) + " mutants");
  static const std::regex requirement_id("[A-Z]+-[0-9]+");
  std::map<std::string, MutationScore::Family> families;
  for (std::size_t i = 0; i < mutants.size(); ++i) {
    const json& entry = mutants[i];
    const std::string where = "/mutants/" + std::to_string(i);
    if (!entry.is_object()) throw fail(where, "expected an object");
    MutationScore::Mutant mutant{
        text(entry, where, "name", true), text(entry, where, "requirement", true),
        text(entry, where, "status", true), text(entry, where, "description", false),
        text(entry, where, "excuse", false)};
    if (mutant.name.empty()) throw fail(where + "/name", "expected a non-empty string");
    if (!std::regex_match(mutant.requirement, requirement_id))
      throw fail(where + "/requirement",
                 "expected a requirement id such as LSN-2, got \"" + mutant.requirement + "\"");
    const std::string family_name = mutant.requirement.substr(0, mutant.requirement.find('-'));
    auto& family = families[family_name];
    family.name = family_name;
    ++family.mutants;
    ++score.mutants;
    if (mutant.status == "killed") {
      ++family.killed;
      ++score.killed;
      continue;
    }
    if (mutant.status == "excused") {
      if (mutant.excuse.empty())
        throw fail(where + "/excuse", "an excused mutant needs a non-empty excuse");
      ++family.excused;
      ++score.excused;
    } else if (mutant.status == "survived") {
      ++score.survived;
    } else {
      throw fail(where + "/status",
                 "expected killed, survived or excused, got \"" + mutant.status + "\"");
    }
    score.not_killed.push_back(std::move(mutant));
  }
  for (auto& [name, family] : families) score.families.push_back(std::move(family));

  if (!document.contains("summary") || !document["summary"].is_object())
    throw fail("/summary", "expected an object");
  const json& summary = document["summary"];
  const std::pair<const char*, std::size_t> counts[] = {{"mutants", score.mutants},
                                                        {"killed", score.killed},
                                                        {"survived", score.survived},
                                                        {"excused", score.excused}};
  for (const auto& [field, counted] : counts) {
    const std::string where = std::string("/summary/") + field;
    if (!summary.contains(field) || !summary[field].is_number_integer() ||
        summary[field].get<std::int64_t>() < 0)
      throw fail(where, "expected a non-negative integer");
    if (summary[field].get<std::uint64_t>() != counted)
      throw fail(where, "says " + std::to_string(summary[field].get<std::uint64_t>()) + ", but " +
                            std::to_string(counted) + " mutants are counted that way in /mutants");
  }
  const auto rate = score.kill_rate();
  if (!summary.contains("kill_rate") ||
      !(summary["kill_rate"].is_null() || summary["kill_rate"].is_number()))
    throw fail("/summary/kill_rate", "expected a number or null");
  const bool agrees = summary["kill_rate"].is_null()
                          ? !rate
                          : rate && std::fabs(summary["kill_rate"].get<double>() - *rate) < 1e-3;
  if (!agrees) throw fail("/summary/kill_rate", "does not equal killed / (mutants - excused)");
  return score;
}

MutationScore read_mutation_report(const std::filesystem::path& file) {
  if (!std::ifstream(file)) throw MutationReportError(file.string() + ": cannot be read");
  json document;
  try {
    document = read_outside_json_file(file);
  } catch (const OutsideJsonError& e) {
    throw MutationReportError(e.what());
  }
  return parse_mutation_report(document, file.string());
}

}  // namespace pipecheck::harness

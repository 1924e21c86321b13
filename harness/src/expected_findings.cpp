// Known findings and their comparison with a report (expected_findings.hpp).
#include "pipecheck/harness/expected_findings.hpp"

#include <algorithm>
#include <fstream>
#include <set>

#include "pipecheck/harness/outside_input.hpp"

namespace pipecheck::harness {
namespace {

using nlohmann::json;

constexpr std::string_view kExpectedFindingsFormat = "pipecheck-expected-findings";

// "server=node client=reference", or "no implementation".
std::string roles_or_none(const Check& check) {
  std::string text;
  for (const auto& [role, name] : check.implementations)
    text += (text.empty() ? "" : " ") + role + "=" + name;
  return text.empty() ? "no implementation" : text;
}

bool plays_a_role(const Check& check, const std::string& impl) {
  return std::any_of(check.implementations.begin(), check.implementations.end(),
                     [&](const auto& role) { return role.second == impl; });
}

std::string suite_of(const std::string& check_id) {
  return check_id.substr(0, check_id.find('.'));
}

}  // namespace

std::vector<ExpectedFinding> parse_expected_findings(const json& document,
                                                     const std::string& source) {
  auto fail = [&](const std::string& pointer, const std::string& rule) {
    return ExpectedFindingsError(source + ": " + (pointer.empty() ? "/" : pointer) + ": " + rule);
  };
  if (!document.is_object()) throw fail("", "expected an object");
  if (document.value("format", "") != kExpectedFindingsFormat)
    throw fail("/format", "expected \"" + std::string(kExpectedFindingsFormat) + "\"");
  if (document.value("format_version", 0) != 1) throw fail("/format_version", "expected 1");
  if (!document.contains("findings") || !document["findings"].is_array())
    throw fail("/findings", "expected an array");
  std::vector<ExpectedFinding> findings;
  std::set<std::pair<std::string, std::string>> seen;
  for (std::size_t i = 0; i < document["findings"].size(); ++i) {
    const json& entry = document["findings"][i];
    const std::string where = "/findings/" + std::to_string(i);
    if (!entry.is_object()) throw fail(where, "expected an object");
    auto text = [&](const char* field) {
      if (!entry.contains(field) || !entry[field].is_string() ||
          entry[field].get<std::string>().empty())
        throw fail(where + "/" + field, "expected a non-empty string");
      return entry[field].get<std::string>();
    };
    for (const auto& [key, value] : entry.items())
      if (key != "impl" && key != "check" && key != "status" && key != "reason" &&
          key != "intermittent")
        throw fail(where + "/" + key,
                   "unknown field (expected impl, check, status, reason, intermittent)");
    ExpectedFinding finding{text("impl"), text("check"), Status::fail, text("reason")};
    if (entry.contains("intermittent")) {
      if (!entry["intermittent"].is_boolean())
        throw fail(where + "/intermittent", "expected true or false");
      finding.intermittent = entry["intermittent"].get<bool>();
    }
    const auto status = parse_status(text("status"));
    if (!status || *status == Status::pass)
      throw fail(where + "/status", "expected fail, error, unsupported or skip, got \"" +
                                        entry["status"].get<std::string>() + "\"");
    finding.status = *status;
    if (!seen.emplace(finding.impl, finding.check).second)
      throw fail(where,
                 "impl " + finding.impl + " and check " + finding.check + " are listed twice");
    findings.push_back(std::move(finding));
  }
  return findings;
}

std::vector<ExpectedFinding> load_expected_findings(const std::filesystem::path& file) {
  if (!std::ifstream(file)) throw ExpectedFindingsError(file.string() + ": cannot be read");
  json document;
  try {
    document = read_outside_json_file(file);
  } catch (const OutsideJsonError& e) {
    throw ExpectedFindingsError(e.what());
  }
  return parse_expected_findings(document, file.string());
}

FindingsComparison compare_findings(const Report& report,
                                    const std::vector<ExpectedFinding>& expected,
                                    const std::vector<std::string>& selected) {
  FindingsComparison result;
  std::set<std::string> suites_run;
  for (const auto& check : report.checks) suites_run.insert(suite_of(check.id));
  auto selected_impl = [&](const std::string& impl) {
    return std::find(selected.begin(), selected.end(), impl) != selected.end();
  };
  auto listed = [&](const Check& check) -> const ExpectedFinding* {
    for (const auto& finding : expected)
      if (finding.check == check.id && plays_a_role(check, finding.impl)) return &finding;
    return nullptr;
  };

  for (const auto& check : report.checks) {
    const ExpectedFinding* finding = listed(check);
    if (finding == nullptr) {
      if (check.status == Status::fail || check.status == Status::error)
        result.unexpected.push_back(std::string(to_string(check.status)) + "  " + check.id + "  (" +
                                    roles_or_none(check) +
                                    "): " + check.message.substr(0, check.message.find('\n')));
      continue;
    }
    if (check.status == finding->status) {
      result.confirmed.push_back(std::string(to_string(check.status)) + "  " + check.id + "  (" +
                                 finding->impl + "): " + finding->reason);
    } else if (finding->intermittent && check.status == Status::pass) {
      result.not_seen.push_back(check.id + "  (" + finding->impl + "): " + finding->reason);
    } else {
      result.changed.push_back(check.id + "  (" + finding->impl + "): expected " +
                               std::string(to_string(finding->status)) + ", got " +
                               std::string(to_string(check.status)) +
                               " (update the expectations if the finding went away)");
    }
  }
  for (const auto& finding : expected) {
    if (!selected_impl(finding.impl) || !suites_run.contains(suite_of(finding.check))) continue;
    const bool ran = std::any_of(report.checks.begin(), report.checks.end(), [&](const Check& c) {
      return c.id == finding.check && plays_a_role(c, finding.impl);
    });
    if (!ran)
      result.missing.push_back(finding.check + "  (" + finding.impl +
                               "): listed but not in the report (renamed or removed?)");
  }
  return result;
}

std::string FindingsComparison::summary() const {
  std::string text;
  auto group = [&](const std::string& title, const std::vector<std::string>& lines) {
    if (lines.empty()) return;
    text += title + " (" + std::to_string(lines.size()) + "):\n";
    for (const auto& line : lines) text += "  " + line + "\n";
  };
  group("expected findings, seen as listed", confirmed);
  group("NEW failures, not in the expectations", unexpected);
  group("CHANGED: listed findings with another status", changed);
  group("MISSING: listed findings whose check did not run", missing);
  group("intermittent findings not seen this run (their race was not hit)", not_seen);
  text += ok() ? "expectations met: " + std::to_string(confirmed.size()) +
                     " known finding(s), no new failure\n"
               : "expectations NOT met: " + std::to_string(unexpected.size()) + " new, " +
                     std::to_string(changed.size()) + " changed, " +
                     std::to_string(missing.size()) + " missing\n";
  return text;
}

}  // namespace pipecheck::harness

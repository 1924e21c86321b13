// CTRF export of a report.
#include "pipecheck/harness/report_ctrf.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>

namespace pipecheck::harness {
namespace {

using nlohmann::json;

// "2026-11-23T11:41:41.123Z" -> Unix epoch milliseconds.
std::optional<std::int64_t> epoch_ms(std::string_view rfc3339) {
  int year = 0;
  unsigned month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
  const std::string text(rfc3339);
  if (std::sscanf(text.c_str(), "%4d-%2u-%2uT%2u:%2u:%2u.%3uZ", &year, &month, &day, &hour, &minute,
                  &second, &millis) != 7)
    return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(month),
                                         std::chrono::day(day)};
  if (!date.ok()) return std::nullopt;
  const auto time = std::chrono::sys_days(date) + std::chrono::hours(hour) +
                    std::chrono::minutes(minute) + std::chrono::seconds(second) +
                    std::chrono::milliseconds(millis);
  return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

}  // namespace

json to_ctrf(const Report& report) {
  json tests = json::array();
  std::map<std::string, int> summary = {
      {"passed", 0}, {"failed", 0}, {"pending", 0}, {"skipped", 0}, {"other", 0}};
  for (const auto& c : report.checks) {
    std::string status;
    switch (c.status) {
      case Status::pass:
        status = "passed";
        break;
      case Status::fail:
        status = "failed";
        break;
      case Status::skip:
        status = "skipped";
        break;
      case Status::unsupported:
      case Status::error:
        status = "other";
        break;
    }
    ++summary[status];
    const auto dot = c.id.find('.');
    json test = {{"name", c.id},
                 {"status", status},
                 {"rawStatus", to_string(c.status)},
                 {"duration", static_cast<std::int64_t>(c.duration_ms + 0.5)},
                 {"suite", json::array({c.id.substr(0, dot)})},
                 {"tags", c.requirements},
                 {"type", "conformance"}};
    if (!c.message.empty()) test["message"] = c.message;
    json extra = {{"pipecheck_status", to_string(c.status)},
                  {"requirements", c.requirements},
                  {"implementations", c.implementations},
                  {"run", c.run_id}};
    if (!c.measurements.empty()) extra["measurements"] = c.measurements;
    if (!c.logs.empty()) extra["logs"] = c.logs;
    test["extra"] = extra;
    tests.push_back(test);
  }
  json ctrf_summary = {{"tests", report.checks.size()}};
  for (const auto& [name, count] : summary) ctrf_summary[name] = count;
  // CTRF wants Unix epoch milliseconds: the earliest start and the latest end of all runs.
  std::int64_t start = 0, stop = 0;
  for (const auto& run : report.runs) {
    const auto began = epoch_ms(run.started_at);
    const auto ended = epoch_ms(run.finished_at.empty() ? run.started_at : run.finished_at);
    if (began && (start == 0 || *began < start)) start = *began;
    if (ended && *ended > stop) stop = *ended;
  }
  ctrf_summary["start"] = start;
  ctrf_summary["stop"] = std::max(start, stop);
  json environment = json::object();
  json tool = {{"name", "pipecheck"}};
  if (!report.runs.empty()) {
    const RunInfo& first = report.runs.front();
    tool["version"] = first.pipecheck_version;
    environment = {{"osPlatform", first.os},
                   {"osRelease", first.os_release},
                   {"buildName", "pipecheck"},
                   {"buildNumber", first.git_commit}};
  }
  json runs = json::array();
  for (const auto& run : report.runs) runs.push_back(to_json(run));
  return {{"reportFormat", "CTRF"},
          {"specVersion", "0.0.0"},
          {"results",
           {{"tool", tool},
            {"summary", ctrf_summary},
            {"tests", tests},
            {"environment", environment},
            {"extra",
             {{"format", kReportFormat},
              {"format_version", kReportFormatVersion},
              {"runs", runs},
              {"conflicts", report.conflicts.size()}}}}}};
}

}  // namespace pipecheck::harness

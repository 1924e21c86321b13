// The report model: statuses, the JSON form, parsing with precise errors, schema validation.
#include "pipecheck/harness/report.hpp"

#include <fstream>
#include <set>

#include "pipecheck/harness/json_schema.hpp"
#include "pipecheck/harness/outside_input.hpp"
#include "pipecheck/harness/report_build_info.hpp"
#include "pipecheck/harness/report_interop.hpp"

namespace pipecheck::harness {
namespace {

using nlohmann::json;

// Reads fields of one JSON object and reports the first broken rule with its JSON pointer.
class Reader {
 public:
  Reader(const json& value, std::string pointer, std::string_view source)
      : value_(value), pointer_(std::move(pointer)), source_(source) {
    if (!value_.is_object()) fail("", "must be an object");
  }

  [[noreturn]] void fail(std::string_view field, std::string_view rule) const {
    std::string where = pointer_;
    if (!field.empty()) where += "/" + std::string(field);
    if (where.empty()) where = "/";
    throw ReportError(std::string(source_) + ": " + where + ": " + std::string(rule));
  }

  const json* find(std::string_view field) const {
    auto it = value_.find(field);
    return it == value_.end() ? nullptr : &*it;
  }
  const json& require(std::string_view field) const {
    const json* v = find(field);
    if (v == nullptr) fail(field, "is required but missing");
    return *v;
  }

  std::string string(std::string_view field, bool required = true) const {
    const json* v = required ? &require(field) : find(field);
    if (v == nullptr || v->is_null()) return {};
    if (!v->is_string()) fail(field, "expected a string, got " + std::string(v->type_name()));
    return v->get<std::string>();
  }
  double number(std::string_view field, bool required = true) const {
    const json* v = required ? &require(field) : find(field);
    if (v == nullptr) return 0;
    if (!v->is_number()) fail(field, "expected a number, got " + std::string(v->type_name()));
    const double d = v->get<double>();
    if (d < 0) fail(field, "expected a number >= 0, got " + v->dump());
    return d;
  }
  std::vector<std::string> strings(std::string_view field) const {
    const json* v = find(field);
    if (v == nullptr) return {};
    if (!v->is_array()) fail(field, "expected an array of strings");
    std::vector<std::string> out;
    for (const auto& item : *v) {
      if (!item.is_string()) fail(field, "expected an array of strings, found " + item.dump());
      out.push_back(item.get<std::string>());
    }
    return out;
  }
  std::map<std::string, std::string> string_map(std::string_view field) const {
    const json* v = find(field);
    if (v == nullptr) return {};
    if (!v->is_object()) fail(field, "expected an object of strings");
    std::map<std::string, std::string> out;
    for (const auto& [key, item] : v->items()) {
      if (!item.is_string()) fail(std::string(field) + "/" + key, "expected a string");
      out[key] = item.get<std::string>();
    }
    return out;
  }
  Status status(std::string_view field) const {
    const std::string text = string(field);
    auto status = parse_status(text);
    if (!status)
      fail(field, "expected one of pass|fail|skip|unsupported|error, got \"" + text + "\"");
    return *status;
  }
  std::string child(std::string_view field) const { return pointer_ + "/" + std::string(field); }

 private:
  const json& value_;
  std::string pointer_;
  std::string_view source_;
};

const json& array_at(const Reader& r, std::string_view field) {
  const json& v = r.require(field);
  if (!v.is_array()) r.fail(field, "expected an array, got " + std::string(v.type_name()));
  return v;
}

json implementation_to_json(const ImplementationInfo& i) {
  return {{"name", i.name}, {"version", i.version},           {"platform", i.platform},
          {"arch", i.arch}, {"capabilities", i.capabilities}, {"provided_by", i.provided_by}};
}

json run_to_json(const RunInfo& run) {
  json j = {{"run_id", run.run_id},
            {"state", to_string(run.state)},
            {"pipecheck_version", run.pipecheck_version},
            {"os", run.os},
            {"os_release", run.os_release},
            {"arch", run.arch},
            {"compiler", run.compiler},
            {"git_commit", run.git_commit},
            {"host", run.host},
            {"started_at", run.started_at},
            {"finished_at", run.finished_at.empty() ? json(nullptr) : json(run.finished_at)},
            {"implementations", json::array()}};
  if (run.state == RunState::interrupted) j["interrupted_by"] = run.interrupted_by;
  for (const auto& i : run.implementations)
    j["implementations"].push_back(implementation_to_json(i));
  return j;
}

json check_to_json(const Check& c) {
  json j = {{"id", c.id},
            {"run", c.run_id},
            {"requirements", c.requirements},
            {"status", to_string(c.status)},
            {"duration_ms", c.duration_ms},
            {"message", c.message},
            {"implementations", c.implementations},
            {"measurements", c.measurements},
            {"logs", c.logs}};
  if (!c.agent_stderr.empty()) j["agent_stderr"] = c.agent_stderr;
  return j;
}

json geometry_to_json(const GeometryRun& g) {
  return {{"name", g.name},
          {"run", g.run_id},
          {"check", g.check},
          {"parameters", g.parameters},
          {"server", g.server},
          {"client", g.client},
          {"outcomes", g.outcomes},
          {"busy_rate", g.busy_rate},
          {"latency_us",
           {{"p50", g.latency_us.p50},
            {"p90", g.latency_us.p90},
            {"p99", g.latency_us.p99},
            {"max", g.latency_us.max},
            {"method", g.latency_us.method}}},
          {"accepts_per_s", g.accepts_per_s},
          {"wall_ms", g.wall_ms},
          {"errors", g.errors}};
}

json conflict_to_json(const Conflict& c) {
  json entries = json::array();
  for (const auto& e : c.entries)
    entries.push_back({{"run", e.run_id}, {"status", to_string(e.status)}, {"message", e.message}});
  return {{"id", c.id},
          {"implementations", c.implementations},
          {"platform", c.platform},
          {"entries", entries}};
}

json interop_to_json(const InteropMatrix& matrix) {
  json cells = json::array();
  for (const auto& cell : matrix.cells) {
    json checks = json::object();
    for (const auto& [name, status] : cell.checks) checks[name] = to_string(status);
    cells.push_back({{"server", cell.server},
                     {"client", cell.client},
                     {"outcome", to_string(cell.outcome)},
                     {"checks", checks}});
  }
  return {{"servers", matrix.servers}, {"clients", matrix.clients}, {"cells", cells}};
}

ImplementationInfo implementation_from(const json& j, const std::string& pointer,
                                       std::string_view source) {
  Reader r(j, pointer, source);
  ImplementationInfo info{r.string("name"), r.string("version"), r.string("platform"),
                          r.string("arch"), r.strings("capabilities")};
  if (j.contains("provided_by")) {
    info.provided_by = r.string_map("provided_by");
    for (const auto& [capability, provider] : info.provided_by)
      if (provider != "library" && provider != "agent")
        r.fail("provided_by/" + capability,
               "expected \"library\" or \"agent\", got \"" + provider + "\"");
  }
  return info;
}

RunInfo run_from(const json& j, const std::string& pointer, std::string_view source) {
  Reader r(j, pointer, source);
  RunInfo run;
  run.run_id = r.string("run_id");
  if (run.run_id.empty()) r.fail("run_id", "must not be empty");
  const std::string state = r.string("state");
  if (state == "running") {
    run.state = RunState::running;
  } else if (state == "complete") {
    run.state = RunState::complete;
  } else if (state == "interrupted") {
    run.state = RunState::interrupted;
  } else {
    r.fail("state", "expected one of running|complete|interrupted, got \"" + state + "\"");
  }
  run.interrupted_by = r.string("interrupted_by", false);
  run.pipecheck_version = r.string("pipecheck_version");
  run.os = r.string("os");
  run.os_release = r.string("os_release");
  run.arch = r.string("arch");
  run.compiler = r.string("compiler");
  run.git_commit = r.string("git_commit");
  run.host = r.string("host");
  run.started_at = r.string("started_at");
  run.finished_at = r.string("finished_at", false);
  const json& impls = array_at(r, "implementations");
  for (std::size_t i = 0; i < impls.size(); ++i)
    run.implementations.push_back(implementation_from(
        impls[i], r.child("implementations") + "/" + std::to_string(i), source));
  return run;
}

Check check_from(const json& j, const std::string& pointer, std::string_view source) {
  Reader r(j, pointer, source);
  Check c;
  c.id = r.string("id");
  if (c.id.empty()) r.fail("id", "must not be empty");
  c.run_id = r.string("run");
  c.requirements = r.strings("requirements");
  c.status = r.status("status");
  c.duration_ms = r.number("duration_ms");
  c.message = r.string("message");
  c.implementations = r.string_map("implementations");
  if (const json* m = r.find("measurements")) {
    if (!m->is_object()) r.fail("measurements", "expected an object");
    for (const auto& [name, value] : m->items())
      if (!value.is_number() && !value.is_object())
        r.fail("measurements/" + name,
               "expected a number or an object, got " + std::string(value.type_name()));
    c.measurements = *m;
  }
  c.logs = r.strings("logs");
  c.agent_stderr = r.string_map("agent_stderr");
  return c;
}

GeometryRun geometry_from(const json& j, const std::string& pointer, std::string_view source) {
  Reader r(j, pointer, source);
  GeometryRun g;
  g.name = r.string("name");
  g.run_id = r.string("run");
  g.check = r.string("check");
  if (const json* p = r.find("parameters")) {
    if (!p->is_object()) r.fail("parameters", "expected an object");
    g.parameters = *p;
  }
  g.server = r.string("server");
  g.client = r.string("client");
  const json& outcomes = r.require("outcomes");
  if (!outcomes.is_object()) r.fail("outcomes", "expected an object of counts");
  for (const auto& [name, count] : outcomes.items()) {
    if (!count.is_number_integer() || count.get<std::int64_t>() < 0)
      r.fail("outcomes/" + name, "expected a count (integer >= 0), got " + count.dump());
    g.outcomes[name] = count.get<std::int64_t>();
  }
  g.busy_rate = r.number("busy_rate");
  if (g.busy_rate > 1) r.fail("busy_rate", "expected a fraction in [0, 1]");
  Reader latency(r.require("latency_us"), r.child("latency_us"), source);
  g.latency_us = {latency.number("p50"), latency.number("p90"), latency.number("p99"),
                  latency.number("max"), latency.string("method")};
  g.accepts_per_s = r.number("accepts_per_s");
  g.wall_ms = r.number("wall_ms");
  g.errors = r.strings("errors");
  return g;
}

Conflict conflict_from(const json& j, const std::string& pointer, std::string_view source) {
  Reader r(j, pointer, source);
  Conflict c{r.string("id"), r.string_map("implementations"), r.string("platform"), {}};
  const json& entries = array_at(r, "entries");
  for (std::size_t i = 0; i < entries.size(); ++i) {
    Reader e(entries[i], r.child("entries") + "/" + std::to_string(i), source);
    c.entries.push_back({e.string("run"), e.status("status"), e.string("message")});
  }
  return c;
}

}  // namespace

json LatencySummary::to_json() const {
  return {{"p50", p50}, {"p90", p90}, {"p99", p99}, {"max", max}, {"method", method}};
}

int severity(Status status) {
  switch (status) {
    case Status::pass:
      return 0;
    case Status::skip:
      return 1;
    case Status::unsupported:
      return 2;
    case Status::fail:
      return 3;
    case Status::error:
      return 4;
  }
  return 4;
}

std::string_view to_string(Status status) {
  switch (status) {
    case Status::pass:
      return "pass";
    case Status::fail:
      return "fail";
    case Status::skip:
      return "skip";
    case Status::unsupported:
      return "unsupported";
    case Status::error:
      return "error";
  }
  return "error";
}

std::optional<Status> parse_status(std::string_view text) {
  for (Status s : kAllStatuses)
    if (to_string(s) == text) return s;
  return std::nullopt;
}

std::string_view to_string(RunState state) {
  switch (state) {
    case RunState::running:
      return "running";
    case RunState::complete:
      return "complete";
    case RunState::interrupted:
      return "interrupted";
  }
  return "running";
}

std::map<Status, int> count_by_status(const Report& report) {
  std::map<Status, int> counts;
  for (Status s : kAllStatuses) counts[s] = 0;
  for (const auto& c : report.checks) ++counts[c.status];
  return counts;
}

json to_json(const RunInfo& run) {
  return run_to_json(run);
}

json to_json(const Report& report) {
  json j = {{"format", kReportFormat},     {"format_version", kReportFormatVersion},
            {"runs", json::array()},       {"checks", json::array()},
            {"geometries", json::array()}, {"conflicts", json::array()}};
  for (const auto& run : report.runs) j["runs"].push_back(run_to_json(run));
  for (const auto& c : report.checks) j["checks"].push_back(check_to_json(c));
  for (const auto& g : report.geometries) j["geometries"].push_back(geometry_to_json(g));
  for (const auto& c : report.conflicts) j["conflicts"].push_back(conflict_to_json(c));
  json summary = {{"checks", report.checks.size()}};
  for (const auto& [status, count] : count_by_status(report)) summary[to_string(status)] = count;
  summary["geometries"] = report.geometries.size();
  summary["conflicts"] = report.conflicts.size();
  j["summary"] = summary;
  if (const InteropMatrix matrix = interop_matrix(report); !matrix.cells.empty())
    j["interop"] = interop_to_json(matrix);
  return j;
}

Report report_from_json(const json& document, std::string_view source) {
  Reader r(document, "", source);
  if (r.string("format") != kReportFormat)
    r.fail("format", "expected \"" + std::string(kReportFormat) + "\"");
  const json& version = r.require("format_version");
  if (!version.is_number_integer() || version.get<int>() < kOldestReadableReportFormatVersion ||
      version.get<int>() > kReportFormatVersion)
    r.fail("format_version", "expected " + std::to_string(kOldestReadableReportFormatVersion) +
                                 " to " + std::to_string(kReportFormatVersion) + ", got " +
                                 version.dump() + " (written by another pipecheck version?)");
  Report report;
  const json& runs = array_at(r, "runs");
  for (std::size_t i = 0; i < runs.size(); ++i)
    report.runs.push_back(run_from(runs[i], "/runs/" + std::to_string(i), source));
  std::set<std::string> run_ids;
  for (const auto& run : report.runs) run_ids.insert(run.run_id);
  const json& checks = array_at(r, "checks");
  for (std::size_t i = 0; i < checks.size(); ++i) {
    const std::string pointer = "/checks/" + std::to_string(i);
    report.checks.push_back(check_from(checks[i], pointer, source));
    if (!run_ids.contains(report.checks.back().run_id))
      Reader(checks[i], pointer, source).fail("run", "does not name a run in /runs");
  }
  const json& geometries = array_at(r, "geometries");
  for (std::size_t i = 0; i < geometries.size(); ++i)
    report.geometries.push_back(
        geometry_from(geometries[i], "/geometries/" + std::to_string(i), source));
  if (const json* conflicts = r.find("conflicts")) {
    if (!conflicts->is_array()) r.fail("conflicts", "expected an array");
    for (std::size_t i = 0; i < conflicts->size(); ++i)
      report.conflicts.push_back(
          conflict_from((*conflicts)[i], "/conflicts/" + std::to_string(i), source));
  }
  return report;
}

Report read_report(const std::filesystem::path& file) {
  if (!std::ifstream(file)) throw ReportError(file.string() + ": cannot open for reading");
  json document;
  try {
    document = read_outside_json_file(file);
  } catch (const OutsideJsonError& e) {
    throw ReportError(e.what());
  }
  const auto violations = validate_report(document);
  if (!violations.empty()) {
    std::string message = file.string() + ": does not match docs/formats/report.schema.json:";
    for (const auto& v : violations) message += "\n  " + v;
    throw ReportError(message);
  }
  return report_from_json(document, file.string());
}

const nlohmann::json& report_schema() {
  static const nlohmann::json schema = nlohmann::json::parse(kReportSchemaText);
  return schema;
}

std::vector<std::string> validate_report(const nlohmann::json& document) {
  static const SchemaSet schemas = [] {
    SchemaSet set;
    set.add("report.schema.json", report_schema());
    return set;
  }();
  std::vector<std::string> lines;
  for (const auto& violation : schemas.validate(document, "report.schema.json"))
    lines.push_back(violation.to_string());
  return lines;
}

}  // namespace pipecheck::harness

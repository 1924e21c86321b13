// The report model: JSON form, parsing with precise errors, summary and merge.
#include "pipecheck/harness/report.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "pipecheck/harness/outside_input.hpp"

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

// At most `limit` bytes of `text`, cut at a line end where possible, saying what was left out.
std::string bounded(const std::string& text, std::size_t limit) {
  if (text.size() <= limit) return text;
  std::size_t cut = text.rfind('\n', limit);
  if (cut == std::string::npos || cut < limit / 2) cut = limit;
  return text.substr(0, cut) + "\n[... " + std::to_string(text.size() - cut) + " more bytes]";
}

// Every line of `text` with `prefix` in front; ends with a newline (nothing for empty text).
std::string indented(const std::string& text, const std::string& prefix) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out += prefix + text.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return out;
}

std::string interop_table(const InteropMatrix& matrix) {
  const std::string corner = "client \\ server";
  std::size_t width = corner.size();
  for (const auto& name : matrix.clients) width = std::max(width, name.size());
  for (const auto& name : matrix.servers) width = std::max(width, name.size());
  width = std::max<std::size_t>(width, 11) + 2;  // "unsupported"
  auto pad = [&](const std::string& text) { return text + std::string(width - text.size(), ' '); };
  std::string text = "\ninterop (rows: client implementation, columns: server implementation):\n";
  std::string header = pad(corner);
  for (const auto& server : matrix.servers) header += pad(server);
  text += header.substr(0, header.find_last_not_of(' ') + 1) + "\n";
  for (const auto& client : matrix.clients) {
    std::string row = pad(client);
    for (const auto& server : matrix.servers) {
      const InteropCell* cell = matrix.find(server, client);
      row += pad(cell ? std::string(to_string(cell->outcome)) : "-");
    }
    text += row.substr(0, row.find_last_not_of(' ') + 1) + "\n";
  }
  return text;
}

// Who provides each declared capability, per implementation: the library under test, or the
// agent's own code around it (hello `provided_by`); "undeclared" when the agent did not say.
std::string provenance_table(const Report& report) {
  std::vector<const ImplementationInfo*> seen;
  for (const auto& run : report.runs)
    for (const auto& i : run.implementations)
      if (!i.capabilities.empty() &&
          std::none_of(seen.begin(), seen.end(),
                       [&](const ImplementationInfo* s) { return *s == i; }))
        seen.push_back(&i);
  if (seen.empty()) return "";
  std::string text =
      "\ncapabilities by provider (library: the library under test does it; agent: the agent's own "
      "code does it):\n";
  for (const ImplementationInfo* i : seen) {
    std::map<std::string, std::vector<std::string>> by_provider;
    for (const auto& capability : i->capabilities) {
      const auto found = i->provided_by.find(capability);
      by_provider[found == i->provided_by.end() ? "undeclared" : found->second].push_back(
          capability);
    }
    text += "  " + i->name + " " + i->version + " (" + i->platform + " " + i->arch + ")\n";
    for (const char* provider : {"library", "agent", "undeclared"}) {
      const auto found = by_provider.find(provider);
      if (found == by_provider.end()) continue;
      std::string names;
      for (const auto& capability : found->second)
        names += (names.empty() ? "" : ", ") + capability;
      text += "    " + std::string(provider) + ": " + names + "\n";
    }
  }
  return text;
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

GeometryRun to_geometry_run(const Geometry& geometry, const GeometryResult& result) {
  GeometryRun run;
  run.name = geometry.name;
  run.parameters = {{"servers", geometry.servers.count},
                    {"queue_size", geometry.servers.queue_size},
                    {"accept_workers", geometry.servers.accept_workers},
                    {"client_processes", geometry.clients.processes},
                    {"client_threads", geometry.clients.threads},
                    {"connections_per_thread", geometry.clients.connections_per_thread},
                    {"retry_deadline_ms", geometry.clients.retry_deadline_ms
                                              ? json(*geometry.clients.retry_deadline_ms)
                                              : json(nullptr)},
                    {"repetitions", geometry.repetitions},
                    {"barrier", result.barrier}};
  if (geometry.silent_clients.processes > 0) {
    run.parameters["silent_client_processes"] = geometry.silent_clients.processes;
    run.parameters["silent_client_threads"] = geometry.silent_clients.threads;
    run.parameters["silent_hold_ms"] = geometry.silent_clients.hold_ms;
  }
  run.server = result.server_implementation;
  run.client = result.client_implementation;
  const OutcomeCounts& o = result.outcomes;
  for (const auto& [name, count] : {std::pair{"ok", o.ok},
                                    {"busy", o.busy},
                                    {"absent", o.absent},
                                    {"refused", o.refused},
                                    {"denied", o.denied},
                                    {"timeout", o.timeout},
                                    {"other", o.other}})
    if (count != 0) run.outcomes[name] = count;
  run.busy_rate = result.busy_rate;
  run.latency_us = result.latency;
  run.accepts_per_s = result.accepts_per_second;
  run.wall_ms = result.wall_ms;
  for (const auto& e : result.errors) run.errors.push_back(e.agent + " " + e.op + ": " + e.what);
  return run;
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

const InteropCell* InteropMatrix::find(std::string_view server, std::string_view client) const {
  for (const auto& cell : cells)
    if (cell.server == server && cell.client == client) return &cell;
  return nullptr;
}

InteropMatrix interop_matrix(const Report& report) {
  InteropMatrix matrix;
  auto note = [](std::vector<std::string>& names, const std::string& name) {
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  };
  for (const auto& c : report.checks) {
    if (!c.id.starts_with(kInteropCheckPrefix)) continue;
    const auto server = c.implementations.find("server");
    const auto client = c.implementations.find("client");
    if (server == c.implementations.end() || client == c.implementations.end()) continue;
    note(matrix.servers, server->second);
    note(matrix.clients, client->second);
    auto cell = std::find_if(matrix.cells.begin(), matrix.cells.end(), [&](const auto& existing) {
      return existing.server == server->second && existing.client == client->second;
    });
    if (cell == matrix.cells.end())
      cell = matrix.cells.insert(matrix.cells.end(),
                                 {server->second, client->second, Status::pass, {}});
    // "Interop/Interop.RoundTrip/server_x_client_y" -> "RoundTrip"
    const std::size_t dot = c.id.find('.');
    std::string name = dot == std::string::npos ? c.id : c.id.substr(dot + 1);
    name = name.substr(0, name.find('/'));
    auto [entry, inserted] = cell->checks.emplace(name, c.status);
    if (!inserted && severity(c.status) > severity(entry->second)) entry->second = c.status;
    if (severity(c.status) > severity(cell->outcome)) cell->outcome = c.status;
  }
  return matrix;
}

std::map<Status, int> count_by_status(const Report& report) {
  std::map<Status, int> counts;
  for (Status s : kAllStatuses) counts[s] = 0;
  for (const auto& c : report.checks) ++counts[c.status];
  return counts;
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
    std::string message = file.string() + ": does not match reports/report.schema.json:";
    for (const auto& v : violations) message += "\n  " + v;
    throw ReportError(message);
  }
  return report_from_json(document, file.string());
}

Report merge(const std::vector<Report>& reports) {
  Report merged;
  std::map<std::string, std::size_t> run_index;
  for (const auto& report : reports) {
    for (const auto& run : report.runs) {
      auto [it, inserted] = run_index.emplace(run.run_id, merged.runs.size());
      if (inserted) {
        merged.runs.push_back(run);
        continue;
      }
      // Parts of one run (several suite executables): widen the time span, join the rest.
      RunInfo& into = merged.runs[it->second];
      if (run.started_at < into.started_at) into.started_at = run.started_at;
      if (run.finished_at.empty() || into.finished_at.empty()) {
        into.finished_at.clear();
      } else if (run.finished_at > into.finished_at) {
        into.finished_at = run.finished_at;
      }
      if (run.state == RunState::interrupted) {
        into.state = RunState::interrupted;
        into.interrupted_by = run.interrupted_by;
      } else if (run.state == RunState::running && into.state == RunState::complete) {
        into.state = RunState::running;
      }
      for (const auto& impl : run.implementations)
        if (std::find(into.implementations.begin(), into.implementations.end(), impl) ==
            into.implementations.end())
          into.implementations.push_back(impl);
    }
    merged.geometries.insert(merged.geometries.end(), report.geometries.begin(),
                             report.geometries.end());
    merged.conflicts.insert(merged.conflicts.end(), report.conflicts.begin(),
                            report.conflicts.end());
  }

  auto platform_of = [&](const Check& c) {
    auto it = run_index.find(c.run_id);
    return it == run_index.end() ? std::string() : merged.runs[it->second].os;
  };
  using Key = std::tuple<std::string, std::map<std::string, std::string>, std::string>;
  std::map<Key, std::vector<std::size_t>> seen;  // key -> indices into merged.checks
  for (const auto& report : reports) {
    for (const auto& check : report.checks) {
      Key key{check.id, check.implementations, platform_of(check)};
      auto& same = seen[key];
      bool duplicate = false;
      bool disagrees = false;
      for (std::size_t index : same) {
        const Check& other = merged.checks[index];
        if (other.status == check.status && other.message == check.message) {
          duplicate = duplicate || other.run_id == check.run_id;
        } else {
          disagrees = true;
        }
      }
      if (duplicate) continue;
      same.push_back(merged.checks.size());
      merged.checks.push_back(check);
      if (!disagrees) continue;
      auto existing =
          std::find_if(merged.conflicts.begin(), merged.conflicts.end(), [&](const Conflict& c) {
            return c.id == check.id && c.implementations == check.implementations &&
                   c.platform == std::get<2>(key);
          });
      if (existing == merged.conflicts.end()) {
        Conflict conflict{check.id, check.implementations, std::get<2>(key), {}};
        for (std::size_t index : same) {
          const Check& c = merged.checks[index];
          conflict.entries.push_back({c.run_id, c.status, c.message});
        }
        merged.conflicts.push_back(std::move(conflict));
      } else {
        existing->entries.push_back({check.run_id, check.status, check.message});
      }
    }
  }
  return merged;
}

std::string summary_table(const Report& report) {
  struct Row {
    std::map<Status, int> counts;
    int total = 0;
  };
  std::map<std::string, Row> rows;
  Row total;
  for (const auto& c : report.checks) {
    Row& row = rows[c.id.substr(0, c.id.find('.'))];
    ++row.counts[c.status];
    ++row.total;
    ++total.counts[c.status];
    ++total.total;
  }
  std::size_t width = 5;
  for (const auto& [suite, row] : rows) width = std::max(width, suite.size());
  auto line = [&](const std::string& name, const Row& row) {
    char cells[96];
    std::snprintf(cells, sizeof cells, " %7d %6d %6d %6d %12d %6d\n", row.total,
                  row.counts.contains(Status::pass) ? row.counts.at(Status::pass) : 0,
                  row.counts.contains(Status::fail) ? row.counts.at(Status::fail) : 0,
                  row.counts.contains(Status::skip) ? row.counts.at(Status::skip) : 0,
                  row.counts.contains(Status::unsupported) ? row.counts.at(Status::unsupported) : 0,
                  row.counts.contains(Status::error) ? row.counts.at(Status::error) : 0);
    return name + std::string(width - name.size(), ' ') + cells;
  };
  std::string text =
      "suite" + std::string(width - 5, ' ') + "  checks   pass   fail   skip  unsupported  error\n";
  for (const auto& [suite, row] : rows) text += line(suite, row);
  text += line("total", total);
  text += provenance_table(report);

  std::string problems;
  for (const auto& c : report.checks) {
    if (c.status != Status::fail && c.status != Status::error) continue;
    std::string requirements;
    for (const auto& r : c.requirements) requirements += (requirements.empty() ? "" : ",") + r;
    std::string implementations;
    for (const auto& [role, name] : c.implementations)
      implementations += (implementations.empty() ? "" : " ") + role + "=" + name;
    problems += "  " + std::string(to_string(c.status)) + "  " + c.id + "  [" +
                (requirements.empty() ? "no requirement" : requirements) + "]";
    if (!implementations.empty()) problems += "  (" + implementations + ")";
    problems += "\n";
    problems += indented(bounded(c.message, kSummaryMessageBytes), "      ");
    for (const auto& [agent, tail] : c.agent_stderr)
      problems += "      stderr of " + agent + " (last lines):\n" +
                  indented(bounded(tail, kSummaryMessageBytes), "        | ");
  }
  if (!problems.empty()) text += "\nfailed and errored checks:\n" + problems;
  if (!report.conflicts.empty()) {
    text += "\nconflicts (the same check, implementations and platform disagree):\n";
    for (const auto& c : report.conflicts) {
      text += "  " + c.id + " on " + c.platform + ":";
      for (const auto& e : c.entries)
        text += " " + std::string(to_string(e.status)) + "@" + e.run_id;
      text += "\n";
    }
  }
  if (const InteropMatrix matrix = interop_matrix(report); !matrix.cells.empty())
    text += interop_table(matrix);
  return text;
}

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
  for (const auto& run : report.runs) runs.push_back(run_to_json(run));
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

#include "pipecheck/harness/geometry.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

#include "embedded_files.hpp"
#include "host.hpp"
#include "pipecheck/harness/agent.hpp"
#include "pipecheck/harness/json_schema.hpp"
#include "pipecheck/harness/outside_input.hpp"

namespace pipecheck::harness {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using SteadyTime = std::chrono::steady_clock::time_point;

// ---- loading ---------------------------------------------------------------------------------

const SchemaSet& geometry_schema() {
  static const SchemaSet schema = [] {
    SchemaSet set;
    for (const auto& [name, text] : detail::embedded_geometry_schema()) {
      set.add(std::string(name), json::parse(text));
    }
    return set;
  }();
  return schema;
}

// ---- running ---------------------------------------------------------------------------------

void parallel_for(std::size_t count, const std::function<void(std::size_t)>& body) {
  std::vector<std::thread> threads;
  threads.reserve(count);
  for (std::size_t i = 0; i < count; ++i) threads.emplace_back(body, i);
  for (auto& thread : threads) thread.join();
}

double milliseconds_between(SteadyTime from, SteadyTime to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

AgentError error_from(const std::string& agent, const std::string& role, const std::string& op,
                      const std::exception& e) {
  AgentError error{agent, role, op, e.what(), json::object(), ""};
  if (const auto* failure = dynamic_cast<const AgentFailure*>(&e)) {
    error.details = failure->to_json();
    error.stderr_tail = failure->stderr_tail();
  } else if (const auto* reply = dynamic_cast<const AgentReplyError*>(&e)) {
    error.details = reply->error();
  }
  return error;
}

OutcomeCounts counts_from(const json& dial) {
  OutcomeCounts c;
  c.attempts = dial.value("attempts", std::int64_t{0});
  const json& outcomes = dial["outcomes"];
  c.ok = outcomes.value("ok", std::int64_t{0});
  c.busy = outcomes.value("busy", std::int64_t{0});
  c.absent = outcomes.value("absent", std::int64_t{0});
  c.refused = outcomes.value("refused", std::int64_t{0});
  c.denied = outcomes.value("denied", std::int64_t{0});
  c.timeout = outcomes.value("timeout", std::int64_t{0});
  c.other = outcomes.value("other", std::int64_t{0});
  if (dial.contains("handshake")) {
    c.handshake_accepted = dial["handshake"].value("accepted", std::int64_t{0});
    c.handshake_failed = dial["handshake"].value("failed", std::int64_t{0});
  }
  c.retries = dial.value("retries", std::int64_t{0});
  return c;
}

// Nearest-rank percentile of sorted samples.
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

// Median of per-agent figures, each weighted by the agent's attempts.
double weighted_median(std::vector<std::pair<double, std::int64_t>> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  std::int64_t total = 0;
  for (const auto& v : values) total += v.second;
  std::int64_t seen = 0;
  for (const auto& v : values) {
    seen += v.second;
    if (2 * seen >= total) return v.first;
  }
  return values.back().first;
}

struct ClientRun {
  std::optional<json> result;
  std::vector<double> latencies;  // raw samples when the agent sent them
  bool has_samples = false;
};

LatencySummary merge_latency(const std::vector<AgentFigures>& figures,
                             const std::vector<const ClientRun*>& runs) {
  LatencySummary out;
  bool all_samples = !runs.empty();
  for (const auto* run : runs) all_samples = all_samples && run->has_samples;
  if (all_samples) {
    std::vector<double> samples;
    for (const auto* run : runs)
      samples.insert(samples.end(), run->latencies.begin(), run->latencies.end());
    std::sort(samples.begin(), samples.end());
    out.p50 = percentile(samples, 0.50);
    out.p90 = percentile(samples, 0.90);
    out.p99 = percentile(samples, 0.99);
    out.max = samples.empty() ? 0 : samples.back();
    out.method = "samples";
    return out;
  }
  std::vector<std::pair<double, std::int64_t>> p50s, p90s;
  for (const auto& f : figures) {
    p50s.emplace_back(f.latency.p50, f.outcomes.attempts);
    p90s.emplace_back(f.latency.p90, f.outcomes.attempts);
    out.p99 = std::max(out.p99, f.latency.p99);
    out.max = std::max(out.max, f.latency.max);
  }
  out.p50 = weighted_median(std::move(p50s));
  out.p90 = weighted_median(std::move(p90s));
  out.method = "per-agent-bound";
  return out;
}

}  // namespace

// ---- Geometry ----------------------------------------------------------------------------------

std::int64_t Geometry::attempts_per_repetition() const {
  return std::int64_t{clients.processes} * clients.threads * clients.connections_per_thread;
}

Geometry parse_geometry(const json& document, const std::filesystem::path& source) {
  const std::string file = source.string();
  const SchemaSet& schema = geometry_schema();
  if (auto errors = schema.validate(document, "geometry.schema.json"); !errors.empty()) {
    std::string text = file + ": not a valid geometry (docs/formats/geometry.schema.json):";
    for (const auto& e : errors) text += "\n  " + e.to_string();
    throw GeometryError(text);
  }
  Geometry g;
  g.source = source;
  g.name = document["name"].get<std::string>();
  g.description = document["description"].get<std::string>();
  g.requirements = document["requirements"].get<std::vector<std::string>>();
  const json& servers = document["servers"];
  g.servers.count = servers["count"].get<int>();
  g.servers.queue_size = servers["queue_size"].get<int>();
  g.servers.accept_workers = servers["accept_workers"].get<int>();
  g.servers.hold_ms = servers.value("hold_ms", 0);
  g.servers.handshake = servers.value("handshake", true);
  const json& clients = document["clients"];
  g.clients.processes = clients["processes"].get<int>();
  g.clients.threads = clients["threads"].get<int>();
  g.clients.connections_per_thread = clients["connections_per_thread"].get<int>();
  if (clients.contains("retry") && !clients["retry"].is_null()) {
    g.clients.retry_deadline_ms = clients["retry"]["deadline_ms"].get<int>();
  }
  g.clients.pace_us = clients.value("pace_us", 0);
  g.clients.timeout_ms = clients.value("timeout_ms", 1000);
  g.clients.handshake = clients.value("handshake", true);
  g.clients.hold_ms = clients.value("hold_ms", 0);
  if (document.contains("silent_clients")) {
    const json& silent = document["silent_clients"];
    g.silent_clients.processes = silent["processes"].get<int>();
    g.silent_clients.threads = silent["threads"].get<int>();
    g.silent_clients.hold_ms = silent["hold_ms"].get<int>();
  }
  g.repetitions = document["repetitions"].get<int>();
  for (const auto& [key, value] : document["expect"].items())
    g.expect[key] = value.get<std::int64_t>();

  if (g.clients.handshake && !g.servers.handshake) {
    throw GeometryError(file +
                        ": /clients/handshake: expected false when /servers/handshake is "
                        "false (a client handshake needs a server that answers it)");
  }
  const std::string stem = source.stem().string();
  if (stem != g.name) {
    throw GeometryError(file + ": /name: expected \"" + stem + "\" (the file name without .json)");
  }
  return g;
}

Geometry load_geometry(const std::filesystem::path& path) {
  if (!std::ifstream(path)) throw GeometryError(path.string() + ": cannot open the geometry file");
  json document;
  try {
    document = read_outside_json_file(path);
  } catch (const OutsideJsonError& e) {
    throw GeometryError(e.what());
  }
  return parse_geometry(document, path);
}

std::vector<Geometry> load_geometries(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const auto& path = entry.path();
    if (entry.is_regular_file() && path.extension() == ".json" &&
        path.filename() != "geometry.schema.json") {
      files.push_back(path);
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<Geometry> out;
  for (const auto& file : files) out.push_back(load_geometry(file));
  return out;
}

// ---- results
// -------------------------------------------------------------------------------------

OutcomeCounts& OutcomeCounts::operator+=(const OutcomeCounts& o) {
  attempts += o.attempts;
  ok += o.ok;
  busy += o.busy;
  absent += o.absent;
  refused += o.refused;
  denied += o.denied;
  timeout += o.timeout;
  other += o.other;
  handshake_accepted += o.handshake_accepted;
  handshake_failed += o.handshake_failed;
  retries += o.retries;
  return *this;
}

json OutcomeCounts::to_json() const {
  return {{"attempts", attempts},
          {"outcomes",
           {{"ok", ok},
            {"busy", busy},
            {"absent", absent},
            {"refused", refused},
            {"denied", denied},
            {"timeout", timeout},
            {"other", other}}},
          {"handshake", {{"accepted", handshake_accepted}, {"failed", handshake_failed}}},
          {"retries", retries},
          {"failures", failures()},
          {"busy_rate", busy_rate()}};
}

json AgentError::to_json() const {
  return {{"agent", agent}, {"role", role},       {"op", op},
          {"what", what},   {"details", details}, {"stderr_tail", stderr_tail}};
}

json AgentFigures::to_json() const {
  return {{"agent", agent},
          {"pid", pid},
          {"outcomes", outcomes.to_json()},
          {"latency_us", latency.to_json()},
          {"elapsed_ms", elapsed_ms},
          {"errors", errors}};
}

json RepetitionResult::to_json() const {
  json out = {{"index", index},
              {"outcomes", outcomes.to_json()},
              {"latency_us", latency.to_json()},
              {"wall_ms", wall_ms},
              {"accepted", accepted},
              {"accepts_per_second", accepts_per_second},
              {"clients", json::array()},
              {"errors", json::array()}};
  for (const auto& c : clients) out["clients"].push_back(c.to_json());
  for (const auto& e : errors) out["errors"].push_back(e.to_json());
  return out;
}

json GeometryResult::to_json() const {
  json out = {{"geometry", geometry},
              {"server", server_implementation},
              {"client", client_implementation},
              {"outcomes", outcomes.to_json()},
              {"latency_us", latency.to_json()},
              {"busy_rate", busy_rate},
              {"wall_ms", wall_ms},
              {"accepted", accepted},
              {"accepts_per_second", accepts_per_second},
              {"barrier", barrier},
              {"silent_outcomes", silent.to_json()},
              {"notes", notes},
              {"repetitions", json::array()},
              {"errors", json::array()}};
  for (const auto& r : repetitions) out["repetitions"].push_back(r.to_json());
  for (const auto& e : errors) out["errors"].push_back(e.to_json());
  return out;
}

std::vector<std::string> check_expectations(const Geometry& geometry, const GeometryResult& r) {
  std::vector<std::string> violations;
  if (geometry.informational()) return violations;
  const OutcomeCounts& c = r.outcomes;
  const std::map<std::string, std::int64_t> actual = {
      {"busy", c.busy},
      {"absent", c.absent},
      {"refused", c.refused},
      {"denied", c.denied},
      {"timeout", c.timeout},
      {"other", c.other},
      {"failures", c.failures()},
      {"handshake_failed", c.handshake_failed},
      {"errors", static_cast<std::int64_t>(r.errors.size())}};
  for (const auto& [key, bound] : geometry.expect) {
    std::int64_t value = actual.at(key);
    if (value > bound) {
      violations.push_back(key + ": " + std::to_string(value) + " > " + std::to_string(bound) +
                           " (geometry " + geometry.name + ")");
    }
  }
  if (!geometry.expect.contains("errors") && !r.errors.empty()) {
    violations.push_back("errors: " + std::to_string(r.errors.size()) +
                         " agent error(s), first: " + r.errors.front().what);
  }
  std::int64_t expected_attempts = geometry.attempts_per_repetition() * geometry.repetitions;
  if (r.errors.empty() && c.attempts != expected_attempts) {
    violations.push_back("attempts: " + std::to_string(c.attempts) +
                         " != " + std::to_string(expected_attempts) + " expected by the geometry");
  }
  return violations;
}

// ---- run_geometry
// --------------------------------------------------------------------------------

GeometryResult run_geometry(const Geometry& g, const Implementation& server_impl,
                            const Implementation& client_impl, const RunOptions& options) {
  const SteadyTime run_start = std::chrono::steady_clock::now();
  GeometryResult result;
  result.geometry = g.name;
  result.server_implementation = server_impl.name;
  result.client_implementation = client_impl.name;

  const std::filesystem::path log_dir =
      options.log_dir.empty() ? options.scratch_root / "logs" : options.log_dir;
  std::filesystem::create_directories(log_dir);
  std::mutex mutex;  // guards result.errors / result.notes during parallel phases
  auto record = [&](std::vector<AgentError>& where, AgentError error) {
    std::lock_guard lock(mutex);
    where.push_back(std::move(error));
  };

  // Start every agent at once.
  const std::size_t server_count = static_cast<std::size_t>(g.servers.count);
  const std::size_t client_count = static_cast<std::size_t>(g.clients.processes);
  const std::size_t silent_count = static_cast<std::size_t>(g.silent_clients.processes);
  std::vector<std::unique_ptr<Agent>> servers(server_count), clients(client_count),
      silents(silent_count);
  auto name_of = [&](std::size_t i) {
    if (i < server_count) return "server-" + std::to_string(i);
    if (i < server_count + client_count) return "client-" + std::to_string(i - server_count);
    return "silent-" + std::to_string(i - server_count - client_count);
  };
  auto slot_of = [&](std::size_t i) -> std::unique_ptr<Agent>& {
    if (i < server_count) return servers[i];
    if (i < server_count + client_count) return clients[i - server_count];
    return silents[i - server_count - client_count];
  };
  auto role_of = [&](std::size_t i) {
    return i < server_count ? "server" : i < server_count + client_count ? "client" : "silent";
  };
  parallel_for(server_count + client_count + silent_count, [&](std::size_t i) {
    const bool is_server = i < server_count;
    const std::string name = name_of(i);
    AgentSpec spec = (is_server ? server_impl : client_impl)
                         .agent_spec(g.name + "-" + name, log_dir / (g.name + "-" + name + ".log"));
    spec.env["PIPECHECK_ROOT"] = options.scratch_root.string();
    try {
      slot_of(i) = Agent::start(spec, Deadline::after(options.start_timeout));
    } catch (const std::exception& e) {
      record(result.errors, error_from(spec.name, role_of(i), "start", e));
    }
  });

  // Listen on every server.
  static std::atomic<int> run_counter{0};
  const json handshake_fields = {
      {"kind", "geometry"},
      {"version", "1"},
      {"arch", "*"},
      {"salt", g.name + "-" + std::to_string(host::pid()) + "-" + std::to_string(run_counter++)}};
  struct Listener {
    std::string id, path, hash;
  };
  std::vector<std::optional<Listener>> listeners(server_count);
  parallel_for(server_count, [&](std::size_t i) {
    if (!servers[i]) return;
    json args = {{"profile", "pipecheck"},
                 {"fields", handshake_fields},
                 {"root", options.scratch_root.string()},
                 {"queue_size", g.servers.queue_size},
                 {"accept_workers", g.servers.accept_workers},
                 {"handshake", g.servers.handshake},
                 {"hold_ms", g.servers.hold_ms}};
    try {
      json reply = servers[i]->request("listen", std::move(args), options.op_timeout);
      const std::string name = reply["name"].get<std::string>();
      auto first = name.find('-'), last = name.rfind('-');
      std::string hash = first < last ? name.substr(first + 1, last - first - 1) : "";
      listeners[i] =
          Listener{reply["listener"].get<std::string>(), reply["path"].get<std::string>(), hash};
    } catch (const std::exception& e) {
      record(result.errors, error_from(servers[i]->name(), "server", "listen", e));
    }
  });

  // Client process i dials server i % count (the next listening one if that server failed).
  std::vector<std::optional<json>> dial_args(client_count);
  for (std::size_t i = 0; i < client_count; ++i) {
    if (!clients[i]) continue;
    const Listener* target = nullptr;
    for (std::size_t k = 0; k < server_count && !target; ++k) {
      const auto& candidate = listeners[(i + k) % server_count];
      if (candidate) target = &*candidate;
    }
    if (!target) {
      record(result.errors,
             {clients[i]->name(), "client", "dial", "no server is listening", json::object(), ""});
      continue;
    }
    json args = {
        {"path", target->path},
        {"threads", g.clients.threads},
        {"count", g.clients.connections_per_thread},
        {"timeout_ms", g.clients.timeout_ms},
        {"retry", g.clients.retry_deadline_ms ? json{{"deadline_ms", *g.clients.retry_deadline_ms}}
                                              : json(nullptr)},
        {"handshake", g.clients.handshake ? json(target->hash) : json(nullptr)},
        {"hold_ms", g.clients.hold_ms},
        {"pace_us", g.clients.pace_us}};
    if (clients[i]->has("dial.latencies")) args["record_latencies"] = true;
    dial_args[i] = std::move(args);
  }

  // Silent client i connects to the server of client i (each thread once) and sends nothing.
  std::vector<std::optional<json>> silent_args(silent_count);
  for (std::size_t i = 0; i < silent_count; ++i) {
    if (!silents[i]) continue;
    const auto& target = listeners[i % std::max<std::size_t>(server_count, 1)];
    if (!target) continue;
    silent_args[i] = json{{"path", target->path},
                          {"threads", g.silent_clients.threads},
                          {"count", 1},
                          {"timeout_ms", g.clients.timeout_ms},
                          {"retry", nullptr},
                          {"handshake", nullptr},
                          {"hold_ms", g.silent_clients.hold_ms},
                          {"pace_us", 0}};
  }
  const milliseconds silent_timeout =
      milliseconds(g.clients.timeout_ms + g.silent_clients.hold_ms) + options.dial_slack;

  // The bound of one dial reply: every attempt may take its whole timeout (or retry deadline).
  const std::int64_t per_attempt_ms = g.clients.timeout_ms +
                                      g.clients.retry_deadline_ms.value_or(0) + g.clients.hold_ms +
                                      g.clients.pace_us / 1000 + 1;
  const milliseconds dial_timeout =
      std::min(milliseconds(per_attempt_ms * g.clients.connections_per_thread) + options.dial_slack,
               options.max_dial_timeout);

  for (int rep = 0; rep < g.repetitions; ++rep) {
    RepetitionResult repetition;
    repetition.index = rep;

    std::vector<std::int64_t> accepted_before(server_count, -1);
    auto read_accepted = [&](std::size_t i) -> std::int64_t {
      if (!servers[i] || !listeners[i] || !servers[i]->has("counters")) return -1;
      try {
        json counters =
            servers[i]->request("counters", {{"listener", listeners[i]->id}}, options.op_timeout);
        return counters.value("accepted", std::int64_t{-1});
      } catch (const std::exception& e) {
        record(repetition.errors, error_from(servers[i]->name(), "server", "counters", e));
        return -1;
      }
    };
    parallel_for(server_count, [&](std::size_t i) { accepted_before[i] = read_accepted(i); });

    // Arm every client behind its barrier, then fire all at once.
    std::vector<std::optional<std::string>> tokens(client_count);
    // One byte per client, not vector<bool>: its bits share words across the writing threads.
    std::vector<char> armed(client_count, 0);
    parallel_for(client_count, [&](std::size_t i) {
      if (!clients[i] || !dial_args[i]) return;
      if (!clients[i]->has("dial.barrier")) {
        armed[i] = true;
        return;
      }
      try {
        json reply = clients[i]->request("prepare_dial", *dial_args[i], options.op_timeout);
        tokens[i] = reply["token"].get<std::string>();
        armed[i] = true;
      } catch (const std::exception& e) {
        record(repetition.errors, error_from(clients[i]->name(), "client", "prepare_dial", e));
      }
    });
    for (std::size_t i = 0; i < client_count; ++i) {
      if (armed[i] && !tokens[i]) {
        std::lock_guard lock(mutex);
        result.barrier = false;
        std::string note = clients[i]->name() + " lacks dial.barrier: it ran a plain dial";
        if (std::find(result.notes.begin(), result.notes.end(), note) == result.notes.end()) {
          result.notes.push_back(note);
        }
      }
    }

    std::vector<ClientRun> runs(client_count);
    std::vector<SteadyTime> finished(client_count);
    std::vector<std::optional<json>> silent_runs(silent_count);
    const SteadyTime fire_time = std::chrono::steady_clock::now();
    parallel_for(client_count + silent_count, [&](std::size_t at) {
      if (at >= client_count) {
        const std::size_t i = at - client_count;
        if (!silent_args[i]) return;
        try {
          silent_runs[i] = silents[i]->request("dial", *silent_args[i], silent_timeout);
        } catch (const std::exception& e) {
          record(repetition.errors, error_from(silents[i]->name(), "silent", "dial", e));
        }
        return;
      }
      const std::size_t i = at;
      if (!armed[i]) return;
      try {
        runs[i].result = tokens[i]
                             ? clients[i]->request("fire", {{"token", *tokens[i]}}, dial_timeout)
                             : clients[i]->request("dial", *dial_args[i], dial_timeout);
      } catch (const std::exception& e) {
        record(repetition.errors,
               error_from(clients[i]->name(), "client", tokens[i] ? "fire" : "dial", e));
      }
      finished[i] = std::chrono::steady_clock::now();
    });

    SteadyTime last = fire_time;
    std::vector<const ClientRun*> ok_runs;
    for (std::size_t i = 0; i < client_count; ++i) {
      if (!runs[i].result) continue;
      const json& dial = *runs[i].result;
      last = std::max(last, finished[i]);
      AgentFigures figures;
      figures.agent = clients[i]->name();
      figures.pid = clients[i]->pid();
      figures.outcomes = counts_from(dial);
      if (dial.contains("latency_us")) {
        const json& l = dial["latency_us"];
        figures.latency = {l["p50"].get<double>(), l["p90"].get<double>(), l["p99"].get<double>(),
                           l["max"].get<double>(), "agent"};
      }
      figures.elapsed_ms = dial["elapsed_ms"].get<double>();
      figures.errors = dial.value("errors", json::array());
      if (dial.contains("latencies_us")) {
        runs[i].latencies = dial["latencies_us"].get<std::vector<double>>();
        runs[i].has_samples = true;
      }
      repetition.outcomes += figures.outcomes;
      repetition.clients.push_back(std::move(figures));
      ok_runs.push_back(&runs[i]);
    }
    for (const auto& silent : silent_runs) {
      if (silent) result.silent += counts_from(*silent);
    }
    repetition.latency = merge_latency(repetition.clients, ok_runs);
    repetition.wall_ms = milliseconds_between(fire_time, last);

    std::vector<std::int64_t> accepted_after(server_count, -1);
    parallel_for(server_count, [&](std::size_t i) { accepted_after[i] = read_accepted(i); });
    for (std::size_t i = 0; i < server_count; ++i) {
      if (accepted_before[i] >= 0 && accepted_after[i] >= accepted_before[i]) {
        repetition.accepted += accepted_after[i] - accepted_before[i];
      }
    }
    if (repetition.wall_ms > 0) {
      repetition.accepts_per_second = double(repetition.accepted) * 1000.0 / repetition.wall_ms;
    }
    result.outcomes += repetition.outcomes;
    result.accepted += repetition.accepted;
    result.repetitions.push_back(std::move(repetition));
  }

  // Close every listener, then let every agent exit (killed when it does not).
  parallel_for(server_count, [&](std::size_t i) {
    if (!servers[i] || !listeners[i] || !servers[i]->has("close")) return;
    try {
      servers[i]->request("close", {{"listener", listeners[i]->id}}, options.op_timeout);
    } catch (const std::exception& e) {
      record(result.errors, error_from(servers[i]->name(), "server", "close", e));
    }
  });
  parallel_for(server_count + client_count + silent_count, [&](std::size_t i) {
    auto& agent = slot_of(i);
    if (!agent) return;
    agent->exit(options.exit_timeout);
    agent.reset();
  });

  // Aggregate over repetitions.
  double fire_wall_ms = 0;
  std::vector<AgentFigures> all_figures;
  std::vector<ClientRun> sample_holders;
  for (const auto& r : result.repetitions) {
    fire_wall_ms += r.wall_ms;
    for (const auto& e : r.errors) result.errors.push_back(e);
  }
  // Percentiles over repetitions: exact when each repetition was exact would need the samples
  // again; report the conservative bound (max of p99/max, median of medians) when there is more
  // than one repetition.
  if (result.repetitions.size() == 1) {
    result.latency = result.repetitions.front().latency;
  } else if (!result.repetitions.empty()) {
    std::vector<std::pair<double, std::int64_t>> p50s, p90s;
    for (const auto& r : result.repetitions) {
      p50s.emplace_back(r.latency.p50, r.outcomes.attempts);
      p90s.emplace_back(r.latency.p90, r.outcomes.attempts);
      result.latency.p99 = std::max(result.latency.p99, r.latency.p99);
      result.latency.max = std::max(result.latency.max, r.latency.max);
    }
    result.latency.p50 = weighted_median(std::move(p50s));
    result.latency.p90 = weighted_median(std::move(p90s));
    result.latency.method = "per-repetition-bound";
  }
  result.busy_rate = result.outcomes.busy_rate();
  if (fire_wall_ms > 0) result.accepts_per_second = double(result.accepted) * 1000.0 / fire_wall_ms;
  result.wall_ms = milliseconds_between(run_start, std::chrono::steady_clock::now());
  return result;
}

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

}  // namespace pipecheck::harness

// Accept throughput and busy-rate curves across agent processes, per server implementation.
// Clients are the reference implementation of the server's platform (the hello's "platform"):
// reference agents for a POSIX server, reference-windows agents (the mingw-w64 build under Wine)
// for a Windows one, which is the only client that can dial a Windows pipe. So differences
// between rows of one platform are the server's. One pool of client agents per client
// implementation is started once and reused; every round listens on a fresh endpoint, arms the
// clients (prepare_dial), fires them together and closes the listener.
#include <algorithm>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <thread>

#include "bench.hpp"
#include "pipecheck/harness/agent.hpp"
#include "pipecheck/harness/scratch.hpp"

namespace bench {

namespace {

using pipecheck::harness::Agent;

constexpr auto kOpTimeout = std::chrono::seconds(15);
constexpr int kAttemptTimeoutMs = 1000;
constexpr int kThroughputThreads = 4;
constexpr int kThroughputAttemptsPerThread = 100;
const std::vector<int> kThroughputWorkers{1, 4};
// A Windows listener keeps at most 63 pipe instances ready (WIN-6: WaitForMultipleObjects waits
// on 64 handles, one is the close event) and refuses a larger queue_size; a cell asking for more
// runs with 63 and says so.
constexpr int kWindowsMaxQueue = 63;

// Runs `work(i)` for every index on its own thread; rethrows the first failure.
void in_parallel(std::size_t count, const std::function<void(std::size_t)>& work) {
  std::vector<std::exception_ptr> failures(count);
  {
    std::vector<std::jthread> threads;
    for (std::size_t i = 0; i < count; ++i) {
      threads.emplace_back([&, i] {
        try {
          work(i);
        } catch (...) {
          failures[i] = std::current_exception();
        }
      });
    }
  }
  for (auto& failure : failures)
    if (failure) std::rethrow_exception(failure);
}

struct Round {
  std::int64_t attempts = 0, ok = 0, busy = 0, handshake_failed = 0;
  double p50_us = 0, p99_us = 0;  // attempt-weighted median of agents' p50; max of their p99
  double wall_s = 0;
};

struct RoundSpec {
  int queue_size = 1;
  int accept_workers = 1;
  std::size_t client_agents = 1;
  int threads_per_agent = 1;
  int attempts_per_thread = 1;
  bool closed_loop = true;  // connect + handshake + close; open loop: connect + close at once
};

class Bench {
 public:
  explicit Bench(const Context& context)
      : context_(context), scratch_(pipecheck::harness::ScratchDir::create("pcb")) {}

  Agent& server(const std::string& impl) {
    auto& slot = servers_[impl];
    if (!slot) {
      const std::string name = "server-" + impl;
      slot = Agent::start(
          implementation(context_, impl).agent_spec(name, context_.log_dir / (name + ".log")));
    }
    return *slot;
  }

  const std::string& platform(const std::string& impl) { return server(impl).hello().platform; }
  std::string client_impl(const std::string& impl) {
    return client_implementation_for(platform(impl));
  }
  // The queue size a round asks this server for: `wanted`, or the platform's most.
  int queue_for(const std::string& impl, int wanted) {
    return platform(impl) == "windows" ? std::min(wanted, kWindowsMaxQueue) : wanted;
  }

  void ensure_clients(const std::string& impl, std::size_t count) {
    auto& pool = clients_[impl];
    if (pool.size() >= count) return;
    const auto& client = implementation(context_, impl);
    if (!client.available())
      throw std::runtime_error("client implementation " + impl +
                               " cannot run here: " + client.unavailable_reason);
    const auto begin = std::chrono::steady_clock::now();
    while (pool.size() < count) {
      const std::string name =
          (impl == "reference" ? std::string("client-") : "client-" + impl + "-") +
          std::to_string(pool.size());
      pool.push_back(Agent::start(client.agent_spec(name, context_.log_dir / (name + ".log"))));
    }
    client_start_s_[impl] += seconds_since(begin);
  }

  Round run(const std::string& impl, const RoundSpec& spec) {
    const std::string salt = "busy-" + std::to_string(++round_);
    nlohmann::json listen = handshake_args(salt, scratch_.path());
    listen["queue_size"] = spec.queue_size;
    listen["accept_workers"] = spec.accept_workers;
    listen["handshake"] = true;
    Agent& srv = server(impl);
    const std::string client = client_impl(impl);
    const nlohmann::json listener = srv.request("listen", listen, kOpTimeout);
    // The hash the server expects, from the server: its key holds the server's user (a uid here,
    // a SID under Wine), so one computed in this process would not match a Windows server.
    const auto hash = srv.request("hash", handshake_args(salt, scratch_.path()), kOpTimeout)
                          .at("hash")
                          .get<std::string>();
    ensure_clients(client, spec.client_agents);
    auto& clients = clients_[client];
    nlohmann::json dial = {{"path", listener["path"]},
                           {"threads", spec.threads_per_agent},
                           {"count", spec.attempts_per_thread},
                           {"timeout_ms", kAttemptTimeoutMs},
                           {"handshake", spec.closed_loop ? nlohmann::json(hash) : nullptr}};
    std::vector<std::string> tokens(spec.client_agents);
    in_parallel(spec.client_agents, [&](std::size_t i) {
      tokens[i] = clients[i]->request("prepare_dial", dial, kOpTimeout)["token"];
    });
    const auto fire_timeout =
        kOpTimeout + std::chrono::milliseconds(kAttemptTimeoutMs) * spec.attempts_per_thread;
    std::vector<nlohmann::json> results(spec.client_agents);
    const auto start = std::chrono::steady_clock::now();
    in_parallel(spec.client_agents, [&](std::size_t i) {
      results[i] = clients[i]->request("fire", {{"token", tokens[i]}}, fire_timeout);
    });
    Round round;
    round.wall_s = seconds_since(start);
    srv.request("close", {{"listener", listener["listener"]}}, kOpTimeout);

    std::vector<std::pair<double, std::int64_t>> medians;  // (p50, attempts) per agent
    for (const auto& r : results) {
      const auto attempts = r.at("attempts").get<std::int64_t>();
      round.attempts += attempts;
      round.ok += r.at("outcomes").value("ok", std::int64_t{0});
      round.busy += r.at("outcomes").value("busy", std::int64_t{0});
      if (r.contains("handshake"))
        round.handshake_failed += r["handshake"].value("failed", std::int64_t{0});
      if (r.contains("latency_us")) {
        medians.emplace_back(r["latency_us"].value("p50", 0.0), attempts);
        round.p99_us = std::max(round.p99_us, r["latency_us"].value("p99", 0.0));
      }
    }
    std::sort(medians.begin(), medians.end());
    std::int64_t seen = 0;
    for (const auto& [p50, attempts] : medians) {
      seen += attempts;
      if (2 * seen >= round.attempts) {
        round.p50_us = p50;
        break;
      }
    }
    return round;
  }

  // Seconds spent starting each client pool (implementation -> s).
  nlohmann::json client_start_s() const { return client_start_s_; }

  // An implementation whose agents failed (crashed, hung, refused) is not run again: its later
  // rows and cells say why instead. Returns nullptr while it has not failed.
  const std::string* failure(const std::string& impl) const {
    const auto found = failed_.find(impl);
    return found == failed_.end() ? nullptr : &found->second;
  }
  void fail(const std::string& impl, const std::string& reason) { failed_.emplace(impl, reason); }
  // The server's platform, or "unknown" when its agent could not be started.
  std::string platform_or_unknown(const std::string& impl) {
    try {
      return platform(impl);
    } catch (const std::exception&) {
      return "unknown";
    }
  }

 private:
  const Context& context_;
  pipecheck::harness::ScratchDir scratch_;
  std::map<std::string, std::unique_ptr<Agent>> servers_;
  std::map<std::string, std::vector<std::unique_ptr<Agent>>> clients_;  // per client impl
  std::map<std::string, double> client_start_s_;
  std::map<std::string, std::string> failed_;  // implementation -> why it stopped being run
  int round_ = 0;
};

// Rows of one server platform have a ratio to that platform's reference (the baseline: the
// implementation its clients are); across platforms there is none, since Linux sockets and
// Windows pipes under Wine (every call a round trip to the wineserver) are different OS layers.
nlohmann::json throughput(Bench& bench, const Context& context) {
  nlohmann::json rows = nlohmann::json::array();
  std::map<std::string, double> seconds;  // per server implementation
  for (int workers : kThroughputWorkers) {
    std::map<std::string, std::vector<double>> rates;
    std::map<std::string, std::vector<double>> ratios;
    std::map<std::string, std::int64_t> failed;
    for (int rep = 0; rep < context.repetitions; ++rep) {
      std::map<std::string, double> rate_of;  // this repetition's rate per implementation
      for (const auto& impl : context.implementations) {
        if (bench.failure(impl)) continue;
        const auto begin = std::chrono::steady_clock::now();
        try {
          const Round r = bench.run(impl, {.queue_size = bench.queue_for(impl, 64),
                                           .accept_workers = workers,
                                           .client_agents = 1,
                                           .threads_per_agent = kThroughputThreads,
                                           .attempts_per_thread = kThroughputAttemptsPerThread});
          rate_of[impl] = static_cast<double>(r.ok - r.handshake_failed) / r.wall_s;
          failed[impl] += r.handshake_failed;
          rates[impl].push_back(rate_of[impl]);
        } catch (const std::exception& e) {
          bench.fail(impl, std::string("accept throughput: ") + e.what());
        }
        seconds[impl] += seconds_since(begin);
      }
      for (const auto& impl : context.implementations) {
        const auto baseline = rate_of.find(bench.client_impl(impl));
        if (baseline != rate_of.end() && baseline->second > 0)
          ratios[impl].push_back(rate_of[impl] / baseline->second);
      }
    }
    for (const auto& impl : context.implementations) {
      const std::string* why = bench.failure(impl);
      if (why && rates[impl].empty()) {
        rows.push_back({{"implementation", impl},
                        {"platform", bench.platform_or_unknown(impl)},
                        {"accept_workers", workers},
                        {"error", *why}});
        continue;
      }
      const std::string baseline = bench.client_impl(impl);
      const bool have_baseline =
          std::find(context.implementations.begin(), context.implementations.end(), baseline) !=
          context.implementations.end();
      rows.push_back({{"implementation", impl},
                      {"platform", bench.platform(impl)},
                      {"client_implementation", baseline},
                      {"queue_size", bench.queue_for(impl, 64)},
                      {"accept_workers", workers},
                      {"connections_per_s", stats(rates[impl])},
                      {"handshakes_failed", failed[impl]},
                      {"baseline", have_baseline ? nlohmann::json(baseline) : nullptr},
                      {"over_baseline", stats(ratios[impl])}});
      // Failed during this row's repetitions: its figures come from the ones before the failure.
      if (why) rows.back()["error"] = *why;
    }
  }
  return {{"queue_size", 64},
          {"windows_queue_size", kWindowsMaxQueue},
          {"client_threads", kThroughputThreads},
          {"attempts_per_thread", kThroughputAttemptsPerThread},
          {"handshake", true},
          {"ratio_method",
           "over_baseline: pair by pair to the reference implementation of the server's own "
           "platform (reference for linux, reference-windows for windows); no ratio across "
           "platforms: Linux sockets and Windows pipes under Wine are different OS layers"},
          {"seconds_per_server", seconds},
          {"rows", rows}};
}

// Every busy-rate cell of one server implementation, appended to `cells` as it is measured
// (so a failure keeps the cells done before it). Throws when an agent fails.
void busy_cells_of(Bench& bench, const Context& context, const std::string& impl,
                   nlohmann::json& cells) {
  const std::string client = bench.client_impl(impl);
  const auto bound = context.max_client_processes.find(client);
  for (bool closed : {false, true}) {
    for (bool processes : {true, false}) {
      for (int clients : context.client_counts) {
        for (int queue : context.queue_sizes) {
          const int per_client = std::max(8, context.attempts_per_cell / clients);
          nlohmann::json cell = {{"implementation", impl},
                                 {"platform", bench.platform(impl)},
                                 {"client_implementation", client},
                                 {"loop", closed ? "closed" : "open"},
                                 {"clients_as", processes ? "processes" : "threads"},
                                 {"clients", clients},
                                 {"queue_size", queue},
                                 {"attempts_per_client", per_client}};
          if (processes && bound != context.max_client_processes.end() && clients > bound->second) {
            cell["skipped"] = "clients as processes: at most " + std::to_string(bound->second) +
                              " " + client +
                              " client agents (--max-client-processes); the threads cell of "
                              "this size runs";
            cells.push_back(cell);
            continue;
          }
          const int used_queue = bench.queue_for(impl, queue);
          if (used_queue != queue) {
            cell["queue_size_used"] = used_queue;
            cell["note"] = "queue " + std::to_string(queue) + " runs as " +
                           std::to_string(used_queue) +
                           ", the most pipe instances one Windows listener keeps ready (WIN-6)";
          }
          const RoundSpec spec{.queue_size = used_queue,
                               .accept_workers = 1,
                               .client_agents = processes ? std::size_t(clients) : 1,
                               .threads_per_agent = processes ? 1 : clients,
                               .attempts_per_thread = per_client,
                               .closed_loop = closed};
          const auto cell_begin = std::chrono::steady_clock::now();
          std::vector<double> busy_rate, p50, p99;
          std::int64_t failed = 0;
          for (int rep = 0; rep < context.repetitions; ++rep) {
            const Round r = bench.run(impl, spec);
            failed += r.handshake_failed;
            busy_rate.push_back(r.attempts ? double(r.busy) / double(r.attempts) : 0.0);
            p50.push_back(r.p50_us);
            p99.push_back(r.p99_us);
          }
          cell["busy_rate"] = stats(busy_rate);
          cell["connect_p50_us"] = stats(p50);
          cell["connect_p99_us"] = stats(p99);
          cell["handshakes_failed"] = failed;           // over all repetitions; expected 0
          cell["seconds"] = seconds_since(cell_begin);  // all repetitions, client starts included
          cells.push_back(cell);
        }
      }
    }
  }
}

nlohmann::json busy_curves(Bench& bench, const Context& context) {
  nlohmann::json cells = nlohmann::json::array();
  nlohmann::json seconds = nlohmann::json::object();  // per server implementation
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& impl : context.implementations) {
    if (const std::string* why = bench.failure(impl)) {
      errors.push_back({{"implementation", impl}, {"error", "not run: " + *why}});
      continue;
    }
    const auto begin = std::chrono::steady_clock::now();
    const std::size_t cells_before = cells.size();
    try {
      busy_cells_of(bench, context, impl, cells);
    } catch (const std::exception& e) {
      bench.fail(impl, std::string("busy-rate curves: ") + e.what());
      errors.push_back({{"implementation", impl},
                        {"error", *bench.failure(impl)},
                        {"cells_done", cells.size() - cells_before},
                        {"note", "the cells after the failing one were not run"}});
    }
    seconds[impl] = seconds_since(begin);
  }
  return {{"accept_workers", 1},
          {"clients",
           "the reference implementation of the server's platform (reference for linux, "
           "reference-windows under Wine for windows), so differences between rows of one "
           "platform are the server's"},
          {"latency_method",
           "p50: attempt-weighted median of the client agents' p50; p99: max of their p99"},
          {"max_client_processes", context.max_client_processes},
          {"seconds_per_server", seconds},
          {"client_pool_start_s", bench.client_start_s()},
          {"errors", errors},
          {"cells", cells}};
}
}  // namespace

nlohmann::json run_accept_and_busy(const Context& context) {
  Bench bench(context);
  nlohmann::json out;
  out["accept_throughput"] = throughput(bench, context);
  out["busy"] = busy_curves(bench, context);
  return out;
}

std::string client_implementation_for(const std::string& platform) {
  return platform == "windows" ? "reference-windows" : "reference";
}

}  // namespace bench

// Accept throughput and busy-rate curves across agent processes, per server implementation.
// Clients are always reference agents, so differences between rows are the server's. A pool of
// client agents is started once and reused; every round listens on a fresh endpoint, arms the
// clients (prepare_dial), fires them together and closes the listener.
#include <algorithm>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <thread>

#include "bench.hpp"
#include "pipecheck/handshake.hpp"
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

  void ensure_clients(std::size_t count) {
    const auto& reference = implementation(context_, "reference");
    while (clients_.size() < count) {
      const std::string name = "client-" + std::to_string(clients_.size());
      clients_.push_back(
          Agent::start(reference.agent_spec(name, context_.log_dir / (name + ".log"))));
    }
  }

  Round run(const std::string& impl, const RoundSpec& spec) {
    const std::string salt = "busy-" + std::to_string(++round_);
    nlohmann::json listen = handshake_args(salt, scratch_.path());
    listen["queue_size"] = spec.queue_size;
    listen["accept_workers"] = spec.accept_workers;
    listen["handshake"] = true;
    Agent& srv = server(impl);
    const nlohmann::json listener = srv.request("listen", listen, kOpTimeout);
    const auto hash =
        pipecheck::make_handshake(
            "pipecheck", {{"kind", "bench"}, {"version", "1"}, {"arch", "*"}, {"salt", salt}})
            .hash;
    ensure_clients(spec.client_agents);
    nlohmann::json dial = {{"path", listener["path"]},
                           {"threads", spec.threads_per_agent},
                           {"count", spec.attempts_per_thread},
                           {"timeout_ms", kAttemptTimeoutMs},
                           {"handshake", spec.closed_loop ? nlohmann::json(hash) : nullptr}};
    std::vector<std::string> tokens(spec.client_agents);
    in_parallel(spec.client_agents, [&](std::size_t i) {
      tokens[i] = clients_[i]->request("prepare_dial", dial, kOpTimeout)["token"];
    });
    const auto fire_timeout =
        kOpTimeout + std::chrono::milliseconds(kAttemptTimeoutMs) * spec.attempts_per_thread;
    std::vector<nlohmann::json> results(spec.client_agents);
    const auto start = std::chrono::steady_clock::now();
    in_parallel(spec.client_agents, [&](std::size_t i) {
      results[i] = clients_[i]->request("fire", {{"token", tokens[i]}}, fire_timeout);
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

  const std::filesystem::path& root() const { return scratch_.path(); }

 private:
  const Context& context_;
  pipecheck::harness::ScratchDir scratch_;
  std::map<std::string, std::unique_ptr<Agent>> servers_;
  std::vector<std::unique_ptr<Agent>> clients_;
  int round_ = 0;
};

nlohmann::json throughput(Bench& bench, const Context& context) {
  nlohmann::json rows = nlohmann::json::array();
  for (int workers : kThroughputWorkers) {
    std::map<std::string, std::vector<double>> rates;
    std::map<std::string, std::vector<double>> ratios;
    for (int rep = 0; rep < context.repetitions; ++rep) {
      double reference_rate = 0;
      for (const auto& impl : context.implementations) {
        const Round r = bench.run(impl, {.queue_size = 64,
                                         .accept_workers = workers,
                                         .client_agents = 1,
                                         .threads_per_agent = kThroughputThreads,
                                         .attempts_per_thread = kThroughputAttemptsPerThread});
        const double rate = static_cast<double>(r.ok - r.handshake_failed) / r.wall_s;
        rates[impl].push_back(rate);
        if (impl == "reference") reference_rate = rate;
        if (reference_rate > 0) ratios[impl].push_back(rate / reference_rate);
      }
    }
    for (const auto& impl : context.implementations) {
      rows.push_back({{"implementation", impl},
                      {"accept_workers", workers},
                      {"connections_per_s", stats(rates[impl])},
                      {"over_reference", stats(ratios[impl])}});
    }
  }
  return {{"queue_size", 64},
          {"client_threads", kThroughputThreads},
          {"attempts_per_thread", kThroughputAttemptsPerThread},
          {"handshake", true},
          {"rows", rows}};
}

nlohmann::json busy_curves(Bench& bench, const Context& context) {
  nlohmann::json cells = nlohmann::json::array();
  for (const auto& impl : context.implementations) {
    for (bool closed : {false, true}) {
      for (bool processes : {true, false}) {
        for (int clients : context.client_counts) {
          for (int queue : context.queue_sizes) {
            const int per_client = std::max(8, context.attempts_per_cell / clients);
            const RoundSpec spec{.queue_size = queue,
                                 .accept_workers = 1,
                                 .client_agents = processes ? std::size_t(clients) : 1,
                                 .threads_per_agent = processes ? 1 : clients,
                                 .attempts_per_thread = per_client,
                                 .closed_loop = closed};
            std::vector<double> busy_rate, p50, p99;
            for (int rep = 0; rep < context.repetitions; ++rep) {
              const Round r = bench.run(impl, spec);
              busy_rate.push_back(r.attempts ? double(r.busy) / double(r.attempts) : 0.0);
              p50.push_back(r.p50_us);
              p99.push_back(r.p99_us);
            }
            cells.push_back({{"implementation", impl},
                             {"loop", closed ? "closed" : "open"},
                             {"clients_as", processes ? "processes" : "threads"},
                             {"clients", clients},
                             {"queue_size", queue},
                             {"attempts_per_client", per_client},
                             {"busy_rate", stats(busy_rate)},
                             {"connect_p50_us", stats(p50)},
                             {"connect_p99_us", stats(p99)}});
          }
        }
      }
    }
  }
  return {{"accept_workers", 1},
          {"latency_method",
           "p50: attempt-weighted median of the client agents' p50; p99: max of their p99"},
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

}  // namespace bench

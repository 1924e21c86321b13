// Discovery: N live endpoints of other hashes plus one of ours, hosted by real agent processes
// (at most kListenersPerAgent listeners per process; names carry the host's PID, so listeners
// sharing a process differ by hash, the "other hashes" case). Listing discovery and the legacy
// prober run in this process against the same endpoints, alternating, repetition by repetition.
#include <algorithm>
#include <memory>

#include "bench.hpp"
#include "pipecheck/discovery.hpp"
#include "pipecheck/harness/agent.hpp"
#include "pipecheck/harness/scratch.hpp"

namespace bench {

namespace {

using pipecheck::harness::Agent;
using Clock = std::chrono::steady_clock;

constexpr int kListenersPerAgent = 50;
constexpr int kListingCallsPerSample = 20;  // one listing is too short to time alone
constexpr auto kRequestTimeout = std::chrono::seconds(10);

// Milliseconds per call of `discover` with `method`; checks that it found `ours`.
double time_discovery(const pipecheck::Handshake& ours, const pipecheck::NamingOptions& naming,
                      pipecheck::DiscoveryMethod method, const std::string& expected_name,
                      int calls) {
  const auto start = Clock::now();
  for (int i = 0; i < calls; ++i) {
    const auto found = pipecheck::discover(ours, {.naming = naming, .method = method});
    if (found.live.size() != 1 || found.live.front().name != expected_name)
      throw std::runtime_error("discovery did not find exactly our endpoint " + expected_name);
  }
  return seconds_since(start) * 1000.0 / calls;
}

nlohmann::json run_size(const Context& context, int others) {
  auto scratch = pipecheck::harness::ScratchDir::create("pcb");
  const auto root = scratch.path();
  const auto& reference = implementation(context, "reference");
  const int agents = std::max(1, (others + kListenersPerAgent - 1) / kListenersPerAgent);
  const int ours_agent = agents / 2;  // our endpoint sits mid-way in PID order

  std::vector<std::unique_ptr<Agent>> hosts;
  std::string ours_name;
  int listeners = 0;
  const auto spawn_start = Clock::now();
  for (int a = 0; a < agents; ++a) {
    const std::string name = "disc-host-" + std::to_string(a);
    hosts.push_back(Agent::start(reference.agent_spec(name, context.log_dir / (name + ".log"))));
    const int share = others / agents + (a < others % agents ? 1 : 0);
    auto listen = [&](const std::string& salt) {
      nlohmann::json args = handshake_args(salt, root);
      args["queue_size"] = 4;
      args["accept_workers"] = 1;
      args["handshake"] = true;
      ++listeners;
      return hosts.back()->request("listen", args, kRequestTimeout);
    };
    for (int i = 0; i < share; ++i) listen("other-" + std::to_string(listeners));
    if (a == ours_agent) ours_name = listen("ours")["name"].get<std::string>();
  }
  const double setup_s = seconds_since(spawn_start);

  const auto ours = pipecheck::make_handshake(
      "pipecheck", {{"kind", "bench"}, {"version", "1"}, {"arch", "*"}, {"salt", "ours"}});
  const pipecheck::NamingOptions naming{.root = root.string(), .prefix = {}};
  std::vector<double> listing_ms, legacy_ms, ratio;
  for (int rep = 0; rep < context.repetitions; ++rep) {
    double listing = 0, legacy = 0;
    auto run_listing = [&] {
      listing = time_discovery(ours, naming, pipecheck::DiscoveryMethod::listing, ours_name,
                               kListingCallsPerSample);
    };
    auto run_legacy = [&] {
      legacy = time_discovery(ours, naming, pipecheck::DiscoveryMethod::legacy, ours_name, 1);
    };
    if (rep % 2 == 0) {
      run_listing();
      run_legacy();
    } else {
      run_legacy();
      run_listing();
    }
    listing_ms.push_back(listing);
    legacy_ms.push_back(legacy);
    ratio.push_back(legacy / listing);
  }

  // How many candidates the prober tries before ours: same order as the prober (PID, name).
  std::vector<std::pair<std::int64_t, std::string>> order;
  for (const auto& entry :
       std::filesystem::directory_iterator(pipecheck::endpoint_directory(ours, naming))) {
    const std::string name = entry.path().filename().string();
    order.emplace_back(std::stoll(name.substr(name.rfind('-') + 1)), name);
  }
  std::sort(order.begin(), order.end());
  const auto position = std::find_if(order.begin(), order.end(),
                                     [&](const auto& o) { return o.second == ours_name; }) -
                        order.begin();

  for (auto& host : hosts) host->exit(std::chrono::seconds(5));
  return {{"other_endpoints", others},
          {"endpoints", listeners},
          {"server_processes", agents},
          {"legacy_probes", position + 1},
          {"setup_s", setup_s},
          {"listing_ms", stats(listing_ms)},
          {"legacy_ms", stats(legacy_ms)},
          {"legacy_over_listing", stats(ratio)}};
}

}  // namespace

nlohmann::json run_discovery(const Context& context) {
  nlohmann::json sizes = nlohmann::json::array();
  for (int n : context.discovery_sizes) sizes.push_back(run_size(context, n));
  return {{"listing_calls_per_sample", kListingCallsPerSample},
          {"listeners_per_process_max", kListenersPerAgent},
          {"sizes", sizes}};
}

}  // namespace bench

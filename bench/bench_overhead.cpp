// Harness overhead: spawning an agent up to its `hello`, and running the 64-agent geometry
// (fixtures/geometries/many-agents.json) end to end. ctest wall time is measured by ci/bench.
#include "bench.hpp"
#include "pipecheck/harness/agent.hpp"
#include "pipecheck/harness/geometry.hpp"
#include "pipecheck/harness/scratch.hpp"

namespace bench {

nlohmann::json run_overhead(const Context& context) {
  nlohmann::json start = nlohmann::json::array();
  for (const auto& impl : context.implementations) {
    const auto& spec_source = implementation(context, impl);
    std::vector<double> start_ms, exit_ms;
    for (int rep = 0; rep < context.repetitions; ++rep) {
      const std::string name = "overhead-" + impl;
      const auto begin = std::chrono::steady_clock::now();
      auto agent = pipecheck::harness::Agent::start(
          spec_source.agent_spec(name, context.log_dir / (name + ".log")));
      start_ms.push_back(seconds_since(begin) * 1000.0);
      const auto exit_begin = std::chrono::steady_clock::now();
      agent->exit(std::chrono::seconds(5));
      exit_ms.push_back(seconds_since(exit_begin) * 1000.0);
    }
    start.push_back({{"implementation", impl},
                     {"start_and_hello_ms", stats(start_ms)},
                     {"exit_ms", stats(exit_ms)}});
  }

  const auto geometry = pipecheck::harness::load_geometry(
      std::filesystem::path(PIPECHECK_SOURCE_DIR) / "fixtures/geometries/many-agents.json");
  const auto& reference = implementation(context, "reference");
  std::vector<double> wall_ms;
  std::int64_t errors = 0;
  for (int rep = 0; rep < context.repetitions; ++rep) {
    auto scratch = pipecheck::harness::ScratchDir::create("pcb");
    const auto result = pipecheck::harness::run_geometry(
        geometry, reference, reference,
        {.scratch_root = scratch.path(), .log_dir = context.log_dir / "many-agents"});
    wall_ms.push_back(result.wall_ms);
    errors += static_cast<std::int64_t>(result.errors.size());
  }
  const int agents = geometry.servers.count + geometry.clients.processes;
  return {{"agent_start", start},
          {"geometry",
           {{"name", geometry.name},
            {"agents", agents},
            {"attempts", geometry.attempts_per_repetition()},
            {"wall_ms", stats(wall_ms)},
            {"agent_errors", errors}}}};
}

}  // namespace bench

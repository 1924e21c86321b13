// bench.hpp — the multi-process benchmark driver's sections and shared figures.
//
// Each section runs real agent processes through the harness and returns clear JSON; nothing
// is asserted. A figure is a Stats of several repetitions (median with min and max beside it);
// ratios are taken repetition by repetition inside one run.
//   bench::Context context = ...;
//   nlohmann::json discovery = bench::run_discovery(context);
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipecheck/harness/registry.hpp"

namespace bench {

struct Context {
  pipecheck::harness::Registry registry;
  std::vector<std::string> implementations;  // servers for accept/busy runs: "reference", ...
  std::filesystem::path log_dir;
  int repetitions = 3;
  std::vector<int> discovery_sizes{10, 100, 1000};
  std::vector<int> queue_sizes{1, 2, 4, 8, 16, 64};
  std::vector<int> client_counts{1, 4, 16, 64};
  int attempts_per_cell = 256;  // spread over the clients of a busy-rate cell
};

// {"median", "min", "max", "samples": [...]}; the samples in the order they were taken.
nlohmann::json stats(const std::vector<double>& samples);
double seconds_since(std::chrono::steady_clock::time_point start);
// The handshake arguments of the agent protocol for a bench endpoint with this salt.
nlohmann::json handshake_args(const std::string& salt, const std::filesystem::path& root);
const pipecheck::harness::Implementation& implementation(const Context& context,
                                                         const std::string& name);

nlohmann::json run_discovery(const Context& context);
nlohmann::json run_accept_and_busy(const Context& context);
nlohmann::json run_overhead(const Context& context);

}  // namespace bench

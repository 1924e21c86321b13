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
#include <map>
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
  // Busy-rate cells with clients as processes start at most this many client agents of the named
  // client implementation (--max-client-processes reference-windows=16); larger cells are
  // recorded as skipped with the reason, never dropped. Empty: no bound. Measured here, 64
  // reference-windows clients (Wine processes) start in ~4 s and take ~300 MB in all, so
  // ci/bench sets none (docs/performance.md).
  std::map<std::string, int> max_client_processes{};
};

// The client implementation for a server whose hello reports `platform`: the reference
// implementation of that platform ("reference-windows" for "windows", else "reference"), so
// differences between rows of one platform are the server's.
std::string client_implementation_for(const std::string& platform);

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

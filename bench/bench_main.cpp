// pipecheck_bench — the multi-process benchmark driver (issue 7). Writes one JSON document.
//
//   pipecheck_bench --out build/bench/driver.json [--sections discovery,busy,overhead]
//                   [--impls reference,node,python] [--repetitions 3] [--discovery-sizes 10,100]
//                   [--queue-sizes 1,2,4,8,16,64] [--clients 1,4,16,64] [--attempts 256]
//                   [--max-client-processes reference-windows=16]
//                   [--skip reference-windows="why it cannot run"]
// Implementations come from fixtures/impls.json; ones unavailable here are skipped and listed
// under "skipped" with the reason, and so are the ones named by --skip (ci/bench uses it when
// the Windows build or the Wine prefix failed). reference-windows needs
// PIPECHECK_WINDOWS_BUILD_DIR (its agent and wineprefix/): ci/bench sets it up.
#include <sys/utsname.h>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "bench.hpp"
#include "pipecheck/harness/agent.hpp"

namespace {

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  for (std::string part; std::getline(stream, part, ',');)
    if (!part.empty()) parts.push_back(part);
  return parts;
}

std::vector<int> split_ints(const std::string& option, const std::string& text) {
  std::vector<int> values;
  for (const auto& part : split(text)) {
    try {
      std::size_t used = 0;
      const int value = std::stoi(part, &used);
      if (used != part.size() || value < 1) throw std::invalid_argument(part);
      values.push_back(value);
    } catch (const std::exception&) {
      throw std::runtime_error("option " + option + ": '" + part +
                               "' is not a positive integer (expected e.g. 1,4,16)");
    }
  }
  if (values.empty()) throw std::runtime_error("option " + option + ": no values given");
  return values;
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return text;
}

nlohmann::json machine() {
  utsname name{};
  ::uname(&name);
  return {{"system", name.sysname},
          {"release", name.release},
          {"machine", name.machine},
          {"hardware_threads", std::thread::hardware_concurrency()}};
}

// "NAME=VALUE" -> {NAME, VALUE}.
std::pair<std::string, std::string> split_pair(const std::string& option, const std::string& text) {
  const auto equals = text.find('=');
  if (equals == std::string::npos || equals == 0)
    throw std::runtime_error("option " + option + ": '" + text + "' is not NAME=VALUE");
  return {text.substr(0, equals), text.substr(equals + 1)};
}

int run(int argc, char** argv) {
  std::filesystem::path out = "driver.json";
  std::set<std::string> sections{"discovery", "busy", "overhead"};
  std::vector<std::string> wanted{"reference", "node", "python"};
  bench::Context context;
  std::map<std::string, std::string> skip;  // --skip: implementation -> reason
  for (int i = 1; i < argc; ++i) {
    const std::string option = argv[i];
    if (i + 1 >= argc) throw std::runtime_error("option " + option + " needs a value");
    const std::string value = argv[++i];
    if (option == "--out")
      out = value;
    else if (option == "--sections") {
      const auto names = split(value);
      for (const auto& name : names)
        if (name != "discovery" && name != "busy" && name != "overhead")
          throw std::runtime_error("option --sections: unknown section '" + name +
                                   "' (expected discovery, busy, overhead)");
      sections = {names.begin(), names.end()};
    } else if (option == "--impls")
      wanted = split(value);
    else if (option == "--repetitions")
      context.repetitions = split_ints(option, value).at(0);
    else if (option == "--discovery-sizes")
      context.discovery_sizes = split_ints(option, value);
    else if (option == "--queue-sizes")
      context.queue_sizes = split_ints(option, value);
    else if (option == "--clients")
      context.client_counts = split_ints(option, value);
    else if (option == "--attempts")
      context.attempts_per_cell = split_ints(option, value).at(0);
    else if (option == "--max-client-processes") {
      const auto [name, count] = split_pair(option, value);
      context.max_client_processes[name] = split_ints(option, count).at(0);
    } else if (option == "--skip") {
      const auto [name, reason] = split_pair(option, value);
      skip[name] = reason;
    } else
      throw std::runtime_error("unknown option " + option + " (see the comment in bench_main.cpp)");
  }

  context.registry = pipecheck::harness::load_registry(
      std::filesystem::path(PIPECHECK_SOURCE_DIR) / "fixtures/impls.json",
      pipecheck::harness::default_registry_vars());
  nlohmann::json skipped = nlohmann::json::array();
  if (std::find(wanted.begin(), wanted.end(), "reference") == wanted.end())
    wanted.insert(wanted.begin(), "reference");  // the POSIX baseline and client
  for (const auto& name : wanted) {
    if (skip.contains(name)) {
      skipped.push_back({{"implementation", name}, {"reason", skip[name]}});
      continue;
    }
    const auto* impl = context.registry.find(name);
    if (impl == nullptr || !impl->available()) {
      skipped.push_back(
          {{"implementation", name},
           {"reason", impl ? impl->unavailable_reason : "not in fixtures/impls.json"}});
      continue;
    }
    if (name != "reference") {  // a foreign agent needs its runtime (node, python3) here
      try {
        pipecheck::harness::Agent::start(impl->agent_spec("probe-" + name))
            ->exit(std::chrono::seconds(5));
      } catch (const std::exception& e) {
        skipped.push_back({{"implementation", name}, {"reason", e.what()}});
        continue;
      }
    }
    context.implementations.push_back(name);
  }
  context.log_dir = out.parent_path() / "logs";
  std::filesystem::create_directories(context.log_dir);

  nlohmann::json report = {{"date", utc_now()},
                           {"machine", machine()},
                           {"repetitions", context.repetitions},
                           {"implementations", context.implementations},
                           {"skipped", skipped}};
  // A section that fails (an agent crashed or hung) is recorded with its error and the others
  // still run; the JSON is written either way and the exit status says something failed.
  bool all_ran = true;
  auto section = [&](const std::string& name, auto&& body) {
    if (!sections.contains(name)) return;
    std::cerr << "pipecheck_bench: " << name << " ..." << std::endl;
    const auto start = std::chrono::steady_clock::now();
    try {
      report[name] = body();
    } catch (const std::exception& e) {
      std::cerr << "pipecheck_bench: " << name << " failed: " << e.what() << std::endl;
      report[name] = {{"error", e.what()}};
      all_ran = false;
    }
    report[name]["section_s"] = bench::seconds_since(start);
  };
  section("discovery", [&] { return bench::run_discovery(context); });
  section("busy", [&] { return bench::run_accept_and_busy(context); });
  section("overhead", [&] { return bench::run_overhead(context); });
  if (report.contains("busy") && report["busy"].contains("busy")) {
    for (const auto& error : report["busy"]["busy"]["errors"]) {
      std::cerr << "pipecheck_bench: " << error["implementation"].get<std::string>()
                << " failed: " << error["error"].get<std::string>() << std::endl;
      all_ran = false;
    }
  }

  std::ofstream file(out);
  file << report.dump(2) << "\n";
  if (!file) throw std::runtime_error("cannot write " + out.string());
  std::cerr << "pipecheck_bench: wrote " << out << std::endl;
  return all_ran ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "pipecheck_bench: " << e.what() << std::endl;
    return 1;
  }
}

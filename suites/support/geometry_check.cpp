#include "geometry_check.hpp"

#include <algorithm>
#include <iostream>

#include <gtest/gtest.h>

#include "common/gtest_report.hpp"
#include "pipecheck/harness/scratch.hpp"
#include "suite_agent.hpp"

namespace pipecheck::suites {
namespace {

bool all_unsupported(const std::vector<harness::AgentError>& errors) {
  return !errors.empty() &&
         std::all_of(errors.begin(), errors.end(), [](const harness::AgentError& error) {
           return error.details.value("code", "") == "unsupported";
         });
}

std::string current_check_id() {
  const auto* test = testing::UnitTest::GetInstance()->current_test_info();
  return test ? std::string(test->test_suite_name()) + "." + test->name() : std::string();
}

}  // namespace

harness::Geometry load_geometry_fixture(std::string_view relative) {
  return harness::load_geometry(source_dir() / "fixtures" / "geometries" / relative);
}

void check_geometry(const harness::Geometry& geometry, const std::string& server,
                    const std::string& client,
                    const std::function<void(const harness::GeometryResult&)>& more) {
  for (const auto& id : geometry.requirements) harness::requirement(id);
  harness::implementation("server", server);
  harness::implementation("client", client);
  const harness::ScratchDir scratch = harness::ScratchDir::create("pc", "/tmp");
  harness::RunOptions options;
  options.scratch_root = scratch.path();
  const harness::GeometryResult result = harness::run_geometry(
      geometry, selected_implementation(server), selected_implementation(client), options);
  harness::GeometryRun run = harness::to_geometry_run(geometry, result);
  run.check = current_check_id();
  harness::record_geometry(run);
  harness::measure("busy_rate", result.busy_rate);
  harness::measure("latency_us", result.latency.to_json());
  harness::measure("accepts_per_s", result.accepts_per_second);
  harness::measure("wall_ms", result.wall_ms);
  harness::measure("outcomes", result.outcomes.to_json());
  if (geometry.silent_clients.processes > 0) {
    harness::measure("silent_outcomes", result.silent.to_json());
  }
  std::cout << geometry.name << ": " << result.outcomes.to_json().dump()
            << " busy_rate=" << result.busy_rate << " accepts/s=" << result.accepts_per_second
            << " latency_us=" << result.latency.to_json().dump() << "\n";
  for (const auto& note : result.notes) std::cout << "note: " << note << "\n";

  const std::string pair = "server " + server + ", client " + client + ": " + geometry.name;
  if (all_unsupported(result.errors))
    PIPECHECK_UNSUPPORTED(pair + ": " + result.errors.front().what);
  if (!result.errors.empty()) {
    json errors = json::array();
    for (const auto& error : result.errors) errors.push_back(error.to_json());
    PIPECHECK_AGENT_ERROR(pair + ": " + errors.dump());
  }
  ASSERT_EQ(result.outcomes.attempts, geometry.attempts_per_repetition() * geometry.repetitions)
      << pair << ": not every attempt was accounted for";
  for (const auto& violation : harness::check_expectations(geometry, result)) {
    ADD_FAILURE() << pair << ": " << violation;
  }
  if (more) more(result);
}

}  // namespace pipecheck::suites

// A suite executable for suite_main_test: one test per kind of check the report bridge makes.
// Not a conformance suite (not in the manifest); suite_main_test runs it as a real process.
#include <poll.h>

#include <chrono>
#include <iostream>
#include <stdexcept>

#include "common/gtest_report.hpp"

namespace harness = pipecheck::harness;

TEST(Bridge, Passes) {
  harness::requirement("HASH-1");
  harness::requirement("HASH-7");
  harness::measure("busy_rate", 0.25);
  harness::measure("latency_us", nlohmann::json{{"p50", 3}, {"max", 9}});
  harness::implementation("server", "reference");
  harness::implementation("client", "other");
  harness::log_path("logs/server-0.log");
  EXPECT_EQ(1 + 1, 2);
}

TEST(Bridge, Fails) {
  harness::requirement("HASH-2");
  ADD_FAILURE() << "expected kind to be rejected";
}

TEST(Bridge, Unsupported) {
  harness::requirement("LSN-9");
  PIPECHECK_UNSUPPORTED("needs capability listen.queue_size");
  ADD_FAILURE() << "not reached: PIPECHECK_UNSUPPORTED ends the test";
}

TEST(Bridge, Skipped) {
  harness::requirement("SEC-6");
  PIPECHECK_SKIP("needs platform windows");
  ADD_FAILURE() << "not reached: PIPECHECK_SKIP ends the test";
}

TEST(Bridge, AgentError) {
  harness::requirement("DIAL-7");
  PIPECHECK_AGENT_ERROR(std::runtime_error("agent client-0 died: signal 9"));
  ADD_FAILURE() << "not reached: PIPECHECK_AGENT_ERROR ends the test";
}

TEST(Bridge, NamesNoRequirement) {
  EXPECT_TRUE(true);
}

TEST(Bridge, RecordsGeometry) {
  harness::requirement("LSN-11");
  harness::GeometryRun geometry;
  geometry.name = "legacy-q1-w1";
  geometry.server = "reference";
  geometry.client = "reference";
  geometry.outcomes = {{"ok", 30}, {"busy", 70}};
  geometry.busy_rate = 0.7;
  harness::record_geometry(geometry);
}

// Run alone by suite_main_test: says "waiting" on stdout, then waits for SIGTERM (bounded).
TEST(Interrupt, WaitsForSignal) {
  harness::requirement("LSN-4");
  std::cout << "waiting" << std::endl;
  // The SIGTERM flush ends the process long before the deadline. The signal also interrupts
  // poll() (EINTR), so keep waiting: returning early would finish this check as a failure first.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) poll(nullptr, 0, 100);
  ADD_FAILURE() << "no signal within 30 s";
}

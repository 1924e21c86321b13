// Backlog and busy rates (label `backlog`): every geometry of fixtures/geometries/ run across
// agent processes (busy rate, latency percentiles and accepts/s go to the report; a geometry's
// `expect` bounds are asserted), queue size honoured with nobody accepting, concurrent accepts,
// connect-and-leave clients, and dial outcomes bounded by their timeout.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "pipecheck/harness/geometry.hpp"
#include "pipecheck/harness/registry.hpp"
#include "support/check_support.hpp"
#include "support/planted_files.hpp"
#include "support/suite_listener.hpp"

namespace pipecheck::suites {
namespace {

namespace fs = std::filesystem;
using harness::measure;
using harness::requirement;

std::vector<std::string> geometry_files() {
  std::vector<std::string> names;
  try {
    for (const auto& geometry :
         harness::load_geometries(source_dir() / "fixtures" / "geometries")) {
      names.push_back(geometry.source.filename().string());
    }
  } catch (const std::exception& e) {
    names.push_back("unloadable");  // the check reports why
  }
  return names;
}

// (server implementation, client implementation, geometry file)
using GeometryParam = std::tuple<std::string, std::string, std::string>;

class Geometry : public testing::TestWithParam<GeometryParam> {};

harness::Implementation implementation_named(const std::string& name) {
  const auto vars = harness::default_registry_vars();
  const auto registry = harness::load_registry(source_dir() / "fixtures" / "impls.json", vars);
  return harness::select_implementations(registry, name).at(0);
}

harness::GeometryRun report_entry(const harness::GeometryResult& result,
                                  const harness::Geometry& geometry) {
  const auto* test = testing::UnitTest::GetInstance()->current_test_info();
  harness::GeometryRun run;
  run.name = geometry.name;
  run.check = std::string(test->test_suite_name()) + "." + test->name();
  run.parameters = {{"queue_size", geometry.servers.queue_size},
                    {"accept_workers", geometry.servers.accept_workers},
                    {"servers", geometry.servers.count},
                    {"client_processes", geometry.clients.processes},
                    {"client_threads", geometry.clients.threads},
                    {"connections_per_thread", geometry.clients.connections_per_thread},
                    {"retry", geometry.clients.retry_deadline_ms.has_value()},
                    {"repetitions", geometry.repetitions}};
  run.server = result.server_implementation;
  run.client = result.client_implementation;
  const harness::OutcomeCounts& counts = result.outcomes;
  run.outcomes = {{"ok", counts.ok},         {"busy", counts.busy},
                  {"absent", counts.absent}, {"refused", counts.refused},
                  {"denied", counts.denied}, {"timeout", counts.timeout},
                  {"other", counts.other}};
  run.busy_rate = result.busy_rate;
  run.latency_us = {result.latency.p50, result.latency.p90, result.latency.p99, result.latency.max};
  run.accepts_per_s = result.accepts_per_second;
  run.wall_ms = result.wall_ms;
  for (const auto& error : result.errors) run.errors.push_back(error.agent + ": " + error.what);
  return run;
}

TEST_P(Geometry, MeetsItsExpectations) {
  run_guarded([&] {
    const auto& [server_name, client_name, file] = GetParam();
    const harness::Geometry geometry =
        harness::load_geometry(source_dir() / "fixtures" / "geometries" / file);
    for (const auto& id : geometry.requirements) requirement(id);
    harness::implementation("server", server_name);
    harness::implementation("client", client_name);
    const harness::ScratchDir scratch = harness::ScratchDir::create("pc", "/tmp");
    harness::RunOptions options;
    options.scratch_root = scratch.path();
    const harness::GeometryResult result = harness::run_geometry(
        geometry, implementation_named(server_name), implementation_named(client_name), options);
    harness::record_geometry(report_entry(result, geometry));
    measure("busy_rate", result.busy_rate);
    measure("latency_us", result.latency.to_json());
    measure("accepts_per_s", result.accepts_per_second);
    measure("wall_ms", result.wall_ms);
    measure("outcomes", result.outcomes.to_json());
    std::cout << geometry.name << ": " << result.outcomes.to_json().dump()
              << " busy_rate=" << result.busy_rate << " accepts/s=" << result.accepts_per_second
              << " latency_us=" << result.latency.to_json().dump() << "\n";
    for (const auto& note : result.notes) std::cout << "note: " << note << "\n";

    const bool unsupported =
        !result.errors.empty() &&
        std::all_of(result.errors.begin(), result.errors.end(), [](const harness::AgentError& e) {
          return e.details.value("code", "") == "unsupported";
        });
    if (unsupported) PIPECHECK_UNSUPPORTED(result.errors.front().what);
    if (!result.errors.empty()) {
      json errors = json::array();
      for (const auto& error : result.errors) errors.push_back(error.to_json());
      PIPECHECK_AGENT_ERROR(errors.dump());
    }
    ASSERT_EQ(result.outcomes.attempts, geometry.attempts_per_repetition() * geometry.repetitions)
        << "not every attempt was accounted for";
    if (geometry.name == "backlog-closed-loop") {
      EXPECT_GE(result.outcomes.attempts, 10000) << "LSN-10 asks for at least 10,000 connections";
    }
    for (const auto& violation : harness::check_expectations(geometry, result)) {
      ADD_FAILURE() << geometry.name << ": " << violation;
    }
  });
}

std::vector<GeometryParam> geometry_params() {
  std::vector<GeometryParam> params;
  const auto implementations = selected_implementations();
  for (const auto& server : implementations) {
    for (const auto& client : implementations) {
      for (const auto& file : geometry_files()) params.emplace_back(server, client, file);
    }
  }
  return params;
}

std::string geometry_param_name(const testing::TestParamInfo<GeometryParam>& info) {
  const auto& [server, client, file] = info.param;
  return implementation_param_name(server) + "_" + implementation_param_name(client) + "_" +
         implementation_param_name(fs::path(file).stem().string());
}

INSTANTIATE_TEST_SUITE_P(Backlog, Geometry, testing::ValuesIn(geometry_params()),
                         geometry_param_name);

class Backlog : public AgentCheck {
 protected:
  // The number of connects a backlog of `queue_size` admits with nobody accepting (LSN-9).
  static int admitted(const std::string& platform, int queue_size) {
    const int slots = std::max(queue_size, 1);
    return platform == "linux" ? slots + 1 : slots;
  }
};

// LSN-9 / LSN-1 / DIAL-1: with no accept worker exactly the admitted number of connects succeed,
// then every single attempt is `busy` (Linux EAGAIN, Windows ERROR_PIPE_BUSY; BSD/macOS report
// `refused`, DIAL-3), and no attempt is retried.
TEST_P(Backlog, QueueSizeIsHonoured) {
  run_guarded([&] {
    for (const char* id : {"LSN-9", "LSN-1", "DIAL-1"}) requirement(id);
    auto server = start_agent(agent_options("server"));
    auto client = start_agent(agent_options("client"));
    PIPECHECK_REQUIRE_CAPABILITIES(*server, "listen", "listen.queue_size", "close");
    PIPECHECK_REQUIRE_CAPABILITIES(*client, "dial");
    const std::string full_outcome =
        server->platform() == "darwin" || server->platform() == "freebsd" ? "refused" : "busy";
    for (int queue_size : {0, 1, 2, 5, 16}) {
      json listen = handshake_args(check_fields(), scratch_root());
      listen["queue_size"] = queue_size;
      listen["accept_workers"] = 0;
      const json listener = server->call("listen", listen);
      const int expected = admitted(server->platform(), queue_size);
      const json dial = client->call("dial", {{"path", listener.at("path")},
                                              {"count", expected + 3},
                                              {"keep_open", true},
                                              {"timeout_ms", 500},
                                              {"record_sequence", true}});
      std::vector<std::string> want(expected, "ok");
      want.insert(want.end(), 3, full_outcome);
      EXPECT_EQ(dial.at("sequence").get<std::vector<std::string>>(), want)
          << "queue_size " << queue_size << " on " << server->platform() << ": " << dial.dump();
      EXPECT_EQ(dial.value("retries", 0), 0) << "single attempts must not retry (DIAL-1)";
      server->call("close", {{"listener", listener.at("listener")}});
    }
  });
}

// LSN-2: many accept workers and many dialling threads: each connection is accepted once.
TEST_P(Backlog, ConcurrentAcceptsServeEachConnectionOnce) {
  run_guarded([&] {
    requirement("LSN-2");
    auto server = start_agent(agent_options("server"));
    auto client = start_agent(agent_options("client"));
    PIPECHECK_REQUIRE_CAPABILITIES(*server, "listen", "listen.queue_size", "counters", "close");
    PIPECHECK_REQUIRE_CAPABILITIES(*client, "dial", "dial.threads", "dial.retry", "hash.pipecheck");
    json listen = handshake_args(check_fields(), scratch_root());
    listen["queue_size"] = 16;
    listen["accept_workers"] = 8;
    const json listener = server->call("listen", listen);
    const std::string hash =
        client->call("hash", handshake_args(check_fields(), scratch_root())).at("hash");
    const json dial = client->call("dial",
                                   {{"path", listener.at("path")},
                                    {"threads", 8},
                                    {"count", 100},
                                    {"handshake", hash},
                                    {"retry", {{"deadline_ms", 5000}}}},
                                   std::chrono::seconds(60));
    EXPECT_EQ(outcome_count(dial, "ok"), 800) << dial.dump();
    EXPECT_EQ(dial.at("handshake").value("accepted", 0), 800) << dial.dump();
    const json counters = counters_reaching(*server, listener.at("listener"), "handshake_ok", 800);
    EXPECT_EQ(counters.value("accepted", -1), 800) << counters.dump();
    EXPECT_EQ(counters.value("handshake_ok", -1), 800) << counters.dump();
    EXPECT_EQ(counters.value("accept_errors", -1), 0) << counters.dump();
    server->call("close", {{"listener", listener.at("listener")}});
  });
}

// LSN-12: clients that connect and leave at once are not server errors, and the listener keeps
// serving.
TEST_P(Backlog, ConnectAndLeaveIsNotAnError) {
  run_guarded([&] {
    requirement("LSN-12");
    auto server = start_agent(agent_options("server"));
    auto client = start_agent(agent_options("client"));
    PIPECHECK_REQUIRE_CAPABILITIES(*server, "listen", "listen.queue_size", "counters", "close");
    PIPECHECK_REQUIRE_CAPABILITIES(*client, "dial", "dial.threads", "dial.retry", "hash.pipecheck");
    json listen = handshake_args(check_fields(), scratch_root());
    listen["queue_size"] = 8;
    listen["accept_workers"] = 2;
    const json listener = server->call("listen", listen);
    const json leave = client->call("dial",
                                    {{"path", listener.at("path")},
                                     {"threads", 4},
                                     {"count", 100},
                                     {"retry", {{"deadline_ms", 5000}}}},
                                    std::chrono::seconds(60));
    EXPECT_EQ(outcome_count(leave, "ok"), 400) << leave.dump();
    const std::string hash =
        client->call("hash", handshake_args(check_fields(), scratch_root())).at("hash");
    const json served = client->call(
        "dial",
        {{"path", listener.at("path")}, {"handshake", hash}, {"retry", {{"deadline_ms", 5000}}}});
    EXPECT_EQ(served.at("handshake").value("accepted", 0), 1) << served.dump();
    const json counters = server->call("counters", {{"listener", listener.at("listener")}});
    EXPECT_EQ(counters.value("accept_errors", -1), 0) << counters.dump();
    server->call("close", {{"listener", listener.at("listener")}});
  });
}

// DIAL-6: busy, absent and refused outcomes each come back within the timeout plus 100 ms.
TEST_P(Backlog, EveryDialOutcomeIsBoundedByItsTimeout) {
  run_guarded([&] {
    for (const char* id : {"DIAL-6", "DIAL-1"}) requirement(id);
    auto server = start_agent(agent_options("server"));
    auto client = start_agent(agent_options("client"));
    PIPECHECK_REQUIRE_CAPABILITIES(*server, "listen", "listen.queue_size", "hash.pipecheck");
    PIPECHECK_REQUIRE_CAPABILITIES(*client, "dial");
    json listen = handshake_args(check_fields(), scratch_root());
    listen["queue_size"] = 1;
    listen["accept_workers"] = 0;
    const json listener = server->call("listen", listen);
    const std::string full = listener.at("path");
    const fs::path absent = fs::path(full).parent_path() / "pipecheck-nothing-1";
    std::vector<std::pair<std::string, std::string>> targets = {{"full backlog", full},
                                                                {"absent", absent.string()}};
    std::optional<PlantedSocket> refused_socket;
    if (server->platform() != "windows") {
      refused_socket = plant_socket(fs::path(full).parent_path() / "pipecheck-refused-1", false);
      targets.emplace_back("refused", refused_socket->path().string());
    }
    constexpr int timeout_ms = 200;
    for (const auto& [what, path] : targets) {
      const json dial = client->call(
          "dial", {{"path", path}, {"count", 20}, {"keep_open", true}, {"timeout_ms", timeout_ms}});
      const double max_us = dial.at("latency_us").value("max", 0.0);
      EXPECT_LE(max_us, (timeout_ms + 100) * 1000.0) << what << ": " << dial.dump();
      EXPECT_EQ(dial.value("retries", 0), 0) << what;
      EXPECT_EQ(outcome_count(dial, "timeout") + outcome_count(dial, "other"), 0)
          << what << " should be classified: " << dial.dump();
    }
  });
}

// DIAL-5: dial-with-retry stops at its deadline. Against a listener that stays busy (the suite
// filled its backlog and never accepts) the call retries and returns `busy` no earlier than its
// deadline and no later than 100 ms after it; a refused connect is final and not retried.
TEST_P(Backlog, RetryStopsAtItsDeadline) {
  run_guarded([&] {
    for (const char* id : {"DIAL-5", "DIAL-6"}) requirement(id);
    auto client = start_agent(agent_options("client"));
    if (client->platform() != "linux") {
      PIPECHECK_SKIP(
          "the suite fills an AF_UNIX backlog (EAGAIN) only on Linux; the agent runs "
          "on " +
          client->platform());
    }
    PIPECHECK_REQUIRE_CAPABILITIES(*client, "dial", "dial.retry");
    SuiteListener busy(scratch_root() / "busy", 0);
    busy.fill();
    // Each deadline three times: a loaded machine may delay one return past the bound, a retry
    // loop that ignores its deadline overshoots every time.
    for (int deadline_ms : {120, 350, 60}) {
      double best = 1e9;
      for (int round = 0; round < 3; ++round) {
        const json dial = client->call("dial", {{"path", busy.path().string()},
                                                {"retry", {{"deadline_ms", deadline_ms}}},
                                                {"timeout_ms", 1000}});
        const double elapsed = dial.value("elapsed_ms", -1.0);
        best = std::min(best, elapsed);
        EXPECT_EQ(outcome_count(dial, "busy"), 1) << dial.dump();
        EXPECT_GE(dial.value("retries", 0), 1) << "never retried: " << dial.dump();
        EXPECT_GE(elapsed, deadline_ms * 0.9) << "gave up before its deadline: " << dial.dump();
      }
      measure("best_elapsed_ms_" + std::to_string(deadline_ms), best);
      EXPECT_LE(best, deadline_ms + 100.0)
          << "deadline " << deadline_ms << " ms: every call ran past it, the best by "
          << best - deadline_ms << " ms";
    }
    PlantedSocket refusing = plant_socket(scratch_root() / "refusing", false);
    const json refused = client->call(
        "dial", {{"path", refusing.path().string()}, {"retry", {{"deadline_ms", 1000}}}});
    EXPECT_EQ(outcome_count(refused, "refused"), 1) << refused.dump();
    EXPECT_EQ(refused.value("retries", -1), 0) << "retried a refused connect: " << refused.dump();
    EXPECT_LE(refused.value("elapsed_ms", 1e9), 100.0) << refused.dump();
  });
}

// LSN-14 (MAY): the backlog an implementation admits with nobody accepting, measured also when
// it cannot be set (no `listen.queue_size`), so a reader sees what its default admits.
TEST_P(Backlog, DefaultBacklogIsMeasured) {
  run_guarded([&] {
    requirement("LSN-14");
    auto server = start_agent(agent_options("server"));
    auto client = start_agent(agent_options("client"));
    PIPECHECK_REQUIRE_CAPABILITIES(*server, "listen", "close");
    PIPECHECK_REQUIRE_CAPABILITIES(*client, "dial");
    json listen = handshake_args(check_fields(), scratch_root());
    listen["accept_workers"] = 0;
    json listener;
    bool accepting = false;
    if (const auto refused = call_expecting_error(*server, "listen", listen, &listener)) {
      if (refused->code() != "unsupported") throw *refused;
      // It cannot stop accepting: count connects held open at once while its handshake waits.
      listen.erase("accept_workers");
      listener = server->call("listen", listen);
      accepting = true;
    }
    constexpr int kProbe = 600;
    const json dial = client->call("dial",
                                   {{"path", listener.at("path")},
                                    {"count", kProbe},
                                    {"keep_open", true},
                                    {"timeout_ms", 200},
                                    {"record_sequence", true}},
                                   std::chrono::seconds(60));
    const auto sequence = dial.at("sequence").get<std::vector<std::string>>();
    const auto first_refusal = std::find_if(sequence.begin(), sequence.end(),
                                            [](const std::string& o) { return o != "ok"; });
    const auto admitted = first_refusal - sequence.begin();
    measure("admitted", double(admitted));
    measure("probe", double(kProbe));
    measure("listener_accepting", accepting ? 1.0 : 0.0);  // 1: accept_workers 0 unsupported
    measure("refusal_seen", first_refusal == sequence.end() ? 0.0 : 1.0);
    server->call("close", {{"listener", listener.at("listener")}});
  });
}

INSTANTIATE_IMPLEMENTATIONS(Backlog, Backlog);

}  // namespace
}  // namespace pipecheck::suites

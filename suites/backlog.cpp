// Backlog and busy rates (label `backlog`): every geometry of fixtures/geometries/ run across
// agent processes (busy rate, latency percentiles and accepts/s go to the report; a geometry's
// `expect` bounds are asserted), queue size honoured with nobody accepting, concurrent accepts,
// connect-and-leave clients, and dial outcomes bounded by their timeout.

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "pipecheck/harness/geometry.hpp"
#include "support/check_support.hpp"
#include "support/geometry_check.hpp"
#include "support/planted_files.hpp"
#include "support/suite_listener.hpp"

namespace pipecheck::suites {
namespace {

namespace fs = std::filesystem;
using harness::measure;

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

PIPECHECK_CHECK(Geometry, MeetsItsExpectations) {
  const auto& [server_name, client_name, file] = GetParam();
  const harness::Geometry geometry = load_geometry_fixture(file);
  check_geometry(geometry, server_name, client_name, [&](const harness::GeometryResult& result) {
    if (geometry.name == "backlog-closed-loop") {
      EXPECT_GE(result.outcomes.attempts, 10000) << "LSN-10 asks for at least 10,000 connections";
    }
  });
}

// Each implementation serves its own clients here: a geometry measures the server's backlog, and
// every server x client pair already runs a backlog geometry in Interop.Backlog. Running every
// geometry for every pair grew with the square of the implementations (5 of them: 200 runs, past
// the suite's time bound on 2 cores) without telling more about any server.
std::vector<GeometryParam> geometry_params() {
  std::vector<GeometryParam> params;
  for (const auto& implementation : selected_implementations()) {
    for (const auto& file : geometry_files())
      params.emplace_back(implementation, implementation, file);
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

// With no accept worker exactly the admitted number of connects succeed,
// then every single attempt is `busy` (Linux EAGAIN, Windows ERROR_PIPE_BUSY; BSD/macOS report
// `refused`, DIAL-3), and no attempt is retried.
PIPECHECK_CHECK(Backlog, QueueSizeIsHonoured, "LSN-9", "LSN-1", "DIAL-1") {
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
}

// Many accept workers and many dialling threads: each connection is accepted once.
PIPECHECK_CHECK(Backlog, ConcurrentAcceptsServeEachConnectionOnce, "LSN-2") {
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
}

// Clients that connect and leave at once are not server errors, and the listener keeps
// serving.
PIPECHECK_CHECK(Backlog, ConnectAndLeaveIsNotAnError, "LSN-12") {
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
}

// Busy, absent and refused outcomes each come back within the timeout plus 100 ms.
PIPECHECK_CHECK(Backlog, EveryDialOutcomeIsBoundedByItsTimeout, "DIAL-6", "DIAL-1") {
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
}

// Dial-with-retry stops at its deadline. Against a listener that stays busy (the suite filled its
// backlog and never accepts) the call retries and returns `busy` no earlier than its deadline and
// no later than 100 ms after it; a refused connect is final and not retried.
PIPECHECK_CHECK(Backlog, RetryStopsAtItsDeadline, "DIAL-5", "DIAL-6") {
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
}

// A MAY requirement: the backlog an implementation admits with nobody accepting, measured also when
// it cannot be set (no `listen.queue_size`), so a reader sees what its default admits.
PIPECHECK_CHECK(Backlog, DefaultBacklogIsMeasured, "LSN-14") {
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
}

INSTANTIATE_IMPLEMENTATIONS(Backlog, Backlog);

}  // namespace
}  // namespace pipecheck::suites

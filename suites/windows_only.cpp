// Windows-only behaviour (label `windows`): pipe error classification, instance count = queue
// size, first-instance squatting, the pipe namespace and Windows discovery. Compiled everywhere;
// each check asks its agent's hello `platform` and skips with the reason on non-Windows agents
// (the Windows leg runs them against the Windows agent under Wine).
#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "support/check_support.hpp"

namespace pipecheck::suites {
namespace {

constexpr int kErrorFileNotFound = 2;
constexpr int kErrorPipeBusy = 231;

class WindowsOnly : public AgentCheck {
 protected:
  // Starts an agent; the caller skips unless it runs on Windows.
  std::unique_ptr<SuiteAgent> start_windows_agent(const std::string& role) {
    auto agent = start_agent(agent_options(role));
    on_windows = agent->platform() == "windows";
    platform = agent->platform();
    return agent;
  }
  std::string not_windows() const {
    return "Windows named-pipe behaviour; the agent runs on " + platform;
  }
  json listen_args(int queue_size, int accept_workers) {
    json args = handshake_args(check_fields());
    args["queue_size"] = queue_size;
    args["accept_workers"] = accept_workers;
    return args;
  }
  bool on_windows = false;
  std::string platform;
};

// ERROR_PIPE_BUSY is `busy`, ERROR_FILE_NOT_FOUND is `absent`.
PIPECHECK_CHECK(WindowsOnly, PipeErrorsAreClassified, "DIAL-4") {
  auto agent = start_windows_agent("agent");
  if (!on_windows) PIPECHECK_SKIP(not_windows());
  PIPECHECK_REQUIRE_CAPABILITIES(*agent, "listen", "listen.queue_size", "dial");
  const json listener = agent->call("listen", listen_args(1, 0));
  const json busy = agent->call(
      "dial",
      {{"path", listener.at("path")}, {"count", 3}, {"keep_open", true}, {"timeout_ms", 500}});
  EXPECT_EQ(outcome_count(busy, "ok"), 1) << busy.dump();
  EXPECT_EQ(outcome_count(busy, "busy"), 2) << busy.dump();
  const std::string missing = "\\\\.\\pipe\\pipecheck-nothing-here-1";
  const json absent = agent->call("dial", {{"path", missing}, {"timeout_ms", 500}});
  EXPECT_EQ(outcome_count(absent, "absent"), 1) << absent.dump();
  for (const auto& [result, outcome, code] : {std::tuple{busy, "busy", kErrorPipeBusy},
                                              std::tuple{absent, "absent", kErrorFileNotFound}}) {
    bool carried = false;
    for (const json& error : result.value("errors", json::array())) {
      if (error.value("outcome", "") != outcome) continue;
      EXPECT_EQ(error.value("system_error", -1), code) << outcome << ": " << error;
      carried = true;
    }
    EXPECT_TRUE(carried) << outcome << ": no error sample: " << result.dump();
  }
}

// LSN-9 / LSN-1 on Windows: exactly max(queue_size, 1) instances admit clients.
PIPECHECK_CHECK(WindowsOnly, InstanceCountEqualsQueueSize, "LSN-9", "LSN-1", "WIN-6") {
  auto agent = start_windows_agent("agent");
  if (!on_windows) PIPECHECK_SKIP(not_windows());
  PIPECHECK_REQUIRE_CAPABILITIES(*agent, "listen", "listen.queue_size", "dial", "close");
  for (int queue_size : {0, 1, 4}) {
    const json listener = agent->call("listen", listen_args(queue_size, 0));
    const int admitted = std::max(queue_size, 1);
    const json dial = agent->call("dial", {{"path", listener.at("path")},
                                           {"count", admitted + 2},
                                           {"keep_open", true},
                                           {"timeout_ms", 500},
                                           {"record_sequence", true}});
    std::vector<std::string> want(admitted, "ok");
    want.insert(want.end(), 2, "busy");
    EXPECT_EQ(dial.at("sequence").get<std::vector<std::string>>(), want)
        << "queue_size " << queue_size << ": " << dial.dump();
    agent->call("close", {{"listener", listener.at("listener")}});
  }
}

// The first instance is created with FILE_FLAG_FIRST_PIPE_INSTANCE: a second process
// cannot create an instance of the same name.
PIPECHECK_CHECK(WindowsOnly, SecondListenerOnTheSameNameFails, "SEC-6", "LSN-6", "WIN-5") {
  auto owner = start_windows_agent("owner");
  if (!on_windows) PIPECHECK_SKIP(not_windows());
  auto squatter = start_agent(agent_options("squatter"));
  PIPECHECK_REQUIRE_CAPABILITIES(*owner, "listen");
  PIPECHECK_REQUIRE_CAPABILITIES(*squatter, "listen");
  const json listener = owner->call("listen", listen_args(2, 1));
  json same_name = listen_args(2, 1);
  same_name["pid"] = owner->pid();
  const auto refused = call_expecting_error(*squatter, "listen", same_name);
  ASSERT_TRUE(refused.has_value()) << "a second process listened on " << listener.at("path");
  EXPECT_EQ(refused->code(), "address_in_use") << refused->message();
  EXPECT_EQ(refused->error().value("pid", 0LL), owner->pid())
      << "the refusal must name the holder: " << refused->error().dump();
}

// Windows endpoints live in the pipe namespace.
PIPECHECK_CHECK(WindowsOnly, EndpointPathIsInThePipeNamespace, "NAME-7") {
  auto agent = start_windows_agent("agent");
  if (!on_windows) PIPECHECK_SKIP(not_windows());
  PIPECHECK_REQUIRE_CAPABILITIES(*agent, "hash.pipecheck");
  json args = handshake_args(check_fields());
  args["pid"] = 4242;
  const json result = agent->call("hash", args);
  EXPECT_EQ(result.at("path"), "\\\\.\\pipe\\" + result.at("name").get<std::string>());
}

// Windows discovery finds the live endpoints of its hash and says how.
PIPECHECK_CHECK(WindowsOnly, DiscoveryFindsLiveEndpointsAndNamesItsMethod, "WIN-1", "WIN-2",
                "WIN-3", "WIN-4", "DISC-10") {
  auto server = start_windows_agent("server");
  if (!on_windows) PIPECHECK_SKIP(not_windows());
  auto client = start_agent(agent_options("discoverer"));
  PIPECHECK_REQUIRE_CAPABILITIES(*server, "listen", "close");
  PIPECHECK_REQUIRE_CAPABILITIES(*client, "discover");
  const json listener = server->call("listen", handshake_args(check_fields()));
  const json found = client->call("discover", handshake_args(check_fields()));
  ASSERT_TRUE(found.contains("method")) << "discovery must report its method: " << found.dump();
  const std::string method = found.at("method");
  EXPECT_TRUE(method == "pipe_enumeration" || method == "markers") << method;
  std::cout << "discovery method: " << found.at("method") << "\n";
  harness::measure("method_" + found.at("method").get<std::string>(), 1);
  std::vector<long long> live;
  for (const json& endpoint : found.at("live")) live.push_back(endpoint.at("pid"));
  EXPECT_EQ(live, std::vector<long long>{server->pid()}) << found.dump();
  // Reclaiming never removes the marker of a live listener (WIN-4).
  json reclaim = handshake_args(check_fields());
  reclaim["reclaim"] = true;
  const json reclaimed = client->call("discover", reclaim);
  EXPECT_TRUE(reclaimed.value("reclaimed", json::array()).empty()) << reclaimed.dump();
  EXPECT_EQ(reclaimed.at("live").size(), 1u) << reclaimed.dump();
  // After close the marker (WIN-2) and the pipe are gone.
  server->call("close", {{"listener", listener.at("listener")}});
  EXPECT_TRUE(client->call("discover", handshake_args(check_fields())).at("live").empty());
}

// The peer-user mapping admits a client of the same user (both sides map the
// other's process to its token's SID); a failure to map would be `denied`.
PIPECHECK_CHECK(WindowsOnly, SameUserPeerIsAdmitted, "WIN-7", "SEC-4") {
  auto server = start_windows_agent("server");
  if (!on_windows) PIPECHECK_SKIP(not_windows());
  auto client = start_agent(agent_options("client"));
  PIPECHECK_REQUIRE_CAPABILITIES(*server, "listen", "counters", "peer-check", "hash.pipecheck");
  PIPECHECK_REQUIRE_CAPABILITIES(*client, "dial", "peer-check");
  const json listener = server->call("listen", listen_args(2, 2));
  const std::string hash = server->call("hash", handshake_args(check_fields())).at("hash");
  const json dial = client->call(
      "dial",
      {{"path", listener.at("path")}, {"count", 3}, {"handshake", hash}, {"timeout_ms", 2000}});
  EXPECT_EQ(outcome_count(dial, "ok"), 3) << dial.dump();
  EXPECT_EQ(dial.at("handshake").value("accepted", 0), 3) << dial.dump();
  const json counters = counters_reaching(*server, listener.at("listener"), "handshake_ok", 3);
  EXPECT_EQ(counters.value("denied", -1), 0) << counters.dump();
}

// SEC-7 / SEC-8 cannot be observed from one machine with one user.
PIPECHECK_CHECK(WindowsOnly, RemoteClientsAndOtherUsersAreRejected, "SEC-7", "SEC-8") {
  auto agent = start_windows_agent("agent");
  if (!on_windows) PIPECHECK_SKIP(not_windows());
  PIPECHECK_SKIP(
      "not observable here: PIPE_REJECT_REMOTE_CLIENTS (SEC-7) needs a client on another "
      "machine, and the DACL (SEC-8) a second Windows user; Wine runs every process as one "
      "user and does not serve pipes over the network");
}

INSTANTIATE_IMPLEMENTATIONS(Windows, WindowsOnly);

}  // namespace
}  // namespace pipecheck::suites

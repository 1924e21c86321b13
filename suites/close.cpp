// Close races (label `close`): pending accepts released within 100 ms, concurrent and repeated
// close, close while clients of several processes dial, nothing left after close (file,
// descriptors) and the name reusable at once, and what a SIGKILLed listener leaves behind. The
// racy checks repeat hundreds of times within a time budget.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "support/check_support.hpp"
#include "support/planted_files.hpp"

namespace pipecheck::suites {
namespace {

namespace fs = std::filesystem;
using harness::measure;
using Clock = std::chrono::steady_clock;

constexpr int kIterations = 200;
constexpr auto kBudget = std::chrono::seconds(20);  // per racy check, on a loaded 2-core machine
constexpr int kMinimumIterations = 50;              // fewer within the budget is a failure

bool endpoint_file_exists(const json& listener) {
  return fs::exists(fs::symlink_status(listener.at("path").get<std::string>()));
}

class Close : public AgentCheck {
 protected:
  json listen_args(int queue_size, int accept_workers) {
    json args = handshake_args(check_fields(), scratch_root());
    args["queue_size"] = queue_size;
    args["accept_workers"] = accept_workers;
    return args;
  }
};

// Every pending accept returns "listener closed" within 100 ms of close.
PIPECHECK_CHECK(Close, PendingAcceptsReturnClosedWithin100ms, "LSN-4") {
  auto server = start_agent(agent_options("server"));
  PIPECHECK_REQUIRE_CAPABILITIES(*server, "listen", "listen.queue_size", "close", "dial");
  const auto stop_at = Clock::now() + kBudget;
  int iterations = 0, total_pending = 0;
  double worst_ms = 0;
  for (; iterations < kIterations && Clock::now() < stop_at; ++iterations) {
    const json listener = server->call("listen", listen_args(4, 8));
    // A connect-only dial to our own listener: by the time it is accepted the workers run.
    server->call("dial", {{"path", listener.at("path")}, {"timeout_ms", 1000}});
    const json closed = server->call("close", {{"listener", listener.at("listener")}});
    const int pending = closed.at("pending_accepts");
    total_pending += pending;
    EXPECT_EQ(closed.at("unblocked"), pending) << "iteration " << iterations << ": " << closed;
    const double unblock_ms = closed.value("max_unblock_ms", 0.0);
    worst_ms = std::max(worst_ms, unblock_ms);
    EXPECT_LE(unblock_ms, 100.0) << "iteration " << iterations << ": " << closed;
    if (testing::Test::HasFailure()) break;
  }
  measure("iterations", iterations);
  measure("pending_accepts_total", total_pending);
  measure("max_unblock_ms", worst_ms);
  EXPECT_GE(iterations, kMinimumIterations)
      << "too few iterations within " << kBudget.count() << " s";
  EXPECT_GT(total_pending, 0) << "close never found a pending accept: the check proved nothing";
}

// Close from 16 threads at once, then once more: no crash, one teardown, agent healthy.
PIPECHECK_CHECK(Close, ConcurrentAndRepeatedCloseTearDownOnce, "LSN-3") {
  auto server = start_agent(agent_options("server"));
  PIPECHECK_REQUIRE_CAPABILITIES(*server, "listen", "listen.queue_size", "close",
                                 "close.concurrent", "hash.pipecheck");
  const auto stop_at = Clock::now() + kBudget;
  int iterations = 0;
  for (; iterations < kIterations && Clock::now() < stop_at; ++iterations) {
    const json listener = server->call("listen", listen_args(4, 4));
    const json closed =
        server->call("close", {{"listener", listener.at("listener")}, {"threads", 16}});
    EXPECT_EQ(closed.at("unblocked"), closed.at("pending_accepts")) << closed;
    EXPECT_TRUE(closed.value("endpoint_removed", false)) << closed;
    EXPECT_FALSE(endpoint_file_exists(listener));
    // docs/formats/agent-protocol.md: a closed listener is forgotten, so closing it again names no
    // listener (LSN-3's idempotence is the concurrent close above).
    json again;
    const auto second =
        call_expecting_error(*server, "close", {{"listener", listener.at("listener")}}, &again);
    EXPECT_TRUE(second.has_value()) << "a second close succeeded: " << again;
    if (second) {
      EXPECT_EQ(second->code(), "unknown_listener") << second->message();
    }
    if (testing::Test::HasFailure()) break;
  }
  // Still answering: nothing crashed or deadlocked inside the agent.
  server->call("hash", handshake_args(check_fields(), scratch_root()));
  measure("iterations", iterations);
  EXPECT_GE(iterations, kMinimumIterations);
}

// Clients of three processes dial while the listener closes: every attempt is classified
// ok / refused / absent / busy (an ok may then see end-of-stream) within its timeout + 100 ms.
PIPECHECK_CHECK(Close, CloseWhileClientsOfSeveralProcessesDial, "DIAL-7") {
  auto server = start_agent(agent_options("server"));
  PIPECHECK_REQUIRE_CAPABILITIES(*server, "listen", "listen.queue_size", "close", "hash.pipecheck");
  std::vector<std::unique_ptr<SuiteAgent>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(start_agent(agent_options("client-" + std::to_string(i))));
    PIPECHECK_REQUIRE_CAPABILITIES(*clients.back(), "dial", "dial.threads", "dial.barrier");
  }
  const std::string hash =
      server->call("hash", handshake_args(check_fields(), scratch_root())).at("hash");
  constexpr int timeout_ms = 500;
  const std::set<std::string> classified{"ok", "refused", "absent", "busy"};
  const auto stop_at = Clock::now() + kBudget;
  int iterations = 0;
  long long attempts = 0, ok = 0, after_close = 0;
  for (; iterations < 40 && Clock::now() < stop_at; ++iterations) {
    const json listener = server->call("listen", listen_args(8, 2));
    std::vector<std::string> tokens;
    for (auto& client : clients) {
      tokens.push_back(client
                           ->call("prepare_dial", {{"path", listener.at("path")},
                                                   {"threads", 2},
                                                   {"count", 30},
                                                   {"timeout_ms", timeout_ms},
                                                   {"handshake", hash}})
                           .at("token"));
    }
    std::vector<std::future<json>> fired;
    for (std::size_t i = 0; i < clients.size(); ++i) {
      fired.push_back(std::async(std::launch::async, [&, i] {
        return clients[i]->call("fire", {{"token", tokens[i]}}, std::chrono::seconds(60));
      }));
    }
    // Vary where the close lands: at once, or after some attempts went through.
    std::this_thread::sleep_for(std::chrono::microseconds(250 * (iterations % 8)));
    server->call("close", {{"listener", listener.at("listener")}});
    for (auto& future : fired) {
      const json result = future.get();
      attempts += result.value("attempts", 0);
      for (const auto& [outcome, count] : result.at("outcomes").items()) {
        if (count.get<long long>() == 0) continue;
        EXPECT_TRUE(classified.count(outcome))
            << count << " attempt(s) ended '" << outcome << "': " << result.dump();
        if (outcome == "ok") ok += count.get<long long>();
        if (outcome == "absent" || outcome == "refused") after_close += count.get<long long>();
      }
      EXPECT_LE(result.at("latency_us").value("max", 0.0), (timeout_ms + 100) * 1000.0)
          << "an attempt outlived its timeout: " << result.dump();
    }
    if (testing::Test::HasFailure()) break;
  }
  measure("iterations", iterations);
  measure("attempts", double(attempts));
  measure("ok_before_close", double(ok));
  measure("absent_or_refused_after_close", double(after_close));
  EXPECT_GE(iterations, 10);
  EXPECT_GT(ok, 0) << "no attempt connected before the close: the race never happened";
  EXPECT_GT(after_close, 0) << "no attempt came after the close: the race never happened";
}

// After close the endpoint is gone, the agent's descriptor count is back where it was,
// and the same name can be listened on again at once.
PIPECHECK_CHECK(Close, AfterCloseNothingRemainsAndTheNameIsReusable, "LSN-7") {
  auto server = start_agent(agent_options("server"));
  auto client = start_agent(agent_options("client"));
  PIPECHECK_REQUIRE_CAPABILITIES(*server, "listen", "listen.queue_size", "close", "counters",
                                 "fd-count", "hash.pipecheck");
  PIPECHECK_REQUIRE_CAPABILITIES(*client, "dial", "dial.retry");
  const std::string hash =
      client->call("hash", handshake_args(check_fields(), scratch_root())).at("hash");
  auto cycle = [&](const json& listener) {
    const json dial = client->call("dial", {{"path", listener.at("path")},
                                            {"count", 5},
                                            {"handshake", hash},
                                            {"retry", {{"deadline_ms", 2000}}}});
    EXPECT_EQ(dial.at("handshake").value("accepted", 0), 5) << dial;
    const json closed = server->call("close", {{"listener", listener.at("listener")}});
    EXPECT_TRUE(closed.value("endpoint_removed", false)) << closed;
    EXPECT_FALSE(endpoint_file_exists(listener)) << listener.at("path");
  };
  cycle(server->call("listen", listen_args(4, 2)));  // warm-up: lazily created descriptors
  const long long baseline = server->call("counters", json::object()).at("open_fds");
  const auto stop_at = Clock::now() + kBudget;
  int iterations = 0;
  std::string previous_path;
  for (; iterations < kIterations && Clock::now() < stop_at; ++iterations) {
    const json listener = server->call("listen", listen_args(4, 2));  // the same name again
    if (!previous_path.empty()) {
      EXPECT_EQ(listener.at("path"), previous_path);
    }
    previous_path = listener.at("path");
    cycle(listener);
    const long long open_fds = server->call("counters", json::object()).at("open_fds");
    EXPECT_EQ(open_fds, baseline) << "iteration " << iterations << ": descriptors leaked";
    if (testing::Test::HasFailure()) break;
  }
  measure("iterations", iterations);
  measure("open_fds", double(baseline));
  EXPECT_GE(iterations, kMinimumIterations);
}

// While the listener lives, its name is "address in use" naming its PID;
// after SIGKILL its file is stale, discovery says so, and a new listener reclaims the name.
PIPECHECK_CHECK(Close, KilledListenerIsStaleAndReclaimed, "LSN-8", "LSN-6", "DISC-6") {
  auto successor = start_agent(agent_options("successor"));
  PIPECHECK_REQUIRE_CAPABILITIES(*successor, "listen", "close", "discover", "discover.report");
  for (int round = 0; round < 5; ++round) {
    auto victim = start_agent(agent_options("victim-" + std::to_string(round)));
    const json listener = victim->call("listen", handshake_args(check_fields(), scratch_root()));
    json takeover = handshake_args(check_fields(), scratch_root());
    takeover["pid"] = victim->pid();
    const auto in_use = call_expecting_error(*successor, "listen", takeover);
    ASSERT_TRUE(in_use.has_value()) << "a live listener's name was taken over";
    EXPECT_EQ(in_use->code(), "address_in_use") << in_use->message();
    if (in_use->error().contains("pid")) {
      EXPECT_EQ(in_use->error().at("pid"), victim->pid());
    }

    victim->kill();
    const std::string name = listener.at("name");
    const json found = successor->call("discover", handshake_args(check_fields(), scratch_root()));
    bool reported_stale = false;
    for (const json& rejected : found.at("rejected")) {
      reported_stale |= rejected.at("name") == name && rejected.at("reason") == "stale";
    }
    if (successor->platform() == "windows") {
      EXPECT_TRUE(found.at("live").empty()) << "a killed Windows listener's pipe is gone";
    } else {
      EXPECT_TRUE(endpoint_file_exists(listener)) << "SIGKILL cannot remove the socket file";
      EXPECT_TRUE(reported_stale) << found.dump();
      EXPECT_TRUE(found.at("live").empty()) << found.dump();
    }
    const json reclaimed = successor->call("listen", takeover);
    EXPECT_EQ(reclaimed.at("path"), listener.at("path"));
    successor->call("close", {{"listener", reclaimed.at("listener")}});
    if (testing::Test::HasFailure()) break;
  }
}

// Close removes the socket file only if it is still the one the listener created.
PIPECHECK_CHECK(Close, CloseLeavesAReplacedSocketFileAlone, "LSN-5", "SEC-5") {
  auto server = start_agent(agent_options("server"));
  PIPECHECK_REQUIRE_CAPABILITIES(*server, "listen", "close");
  if (server->platform() == "windows") PIPECHECK_SKIP("LSN-5 is about unix socket files");
  const json listener = server->call("listen", handshake_args(check_fields(), scratch_root()));
  const fs::path path = listener.at("path").get<std::string>();
  fs::remove(path);  // the listener's own file, in our scratch root
  PlantedSocket replacement = plant_socket(path, true);
  const std::uint64_t before = file_id(path);
  ASSERT_NE(before, 0u);
  server->call("close", {{"listener", listener.at("listener")}});
  const std::uint64_t after = file_id(path);
  ASSERT_NE(after, 0u) << "close removed a socket file it did not create";
  EXPECT_EQ(before, after);
}

// Accept runs on as many threads as asked for. An idle listener with N accept workers has N accept
// calls pending, and closing it unblocks each of them.
PIPECHECK_CHECK(Close, IdleListenerCountsEveryPendingAccept, "LSN-2", "LSN-4") {
  auto server = start_agent(agent_options("server"));
  PIPECHECK_REQUIRE_CAPABILITIES(*server, "listen", "close");
  std::vector<std::pair<int, json>> closes;
  for (int workers : {3, 1, 8, 5}) {
    const json listener = server->call("listen", listen_args(8, workers));
    closes.emplace_back(workers, server->call("close", {{"listener", listener.at("listener")}}));
  }
  const bool none_pending = std::all_of(closes.begin(), closes.end(), [](const auto& c) {
    return c.second.value("pending_accepts", 0) == 0;
  });
  if (none_pending) {
    PIPECHECK_UNSUPPORTED(
        "close never reports a pending accept: the implementation has no "
        "blocking accept call (an event loop accepts)");
  }
  for (const auto& [workers, closed] : closes) {
    EXPECT_EQ(closed.value("pending_accepts", -1), workers)
        << workers << " accept workers asked for: " << closed.dump();
    EXPECT_EQ(closed.value("unblocked", -1), workers) << closed.dump();
    EXPECT_LE(closed.value("max_unblock_ms", 0.0), 100.0) << closed.dump();
  }
}

// Close removes only the socket it created. Whatever replaced it at the path (a regular file, a
// fifo, a directory, a symlink, another socket) survives the close.
PIPECHECK_CHECK(Close, CloseLeavesAnyOtherFileAlone, "LSN-5", "SEC-5") {
  auto server = start_agent(agent_options("server"));
  PIPECHECK_REQUIRE_CAPABILITIES(*server, "listen", "close");
  if (server->platform() == "windows") PIPECHECK_SKIP("LSN-5 is about unix socket files");
  const fs::path target = scratch_root() / "symlink-target";
  plant_regular_file(target);
  const std::vector<std::pair<std::string, std::function<void(const fs::path&)>>> kinds = {
      {"regular file", [](const fs::path& p) { plant_regular_file(p); }},
      {"fifo", [](const fs::path& p) { plant_fifo(p); }},
      {"directory", [](const fs::path& p) { plant_directory(p); }},
      {"symlink", [&](const fs::path& p) { plant_symlink(target, p); }},
  };
  for (const auto& [kind, plant] : kinds) {
    const json listener = server->call("listen", handshake_args(check_fields(), scratch_root()));
    const fs::path path = listener.at("path").get<std::string>();
    fs::remove(path);  // the listener's own socket, in our scratch root
    plant(path);
    const std::uint64_t before = file_id(path);
    const fs::file_type type = fs::symlink_status(path).type();
    ASSERT_NE(before, 0u);
    server->call("close", {{"listener", listener.at("listener")}});
    const std::uint64_t after = file_id(path);
    ASSERT_NE(after, 0u) << "close removed a " << kind << " at " << path;
    EXPECT_EQ(before, after) << kind;
    EXPECT_EQ(type, fs::symlink_status(path).type()) << kind;
    fs::remove_all(path);
  }
  EXPECT_TRUE(fs::exists(target)) << "close followed a symlink and removed its target";
}

INSTANTIATE_IMPLEMENTATIONS(Close, Close);

}  // namespace
}  // namespace pipecheck::suites

// Listen races (label `close`, with the other races): listeners of several processes contending
// for one explicit-PID name, and reclaimers of other processes running discovery with reclaim
// while a listener comes and goes. Exactly one listener wins each round, and no live socket is
// ever deleted (LSN-6, DISC-7, SEC-5). Rounds vary the contenders, their order and the PID in the
// name; each check is bounded by a time budget.
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/check_support.hpp"
#include "support/planted_files.hpp"  // dead_pid()
#include "support/start_gate.hpp"

namespace pipecheck::suites {
namespace {

using harness::measure;
using Clock = std::chrono::steady_clock;

constexpr auto kBudget = std::chrono::seconds(4);  // per check and implementation
constexpr int kMaxRounds = 60;
constexpr int kMinimumRounds = 10;  // fewer within the budget is a failure
constexpr int kContenders = 3;      // listening agents (processes)
constexpr int kReclaimers = 2;      // discover --reclaim agents (processes)

class ListenRace : public AgentCheck {
 protected:
  json listen_args(long long pid) {
    json args = handshake_args(check_fields(), scratch_root());
    args["pid"] = pid;
    args["queue_size"] = 4;
    args["accept_workers"] = 1;
    return args;
  }

  // Whether a listener is at `path` (connect only, one attempt): `ok`, or `busy` when probes
  // of reclaimers filled its backlog (nobody accepts in these checks).
  static bool answers(SuiteAgent& dialer, const json& path) {
    const json result = dialer.call("dial", {{"path", path}, {"timeout_ms", 1000}});
    return outcome_count(result, "ok") + outcome_count(result, "busy") == 1;
  }
};

// 2 or 3 agents listen on one name at once, round after round; the name's PID is
// alive but none of theirs (the suite's), or dead, in turn. Exactly one listen succeeds, the others
// fail `address_in_use`, and the winner's socket answers.
PIPECHECK_CHECK(ListenRace, ConcurrentListenersOnOneNameExactlyOneWins, "LSN-6", "SEC-5") {
  std::vector<std::unique_ptr<SuiteAgent>> agents;
  for (int i = 0; i < kContenders; ++i)
    agents.push_back(start_agent(agent_options("listener-" + std::to_string(i))));
  PIPECHECK_REQUIRE_CAPABILITIES(*agents.front(), "listen", "close", "dial");
  const long long dead = dead_pid();
  // Made here, not in the threads: scratch_root() creates the check's root on first use.
  const json live_args = listen_args(suite_pid()), dead_args = listen_args(dead);
  const auto stop_at = Clock::now() + kBudget;
  int rounds = 0, single_wins = 0;
  for (; rounds < kMaxRounds && Clock::now() < stop_at; ++rounds) {
    const int contenders = 2 + rounds % (kContenders - 1);
    const bool dead_name = rounds % 2 == 1;
    const long long pid = dead_name ? dead : static_cast<long long>(suite_pid());
    const json& args = dead_name ? dead_args : live_args;
    StartGate start(contenders);
    std::vector<std::optional<json>> won(static_cast<std::size_t>(contenders));
    std::vector<std::string> unexpected(static_cast<std::size_t>(contenders));
    {
      std::vector<std::jthread> threads;
      for (int t = 0; t < contenders; ++t) {
        // Rotate which agents contend, so no one process always goes first.
        SuiteAgent& agent = *agents[static_cast<std::size_t>((rounds + t) % kContenders)];
        threads.emplace_back([&, t] {
          const auto slot = static_cast<std::size_t>(t);
          if (!start.arrive_and_wait()) {
            unexpected[slot] = "the other contenders never started";
            return;
          }
          try {
            json result;
            const auto error = call_expecting_error(agent, "listen", args, &result);
            if (!error) {
              won[slot] = result;
            } else if (error->code() != "address_in_use") {
              unexpected[slot] = error->code() + ": " + error->message();
            }
          } catch (const std::exception& e) {
            unexpected[slot] = e.what();
          }
        });
      }
    }
    int winners = 0;
    for (std::size_t t = 0; t < won.size(); ++t) {
      EXPECT_EQ(unexpected[t], "") << "round " << rounds << ": listen failed otherwise";
      if (!won[t]) continue;
      ++winners;
    }
    EXPECT_EQ(winners, 1) << "round " << rounds << " (" << contenders << " contenders, PID " << pid
                          << "): listens that succeeded on one name";
    if (winners == 1) {
      ++single_wins;
      for (std::size_t t = 0; t < won.size(); ++t) {
        if (!won[t]) continue;
        SuiteAgent& owner = *agents[(static_cast<std::size_t>(rounds) + t) % kContenders];
        SuiteAgent& other = *agents[(static_cast<std::size_t>(rounds) + t + 1) % kContenders];
        EXPECT_TRUE(answers(other, won[t]->at("path"))) << "round " << rounds;
        owner.call("close", {{"listener", won[t]->at("listener")}});
      }
    } else {
      for (std::size_t t = 0; t < won.size(); ++t) {
        if (!won[t]) continue;
        agents[(static_cast<std::size_t>(rounds) + t) % kContenders]->call(
            "close", {{"listener", won[t]->at("listener")}});
      }
    }
    if (testing::Test::HasFailure()) break;
  }
  measure("rounds", rounds);
  measure("single_wins", single_wins);
  if (!testing::Test::HasFailure()) {
    EXPECT_GE(rounds, kMinimumRounds) << "too few rounds within " << kBudget.count() << " s";
  }
}

// One agent listens and closes on a name whose PID is dead (so a stale
// file there would be reclaimable) while two other agents run discovery with reclaim in a loop.
// Every listen succeeds and every listening socket is still there and answers.
PIPECHECK_CHECK(ListenRace, ReclaimersNeverDeleteALiveListener, "DISC-7", "SEC-5", "LSN-6") {
  auto listener = start_agent(agent_options("listener"));
  PIPECHECK_REQUIRE_CAPABILITIES(*listener, "listen", "close", "dial");
  std::vector<std::unique_ptr<SuiteAgent>> reclaimers;
  for (int i = 0; i < kReclaimers; ++i)
    reclaimers.push_back(start_agent(agent_options("reclaimer-" + std::to_string(i))));
  PIPECHECK_REQUIRE_CAPABILITIES(*reclaimers.front(), "discover", "discover.reclaim");
  const long long dead = dead_pid();
  // Made here, not in the threads: scratch_root() creates the check's root on first use.
  const json listen_dead = listen_args(dead);
  json discover_args = handshake_args(check_fields(), scratch_root());
  discover_args["reclaim"] = true;

  std::atomic<bool> done{false};
  std::mutex mutex;
  std::vector<std::string> reclaimed, reclaimer_errors;
  std::atomic<int> discoveries{0};
  std::vector<std::jthread> loops;
  for (auto& reclaimer : reclaimers) {
    loops.emplace_back([&, agent = reclaimer.get()] {
      while (!done) {
        try {
          const json found = agent->call("discover", discover_args);
          ++discoveries;
          const std::lock_guard lock(mutex);
          for (const json& name : found.value("reclaimed", json::array()))
            reclaimed.push_back(name.get<std::string>());
        } catch (const std::exception& e) {
          const std::lock_guard lock(mutex);
          reclaimer_errors.push_back(e.what());
          return;
        }
      }
    });
  }

  const auto stop_at = Clock::now() + kBudget;
  int cycles = 0, failed_listens = 0, lost = 0;
  std::string first_failure;
  for (; Clock::now() < stop_at; ++cycles) {
    json opened;
    const auto error = call_expecting_error(*listener, "listen", listen_dead, &opened);
    if (error) {
      if (failed_listens++ == 0) first_failure = error->code() + ": " + error->message();
      continue;
    }
    // The socket must be there and listening while it is open.
    if (!answers(*listener, opened.at("path"))) ++lost;
    listener->call("close", {{"listener", opened.at("listener")}});
  }
  done = true;
  loops.clear();
  measure("cycles", cycles);
  measure("discoveries", discoveries.load());
  EXPECT_TRUE(reclaimer_errors.empty()) << reclaimer_errors.front();
  EXPECT_EQ(failed_listens, 0) << "of " << cycles << " listens; first: " << first_failure;
  EXPECT_EQ(lost, 0) << "of " << cycles << " listening sockets did not answer";
  // A closed listener's file may be reclaimed in the instant before its close removes it: a
  // reclaim is not a fault, a listening socket gone is (`lost` above).
  measure("reclaimed", static_cast<std::int64_t>(reclaimed.size()));
  EXPECT_GE(cycles, kMinimumRounds);
  EXPECT_GT(discoveries.load(), 0) << "the reclaimers never ran: the check proved nothing";
}

INSTANTIATE_IMPLEMENTATIONS(Listen, ListenRace);

}  // namespace
}  // namespace pipecheck::suites

// Listening races on one endpoint name (LSN-6, DISC-7, SEC-5): concurrent listeners of one name
// never both win, reclaimers never delete a live socket, and address_in_use names the process
// the kernel says holds the socket.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include "pipecheck/dial.hpp"
#include "pipecheck/discovery.hpp"
#include "pipecheck/error.hpp"
#include "pipecheck/listener.hpp"
#include "posix_test_support.hpp"

namespace pipecheck {
namespace {

using namespace std::chrono_literals;
using test_support::ScratchRoot;

// Threads of one process race to listen on one explicit-PID name, round after round; the
// rounds vary how many contend so the bind/listen window is hit at different offsets.
TEST(ListenRacePosix, ConcurrentListenersOnOneNameNeverBothWin) {
  ScratchRoot root;
  const Handshake hs = test_support::unique_handshake();
  const ProcessId holder_pid = ::getppid();  // alive, and none of the contenders
  constexpr int kMinimumRounds = 100;
  const auto until = test_support::Clock::now() + 2s;
  int double_wins = 0, no_wins = 0, round = 0;
  for (; round < kMinimumRounds || test_support::Clock::now() < until; ++round) {
    const int contenders = 2 + round % 4;
    std::barrier start(contenders);
    std::vector<std::optional<Listener>> won(static_cast<std::size_t>(contenders));
    std::vector<std::string> errors(static_cast<std::size_t>(contenders));
    {
      std::vector<std::jthread> threads;
      for (int t = 0; t < contenders; ++t) {
        threads.emplace_back([&, t] {
          // Staggered by 0-59 us, varying by round and thread: the contenders meet at every
          // offset of each other's bind/publish, not only at the same instant.
          const auto stagger = std::chrono::microseconds((round * 7 + t * 13) % 60);
          start.arrive_and_wait();
          const auto go = test_support::Clock::now() + stagger;
          while (test_support::Clock::now() < go) {
          }
          try {
            won[static_cast<std::size_t>(t)].emplace(hs, root.listen(16, holder_pid));
          } catch (const Error& e) {
            if (e.code() != Errc::address_in_use) errors[static_cast<std::size_t>(t)] = e.what();
          }
        });
      }
    }
    int winners = 0;
    for (const auto& listener : won) winners += listener.has_value() ? 1 : 0;
    for (const auto& error : errors) {
      EXPECT_EQ(error, "") << "round " << round;
    }
    if (winners > 1) ++double_wins;
    if (winners == 0) ++no_wins;
    // The winner's socket is the one at the name: it answers.
    const Endpoint ep = endpoint_for(hs, holder_pid, root.naming());
    if (winners == 1) {
      EXPECT_EQ(dial_once(ep.path, 1s).outcome, DialOutcome::ok);
    }
  }
  EXPECT_EQ(double_wins, 0) << "of " << round << " rounds, two listeners both succeeded";
  EXPECT_EQ(no_wins, 0) << "of " << round << " rounds, every contender failed";
}

// One thread listens and closes on a name whose PID is dead (so discovery may reclaim it once
// stale) while others run discovery with reclaim: a listening socket is never deleted.
TEST(ListenRacePosix, ReclaimersNeverDeleteALiveListener) {
  ScratchRoot root;
  const Handshake hs = test_support::unique_handshake();
  const ProcessId dead = test_support::dead_pid();
  std::atomic<bool> done{false};
  std::vector<std::jthread> reclaimers;
  for (int r = 0; r < 3; ++r) {
    reclaimers.emplace_back([&] {
      while (!done) (void)discover(hs, root.discovery(/*reclaim_stale=*/true));
    });
  }
  int listen_failures = 0, deleted_live = 0;
  std::string first_failure;
  const auto until = test_support::Clock::now() + 3s;
  int cycles = 0;
  while (test_support::Clock::now() < until || cycles < 200) {
    ++cycles;
    try {
      Listener listener(hs, root.listen(4, dead));
      // The reclaimers' probes may fill the backlog (nobody accepts): busy is live too.
      struct stat st {};
      const DialOutcome outcome = dial_once(listener.endpoint().path, 1s).outcome;
      if (::lstat(listener.endpoint().path.c_str(), &st) != 0 ||
          (outcome != DialOutcome::ok && outcome != DialOutcome::busy)) {
        ++deleted_live;
      }
    } catch (const Error& e) {
      if (listen_failures++ == 0) first_failure = e.what();
    }
    if (cycles > 5000) break;
  }
  done = true;
  reclaimers.clear();
  EXPECT_EQ(listen_failures, 0) << "of " << cycles << "; first: " << first_failure;
  EXPECT_EQ(deleted_live, 0) << "live listeners whose socket was gone, of " << cycles;
}

// LSN-6 names the PID that holds the address: the kernel's, not the one in the endpoint name.
TEST(ListenRacePosix, AddressInUseNamesTheProcessHoldingTheSocket) {
  ScratchRoot root;
  const Handshake hs = test_support::unique_handshake();
  const ProcessId named = ::getppid();
  Listener holder(hs, root.listen(4, named));
  try {
    Listener second(hs, root.listen(4, named));
    FAIL() << "a second listener on a live name succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::address_in_use);
    EXPECT_EQ(e.holder_pid(), current_pid()) << e.what();
    EXPECT_NE(std::string(e.what()).find("PID " + std::to_string(current_pid())), std::string::npos)
        << e.what();
  }
}

// A refused connect alone is no proof of staleness: with the named PID alive, a socket file
// nobody listens on (another implementation between its bind and listen) is left alone.
TEST(ListenRacePosix, RefusedSocketOfALivePidIsNotReclaimed) {
  ScratchRoot root;
  const Handshake hs = test_support::unique_handshake();
  const ProcessId named = ::getppid();
  { Listener make_directory(hs, root.listen(1, test_support::dead_pid())); }
  const Endpoint ep = endpoint_for(hs, named, root.naming());
  test_support::make_unlistened_socket_file(ep.path);
  struct stat before {};
  ASSERT_EQ(::lstat(ep.path.c_str(), &before), 0);
  try {
    Listener listener(hs, root.listen(1, named));
    FAIL() << "listened over the socket file of a live PID";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::address_in_use) << e.what();
  }
  struct stat after {};
  ASSERT_EQ(::lstat(ep.path.c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);
}

// A stale socket under our own PID (a previous process of this PID died) is reclaimed.
TEST(ListenRacePosix, RefusedSocketUnderOurOwnPidIsReclaimed) {
  ScratchRoot root;
  const Handshake hs = test_support::unique_handshake();
  { Listener make_directory(hs, root.listen(1, test_support::dead_pid())); }
  const Endpoint ep = endpoint_for(hs, current_pid(), root.naming());
  test_support::make_unlistened_socket_file(ep.path);
  Listener listener(hs, root.listen(1));
  EXPECT_EQ(dial_once(ep.path, 1s).outcome, DialOutcome::ok);
}

// Publishing leaves nothing behind in the directory but the endpoint itself.
TEST(ListenRacePosix, PublishingLeavesOnlyTheEndpointInTheDirectory) {
  ScratchRoot root;
  const Handshake hs = test_support::unique_handshake();
  Listener listener(hs, root.listen(4));
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(listener.endpoint().directory))
    names.push_back(entry.path().filename().string());
  ASSERT_EQ(names.size(), 1u);
  EXPECT_EQ(names.front(), listener.endpoint().name);
}

}  // namespace
}  // namespace pipecheck

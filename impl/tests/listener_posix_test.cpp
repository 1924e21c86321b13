// Listener on real AF_UNIX sockets: accept from many threads, close semantics, descriptor hygiene,
// stale reclaim and address-in-use (LSN-1..7, LSN-12).
#include <gtest/gtest.h>

#include <algorithm>
#include <barrier>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "pipecheck/dial.hpp"
#include "pipecheck/error.hpp"
#include "pipecheck/identity.hpp"
#include "pipecheck/listener.hpp"
#include "posix_test_support.hpp"

namespace pipecheck {
namespace {

using namespace std::chrono_literals;
using test_support::Clock;
using test_support::ScratchRoot;

TEST(ListenerPosix, CreatesEndpointWhereNamingSays) {
  ScratchRoot root;
  Handshake hs = test_support::unique_handshake();
  Listener lsn(hs, root.listen());
  const Endpoint expected = endpoint_for(hs, current_pid(), root.naming());
  EXPECT_EQ(lsn.endpoint().path, expected.path);
  EXPECT_EQ(lsn.endpoint().name, expected.name);
  EXPECT_EQ(lsn.endpoint().pid, current_pid());
  struct stat st {};
  ASSERT_EQ(::lstat(expected.path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_FALSE(lsn.closed());
}

TEST(ListenerPosix, EachConnectionGoesToExactlyOneOfManyAcceptingThreads) {
  ScratchRoot root;
  Listener lsn(test_support::unique_handshake(), root.listen(64));
  constexpr int kThreads = 8;
  constexpr int kClients = 40;
  std::mutex mutex;
  std::condition_variable progressed;
  std::multiset<std::string> received;
  std::vector<std::jthread> accepters;
  for (int t = 0; t < kThreads; ++t) {
    accepters.emplace_back([&] {
      while (true) {
        AcceptResult a = lsn.accept();
        if (a.status == AcceptStatus::closed) return;
        if (a.status != AcceptStatus::accepted) continue;
        auto line = a.connection->read_line(2s);
        std::lock_guard lock(mutex);
        received.insert(line.value_or("<none>"));
        progressed.notify_all();
      }
    });
  }
  for (int i = 0; i < kClients; ++i) {
    DialResult r = dial_with_retry(lsn.endpoint().path, test_support::retry_until(2s));
    ASSERT_EQ(r.outcome, DialOutcome::ok) << r.detail;
    r.connection->write_all("client " + std::to_string(i) + "\n");
  }
  {
    std::unique_lock lock(mutex);
    progressed.wait_for(lock, 5s, [&] { return received.size() == kClients; });
  }
  lsn.close();
  accepters.clear();
  std::lock_guard lock(mutex);
  ASSERT_EQ(received.size(), static_cast<std::size_t>(kClients));
  for (int i = 0; i < kClients; ++i) {
    EXPECT_EQ(received.count("client " + std::to_string(i)), 1u) << "client " << i;
  }
}

TEST(ListenerPosix, CloseReleasesEveryPendingAcceptWithin100ms) {
  ScratchRoot root;
  Listener lsn(test_support::unique_handshake(), root.listen(4));
  constexpr int kAccepters = 32;
  std::barrier ready(kAccepters + 1);
  std::vector<std::future<std::pair<AcceptStatus, Clock::time_point>>> pending;
  for (int i = 0; i < kAccepters; ++i) {
    pending.push_back(std::async(std::launch::async, [&] {
      ready.arrive_and_wait();
      AcceptResult a = lsn.accept();
      return std::make_pair(a.status, Clock::now());
    }));
  }
  ready.arrive_and_wait();
  // Every thread has passed the barrier; give them a moment to enter poll() (not a condition
  // wait: close() must work whether or not they are already blocked).
  std::this_thread::sleep_for(50ms);
  // Under an emulated CPU (the qemu-user legs set PIPECHECK_EMULATOR) wall-clock time measures
  // the emulator, not the listener: every accept must still be released, the 100 ms is not held.
  const char* emulator = std::getenv("PIPECHECK_EMULATOR");
  const auto closed_at = Clock::now();
  lsn.close();
  for (int i = 0; i < kAccepters; ++i) {
    ASSERT_EQ(pending[i].wait_for(1s), std::future_status::ready) << "accept #" << i << " hangs";
    auto [status, returned_at] = pending[i].get();
    EXPECT_EQ(status, AcceptStatus::closed) << "accept #" << i;
    if (!emulator) {
      EXPECT_LT(returned_at - closed_at, 100ms) << "accept #" << i << " (LSN-4)";
    }
  }
  EXPECT_TRUE(lsn.closed());
  EXPECT_EQ(lsn.accept().status, AcceptStatus::closed) << "accept after close";
  if (emulator) {
    GTEST_SKIP() << "LSN-4's 100 ms bound not asserted under " << emulator
                 << " (an emulated CPU's wall clock); every accept was released";
  }
}

TEST(ListenerPosix, ConcurrentCloseFromManyThreadsTearsDownOnce) {
  ScratchRoot root;
  Listener lsn(test_support::unique_handshake(), root.listen());
  const std::string path = lsn.endpoint().path;
  const int fds_before_close = test_support::count_open_fds();
  auto waiting = std::async(std::launch::async, [&] { return lsn.accept().status; });
  constexpr int kClosers = 16;
  std::barrier start(kClosers);
  std::vector<std::jthread> closers;
  for (int i = 0; i < kClosers; ++i) {
    closers.emplace_back([&] {
      start.arrive_and_wait();
      lsn.close();
      EXPECT_TRUE(lsn.closed());
    });
  }
  closers.clear();
  lsn.close();  // and once more, afterwards
  ASSERT_EQ(waiting.wait_for(1s), std::future_status::ready);
  EXPECT_EQ(waiting.get(), AcceptStatus::closed);
  EXPECT_FALSE(test_support::path_exists(path));
  // listening socket, wake pipe (2) and directory: four descriptors gone, no more, no less.
  EXPECT_EQ(test_support::count_open_fds(), fds_before_close - 4);
}

TEST(ListenerPosix, ThousandListenCloseCyclesLeakNoDescriptor) {
  ScratchRoot root;
  Handshake hs = test_support::unique_handshake();
  { Listener warm_up(hs, root.listen()); }
  const int before = test_support::count_open_fds();
  for (int i = 0; i < 1000; ++i) {
    Listener lsn(hs, root.listen(8));
    if (i % 100 == 0) {
      DialResult r = dial_once(lsn.endpoint().path, 1s);
      ASSERT_EQ(r.outcome, DialOutcome::ok) << "cycle " << i << ": " << r.detail;
      ASSERT_EQ(lsn.accept().status, AcceptStatus::accepted);
    }
    lsn.close();
    ASSERT_FALSE(test_support::path_exists(lsn.endpoint().path)) << "cycle " << i;
  }
  EXPECT_EQ(test_support::count_open_fds(), before);
}

TEST(ListenerPosix, SameNameCanBeListenedOnAgainAtOnce) {
  ScratchRoot root;
  Handshake hs = test_support::unique_handshake();
  Listener first(hs, root.listen());
  first.close();
  Listener second(hs, root.listen());
  EXPECT_EQ(dial_once(second.endpoint().path, 1s).outcome, DialOutcome::ok);
}

TEST(ListenerPosix, CloseLeavesAFileThatReplacedOurSocket) {
  ScratchRoot root;
  Listener lsn(test_support::unique_handshake(), root.listen());
  const std::string path = lsn.endpoint().path;
  ASSERT_EQ(::unlink(path.c_str()), 0);
  std::ofstream(path) << "someone else's file\n";
  lsn.close();
  EXPECT_TRUE(test_support::path_exists(path)) << "LSN-5: not the inode the listener created";
}

TEST(ListenerPosix, ClientThatLeavesAtOnceIsNotAnError) {
  ScratchRoot root;
  Listener lsn(test_support::unique_handshake(), root.listen(4));
  DialResult r = dial_once(lsn.endpoint().path, 1s);
  ASSERT_EQ(r.outcome, DialOutcome::ok);
  r.connection->close();
  AcceptResult a = lsn.accept();
  ASSERT_EQ(a.status, AcceptStatus::accepted) << a.detail;
  EXPECT_TRUE(a.connection->wait_peer_closed(1s));
}

TEST(ListenerPosix, ReclaimsOurStaleSocketWithDeadPid) {
  ScratchRoot root;
  Handshake hs = test_support::unique_handshake();
  const ProcessId dead = test_support::dead_pid();
  const Endpoint ep = endpoint_for(hs, dead, root.naming());
  { Listener create_directory(hs, root.listen()); }
  test_support::make_unlistened_socket_file(ep.path);
  ASSERT_EQ(dial_once(ep.path, 1s).outcome, DialOutcome::refused);

  Listener lsn(hs, root.listen(1, dead));
  EXPECT_EQ(lsn.endpoint().path, ep.path);
  EXPECT_EQ(dial_once(ep.path, 1s).outcome, DialOutcome::ok);
}

TEST(ListenerPosix, LiveListenerHoldingTheNameIsAddressInUseNamingThePid) {
  ScratchRoot root;
  Handshake hs = test_support::unique_handshake();
  Listener holder(hs, root.listen());
  try {
    Listener second(hs, root.listen());
    FAIL() << "a second listener took a live endpoint";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::address_in_use);
    EXPECT_EQ(e.holder_pid(), current_pid());
    EXPECT_NE(std::string(e.what()).find("PID " + std::to_string(current_pid())), std::string::npos)
        << e.what();
  }
  // The holder is untouched.
  EXPECT_EQ(dial_once(holder.endpoint().path, 1s).outcome, DialOutcome::ok);
}

TEST(ListenerPosix, ListenerWithDeadPidNameButAliveIsNotReclaimed) {
  ScratchRoot root;
  Handshake hs = test_support::unique_handshake();
  const ProcessId dead = test_support::dead_pid();
  Listener holder(hs, root.listen(1, dead));
  EXPECT_THROW(Listener(hs, root.listen(1, dead)), Error);
  EXPECT_EQ(dial_once(holder.endpoint().path, 1s).outcome, DialOutcome::ok);
}

TEST(ListenerPosix, RegularFileAtThePathIsAddressInUseAndLeftAlone) {
  ScratchRoot root;
  Handshake hs = test_support::unique_handshake();
  const ProcessId dead = test_support::dead_pid();
  const Endpoint ep = endpoint_for(hs, dead, root.naming());
  { Listener create_directory(hs, root.listen()); }
  std::ofstream(ep.path) << "not a socket\n";
  try {
    Listener lsn(hs, root.listen(1, dead));
    FAIL() << "listened over a regular file";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::address_in_use);
    EXPECT_NE(std::string(e.what()).find("regular file"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(test_support::path_exists(ep.path));
}

TEST(ListenerPosix, MovedListenerKeepsServing) {
  ScratchRoot root;
  Listener original(test_support::unique_handshake(), root.listen());
  Listener moved = std::move(original);
  EXPECT_EQ(original.accept().status, AcceptStatus::closed);
  original.close();  // a moved-from listener closes nothing
  DialResult r = dial_once(moved.endpoint().path, 1s);
  ASSERT_EQ(r.outcome, DialOutcome::ok) << r.detail;
  EXPECT_EQ(moved.accept().status, AcceptStatus::accepted);
}

}  // namespace
}  // namespace pipecheck

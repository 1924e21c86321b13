// dial_once / dial_with_retry against real AF_UNIX endpoints (DIAL-1, DIAL-2, DIAL-5, DIAL-6,
// LSN-9).
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "pipecheck/dial.hpp"
#include "pipecheck/listener.hpp"
#include "posix_test_support.hpp"

namespace pipecheck {
namespace {

using namespace std::chrono_literals;
using test_support::Clock;
using test_support::ScratchRoot;

TEST(DialPosix, NothingAtThePathIsAbsent) {
  ScratchRoot root;
  DialResult r = dial_once(root.path() + "/nobody-home", 1s);
  EXPECT_EQ(r.outcome, DialOutcome::absent) << r.detail;
  EXPECT_EQ(r.system_error, ENOENT);
  EXPECT_NE(r.detail.find("connect"), std::string::npos) << r.detail;
  EXPECT_FALSE(r.connection.has_value());
  EXPECT_EQ(r.attempts, 1);
}

TEST(DialPosix, SocketFileWithoutListenerIsRefused) {
  ScratchRoot root;
  const std::string path = root.path() + "/bound-not-listening";
  test_support::make_unlistened_socket_file(path);
  DialResult r = dial_once(path, 1s);
  EXPECT_EQ(r.outcome, DialOutcome::refused) << r.detail;
  EXPECT_EQ(r.system_error, ECONNREFUSED);
}

TEST(DialPosix, ClosedListenerLeavesNothingToDial) {
  ScratchRoot root;
  Listener lsn(test_support::unique_handshake(), root.listen(1));
  const std::string path = lsn.endpoint().path;
  lsn.close();
  EXPECT_EQ(dial_once(path, 1s).outcome, DialOutcome::absent);
}

TEST(DialPosix, OverlongPathIsOtherWithClearDetail) {
  DialResult r = dial_once("/tmp/" + std::string(200, 'x'), 1s);
  EXPECT_EQ(r.outcome, DialOutcome::other);
  EXPECT_NE(r.detail.find("205 bytes"), std::string::npos) << r.detail;
}

TEST(DialPosix, OkGivesABlockingConnectionToOurListener) {
  ScratchRoot root;
  Listener lsn(test_support::unique_handshake(), root.listen(1));
  DialResult r = dial_once(lsn.endpoint().path, 1s);
  ASSERT_EQ(r.outcome, DialOutcome::ok) << r.detail;
  EXPECT_EQ(r.system_error, 0);
  EXPECT_EQ(r.connection->peer_user(), std::to_string(::geteuid()));
  AcceptResult a = lsn.accept();
  ASSERT_EQ(a.status, AcceptStatus::accepted) << a.detail;
  a.connection->write_all("hi\n");
  EXPECT_EQ(r.connection->read_line(1s), "hi");
}

// LSN-9 on Linux: with nobody accepting, backlog N admits exactly N + 1, then `busy` at once.
class DialBusy : public ::testing::TestWithParam<int> {};

TEST_P(DialBusy, FullBacklogIsBusyAfterExactlyEffectivePlusOne) {
#if !defined(__linux__)
  GTEST_SKIP() << "LSN-9's N+1 count and EAGAIN are Linux AF_UNIX behaviour";
#endif
  ScratchRoot root;
  const int queue_size = GetParam();
  const int admitted = std::max(queue_size, 1) + 1;
  Listener lsn(test_support::unique_handshake(), root.listen(queue_size));
  std::vector<Connection> held;
  for (int i = 0; i < admitted; ++i) {
    DialResult r = dial_once(lsn.endpoint().path, 1s);
    ASSERT_EQ(r.outcome, DialOutcome::ok) << "connect #" << i + 1 << ": " << r.detail;
    held.push_back(std::move(*r.connection));
  }
  const auto start = Clock::now();
  DialResult r = dial_once(lsn.endpoint().path, 1s);
  EXPECT_EQ(r.outcome, DialOutcome::busy) << r.detail;
  EXPECT_EQ(r.system_error, EAGAIN);
  EXPECT_LT(Clock::now() - start, 100ms) << "a full backlog answers at once";
}

INSTANTIATE_TEST_SUITE_P(QueueSizes, DialBusy, ::testing::Values(0, 1, 4));

TEST(DialPosix, RetryOnFullBacklogGivesUpAtTheDeadlineWithLastOutcome) {
  ScratchRoot root;
  Listener lsn(test_support::unique_handshake(), root.listen(1));
  std::vector<Connection> held;
  while (true) {
    DialResult r = dial_once(lsn.endpoint().path, 1s);
    if (r.outcome != DialOutcome::ok) {
      ASSERT_EQ(r.outcome, DialOutcome::busy) << r.detail;
      break;
    }
    held.push_back(std::move(*r.connection));
    ASSERT_LT(held.size(), 100u) << "backlog never filled";
  }
  const auto start = Clock::now();
  DialResult r = dial_with_retry(lsn.endpoint().path, test_support::retry_until(100ms));
  const auto elapsed = Clock::now() - start;
  EXPECT_EQ(r.outcome, DialOutcome::busy) << r.detail;
  EXPECT_GE(elapsed, 100ms);
  EXPECT_LT(elapsed, 100ms + 100ms) << "DIAL-6: bounded by the deadline";
  // 100us doubling to 10 ms: at least ~8 attempts fit in 100 ms, and never a tight spin.
  EXPECT_GE(r.attempts, 5);
  EXPECT_LE(r.attempts, 40);
}

TEST(DialPosix, RetryDoesNotRetryAbsentOrRefused) {
  ScratchRoot root;
  const std::string refused_path = root.path() + "/refusing";
  test_support::make_unlistened_socket_file(refused_path);
  DialResult refused = dial_with_retry(refused_path, test_support::retry_until(1s));
  DialResult absent = dial_with_retry(root.path() + "/absent", test_support::retry_until(1s));
#if defined(__linux__)
  EXPECT_EQ(refused.outcome, DialOutcome::refused);
  EXPECT_EQ(refused.attempts, 1);
#endif
  EXPECT_EQ(absent.outcome, DialOutcome::absent);
  EXPECT_EQ(absent.attempts, 1);
}

TEST(DialPosix, RetrySucceedsOnceAnAccepterDrainsTheBacklog) {
  ScratchRoot root;
  Listener lsn(test_support::unique_handshake(), root.listen(1));
  std::vector<Connection> held;
  while (true) {
    DialResult r = dial_once(lsn.endpoint().path, 1s);
    if (r.outcome != DialOutcome::ok) break;
    held.push_back(std::move(*r.connection));
    ASSERT_LT(held.size(), 100u);
  }
  ASSERT_EQ(dial_once(lsn.endpoint().path, 1s).outcome, DialOutcome::busy);

  // The accepter keeps the backlog full for a deliberate 200 ms window, then drains it, so the
  // retrying dialer meets `busy` first and `ok` later.
  auto drainer = std::async(std::launch::async, [&] {
    std::this_thread::sleep_for(200ms);
    int accepted = 0;
    for (std::size_t i = 0; i < held.size() + 1; ++i) {
      if (lsn.accept().status == AcceptStatus::accepted) ++accepted;
    }
    return accepted;
  });
  const auto start = Clock::now();
  DialResult r = dial_with_retry(lsn.endpoint().path, test_support::retry_until(5s));
  const auto elapsed = Clock::now() - start;
  if (r.outcome != DialOutcome::ok) lsn.close();  // so the drainer's last accept returns
  EXPECT_EQ(r.outcome, DialOutcome::ok) << r.detail;
  EXPECT_GE(r.attempts, 2);
  EXPECT_LT(elapsed, 5s);
  EXPECT_EQ(drainer.get(), static_cast<int>(held.size()) + 1);
}

TEST(DialPosix, DialRacingCloseGetsAClassifiedOutcomeWithinItsTimeout) {
  ScratchRoot root;
  for (int round = 0; round < 20; ++round) {
    Listener lsn(test_support::unique_handshake(), root.listen(4));
    const std::string path = lsn.endpoint().path;
    auto closer = std::async(std::launch::async, [&] { lsn.close(); });
    for (int i = 0; i < 20; ++i) {
      const auto start = Clock::now();
      DialResult r = dial_once(path, 200ms);
      EXPECT_LT(Clock::now() - start, 200ms + 100ms) << "DIAL-6";
      EXPECT_TRUE(r.outcome == DialOutcome::ok || r.outcome == DialOutcome::refused ||
                  r.outcome == DialOutcome::absent || r.outcome == DialOutcome::busy)
          << "round " << round << ": " << to_string(r.outcome) << " " << r.detail;
      if (r.outcome == DialOutcome::ok) {
        // Never accepted: the listener goes away, and the client sees end of stream.
        closer.wait();
        EXPECT_TRUE(r.connection->wait_peer_closed(1s)) << "round " << round;
      }
    }
    closer.get();
  }
}

}  // namespace
}  // namespace pipecheck

// Connection on real AF_UNIX socket pairs: bounded line reads, end of stream, peer credentials.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "pipecheck/error.hpp"
#include "posix_connection.hpp"
#include "posix_test_support.hpp"

namespace pipecheck {
namespace {

using namespace std::chrono_literals;
using test_support::Clock;

struct Pair {
  Connection ours;
  detail::UniqueFd theirs;  // the raw other end, driven by the test
};

Pair make_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    throw std::runtime_error("socketpair failed");
  }
  return {detail::make_connection(detail::UniqueFd(fds[0])), detail::UniqueFd(fds[1])};
}

void send_raw(int fd, std::string_view bytes) {
  ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
}

TEST(ConnectionPosix, ReadsLinesOneAtATimeFromOneChunk) {
  Pair p = make_pair();
  send_raw(p.theirs.get(), "first\nsecond\nthi");
  EXPECT_EQ(p.ours.read_line(1s), "first");
  EXPECT_EQ(p.ours.read_line(1s), "second");
  send_raw(p.theirs.get(), "rd\n");
  EXPECT_EQ(p.ours.read_line(1s), "third");
}

TEST(ConnectionPosix, ReadLineTimesOutWithinBound) {
  Pair p = make_pair();
  send_raw(p.theirs.get(), "no newline yet");
  const auto start = Clock::now();
  EXPECT_EQ(p.ours.read_line(150ms), std::nullopt);
  const auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, 150ms);
  EXPECT_LT(elapsed, 150ms + 500ms);
}

TEST(ConnectionPosix, ReadLineRefusesOverlongLine) {
  Pair p = make_pair();
  send_raw(p.theirs.get(), std::string(20, 'x') + "\n");
  EXPECT_EQ(p.ours.read_line(1s, 10), std::nullopt);

  Pair q = make_pair();
  send_raw(q.theirs.get(), std::string(10, 'y') + "\n");
  EXPECT_EQ(q.ours.read_line(1s, 10), std::string(10, 'y'));  // exactly max_bytes is fine
}

TEST(ConnectionPosix, ReadLineReturnsNulloptAtEndOfStreamPromptly) {
  Pair p = make_pair();
  send_raw(p.theirs.get(), "partial");
  p.theirs.reset();
  const auto start = Clock::now();
  EXPECT_EQ(p.ours.read_line(5s), std::nullopt);
  EXPECT_LT(Clock::now() - start, 1s);
}

TEST(ConnectionPosix, WaitPeerClosedSeesCloseAndKeepsData) {
  Pair p = make_pair();
  EXPECT_FALSE(p.ours.wait_peer_closed(50ms));
  send_raw(p.theirs.get(), "last words\n");
  p.theirs.reset();
  EXPECT_TRUE(p.ours.wait_peer_closed(1s));
  EXPECT_EQ(p.ours.read_line(1s), "last words");
}

TEST(ConnectionPosix, WriteAllDeliversEverythingAndFailsCleanlyWithoutPeer) {
  Pair p = make_pair();
  p.ours.write_all("hello\n");
  char buffer[16] = {};
  ASSERT_EQ(::read(p.theirs.get(), buffer, sizeof buffer), 6);
  EXPECT_EQ(std::string(buffer, 6), "hello\n");

  p.theirs.reset();
  // MSG_NOSIGNAL: no SIGPIPE kills the test; the failure is an Error naming the call.
  try {
    p.ours.write_all("anyone?\n");
    FAIL() << "write_all to a closed peer did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::system_error);
    EXPECT_NE(std::string(e.what()).find("send"), std::string::npos) << e.what();
  }
}

TEST(ConnectionPosix, PeerUserIsTheEffectiveUid) {
  Pair p = make_pair();
  EXPECT_EQ(p.ours.peer_user(), std::to_string(::geteuid()));
}

TEST(ConnectionPosix, ClosedConnectionIsInertAndPeerSeesEndOfStream) {
  Pair p = make_pair();
  p.ours.close();
  p.ours.close();  // idempotent
  EXPECT_EQ(p.ours.read_line(10ms), std::nullopt);
  EXPECT_EQ(p.ours.peer_user(), std::nullopt);
  EXPECT_THROW(p.ours.write_all("x"), Error);
  char byte = 0;
  EXPECT_EQ(::read(p.theirs.get(), &byte, 1), 0);
}

TEST(ConnectionPosix, MoveTransfersOwnership) {
  Pair p = make_pair();
  Connection moved = std::move(p.ours);
  send_raw(p.theirs.get(), "via move\n");
  EXPECT_EQ(moved.read_line(1s), "via move");
}

}  // namespace
}  // namespace pipecheck

// LSN-11 under Windows/Wine: one rapid non-retrying dialer against the legacy geometry and a
// backlog of 4, one accept worker each. The outcome counts are measured and recorded (test
// properties + stdout), not asserted; only outcomes other than ok/busy/absent fail the test.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <thread>

#include "pipecheck/dial.hpp"
#include "pipecheck/listener.hpp"
#include "windows_test_support.hpp"

namespace pipecheck {
namespace {

using namespace pipecheck::test_support;

constexpr int kAttempts = 2000;

std::map<DialOutcome, int> rapid_dialer_against(int queue_size) {
  ScratchRoot root;
  Listener lsn(unique_handshake(), root.listen(queue_size));
  std::thread worker([&] {
    while (lsn.accept().status != AcceptStatus::closed) {
    }  // each accepted connection is closed at once
  });
  std::map<DialOutcome, int> counts;
  for (int i = 0; i < kAttempts; ++i) ++counts[dial_once(lsn.endpoint().path, 100ms).outcome];
  lsn.close();
  worker.join();
  return counts;
}

void report(const char* geometry, std::map<DialOutcome, int> counts) {
  const int ok = counts[DialOutcome::ok];
  const int busy = counts[DialOutcome::busy];
  const int absent = counts[DialOutcome::absent];
  ::testing::Test::RecordProperty("ok", ok);
  ::testing::Test::RecordProperty("busy", busy);
  ::testing::Test::RecordProperty("absent", absent);
  std::printf("%s, one rapid dialer, %d attempts: ok %d, busy %d, absent %d\n", geometry, kAttempts,
              ok, busy, absent);
  EXPECT_EQ(ok + busy + absent, kAttempts) << "outcomes other than ok/busy/absent occurred";
  EXPECT_GT(ok, 0);
}

TEST(WindowsGeometry, LegacyListenerVsRapidDialerIsMeasured) {
  report("legacy (queue 1)", rapid_dialer_against(1));
}

TEST(WindowsGeometry, Backlog4VsRapidDialerIsMeasured) {
  report("backlog (queue 4)", rapid_dialer_against(4));
}

}  // namespace
}  // namespace pipecheck

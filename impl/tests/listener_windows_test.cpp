// The Windows listener against real pipes (LSN-1..4, LSN-7, LSN-9, LSN-12, SEC-4, SEC-6, DIAL-4).
#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <thread>
#include <vector>

#include "pipecheck/connection.hpp"
#include "pipecheck/dial.hpp"
#include "pipecheck/error.hpp"
#include "pipecheck/identity.hpp"
#include "pipecheck/listener.hpp"
#include "pipecheck/wire_handshake.hpp"
#include "windows_test_support.hpp"

namespace pipecheck {
namespace {

using namespace pipecheck::test_support;

// LSN-9, DIAL-4: the legacy listener has one instance; while a client holds it, the next
// CreateFile gets ERROR_PIPE_BUSY. Once the listener is closed the name is gone.
TEST(WindowsListener, LegacySecondClientIsBusyAndAbsentAfterClose) {
  ScratchRoot root;
  const Handshake hs = unique_handshake();
  Listener lsn(hs, root.listen(1));
  const std::string path = lsn.endpoint().path;
  EXPECT_EQ(path, "\\\\.\\pipe\\" + lsn.endpoint().name);

  DialResult first = dial_once(path, 1s);
  ASSERT_EQ(first.outcome, DialOutcome::ok) << first.detail;
  DialResult second = dial_once(path, 1s);
  EXPECT_EQ(second.outcome, DialOutcome::busy) << second.detail;
  EXPECT_EQ(second.system_error, ERROR_PIPE_BUSY);
  EXPECT_EQ(second.attempts, 1);

  lsn.close();
  DialResult after = dial_once(path, 1s);
  EXPECT_EQ(after.outcome, DialOutcome::absent) << after.detail;
  EXPECT_EQ(after.system_error, ERROR_FILE_NOT_FOUND);
}

// LSN-1, LSN-9: queue N keeps N instances ready: N clients connect with no accept in progress,
// client N+1 is busy; one accept() frees a slot that is re-armed at once.
TEST(WindowsListener, BacklogAdmitsExactlyQueueSizeWithoutAccept) {
  for (int queue : {2, 4, 8}) {
    SCOPED_TRACE("queue_size " + std::to_string(queue));
    ScratchRoot root;
    Listener lsn(unique_handshake(), root.listen(queue));
    std::vector<Connection> clients;
    for (int i = 0; i < queue; ++i) {
      DialResult d = dial_once(lsn.endpoint().path, 1s);
      ASSERT_EQ(d.outcome, DialOutcome::ok) << "client " << i << ": " << d.detail;
      clients.push_back(std::move(*d.connection));
    }
    DialResult extra = dial_once(lsn.endpoint().path, 1s);
    EXPECT_EQ(extra.outcome, DialOutcome::busy) << extra.detail;
    EXPECT_EQ(extra.system_error, ERROR_PIPE_BUSY);

    AcceptResult a = lsn.accept();
    ASSERT_EQ(a.status, AcceptStatus::accepted) << a.detail;
    DialResult refilled = dial_once(lsn.endpoint().path, 1s);
    EXPECT_EQ(refilled.outcome, DialOutcome::ok) << refilled.detail;
  }
}

TEST(WindowsListener, QueueOverTheWaitLimitIsAClearError) {
  ScratchRoot root;
  try {
    Listener lsn(unique_handshake(), root.listen(64));
    FAIL() << "queue_size 64 was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::invalid_field);
    EXPECT_EQ(e.field(), "queue_size");
    EXPECT_NE(std::string(e.what()).find("queue_size"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("63"), std::string::npos) << e.what();
  }
}

// LSN-2, SEC-4: concurrent accept() callers each get distinct connections, and each side sees
// the other as our user (the SID of the process token).
TEST(WindowsListener, ConcurrentAcceptorsEachGetOneConnectionOfOurUser) {
  constexpr int kClients = 8;
  ScratchRoot root;
  const Handshake hs = unique_handshake();
  Listener lsn(hs, root.listen(4));
  std::vector<std::future<AcceptResult>> acceptors;
  for (int i = 0; i < kClients; ++i) {
    acceptors.push_back(std::async(std::launch::async, [&] { return lsn.accept(); }));
  }
  std::vector<Connection> clients;
  for (int i = 0; i < kClients; ++i) {
    DialResult d = dial_with_retry(lsn.endpoint().path, {});
    ASSERT_EQ(d.outcome, DialOutcome::ok) << d.detail;
    EXPECT_EQ(d.connection->peer_user(), current_user());
    d.connection->write_all("client " + std::to_string(i) + "\n");
    clients.push_back(std::move(*d.connection));
  }
  std::vector<std::string> greetings;
  for (auto& f : acceptors) {
    ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
    AcceptResult a = f.get();
    ASSERT_EQ(a.status, AcceptStatus::accepted) << a.detail;
    EXPECT_EQ(a.connection->peer_user(), current_user());
    auto line = a.connection->read_line(2s);
    ASSERT_TRUE(line.has_value());
    greetings.push_back(*line);
  }
  std::sort(greetings.begin(), greetings.end());
  EXPECT_EQ(std::unique(greetings.begin(), greetings.end()), greetings.end());
  EXPECT_EQ(greetings.size(), static_cast<std::size_t>(kClients));
  EXPECT_EQ(current_user().rfind("S-1-", 0), 0u) << current_user();
}

// LSN-4: every pending accept() returns `closed` within 100 ms of close(). Under Wine every wait
// goes through wineserver, and a preempted process misses 100 ms on a loaded machine: the bound
// must hold in one of three rounds (a listener that is slow by design misses it in all three), and
// every round must release every acceptor.
TEST(WindowsListener, CloseUnblocksEveryPendingAcceptWithin100ms) {
  constexpr int kAcceptors = 8;
  constexpr int kRounds = 3;
  for (int queue : {1, 4}) {
    SCOPED_TRACE("queue_size " + std::to_string(queue));
    std::vector<Clock::duration> slowest;
    for (int round = 0; round < kRounds && (slowest.empty() || slowest.back() > 100ms); ++round) {
      ScratchRoot root;
      Listener lsn(unique_handshake(), root.listen(queue));
      StartGate started(kAcceptors + 1);
      std::vector<std::future<std::pair<AcceptStatus, Clock::time_point>>> acceptors;
      for (int i = 0; i < kAcceptors; ++i) {
        acceptors.push_back(std::async(std::launch::async, [&] {
          started.arrive_and_wait();
          AcceptResult a = lsn.accept();
          return std::make_pair(a.status, Clock::now());
        }));
      }
      started.arrive_and_wait();
      // Lets the acceptors reach their wait; the bound below holds whether or not they did.
      std::this_thread::sleep_for(50ms);
      const auto closed_at = Clock::now();
      lsn.close();
      Clock::duration round_slowest{};
      for (auto& f : acceptors) {
        ASSERT_EQ(f.wait_for(2s), std::future_status::ready)
            << "accept() still blocked after close()";
        auto [status, returned_at] = f.get();
        EXPECT_EQ(status, AcceptStatus::closed);
        round_slowest = std::max(round_slowest, returned_at - closed_at);
      }
      slowest.push_back(round_slowest);
      EXPECT_TRUE(lsn.closed());
      EXPECT_EQ(lsn.accept().status, AcceptStatus::closed);
    }
    EXPECT_LE(*std::min_element(slowest.begin(), slowest.end()), 100ms)
        << "the last accept returned over 100 ms after close() in all " << slowest.size()
        << " rounds";
  }
}

// LSN-3, LSN-7: close() from 16 threads at once tears down once, unblocks the acceptors, and the
// same name can be listened on again at once.
TEST(WindowsListener, ConcurrentCloseFrom16ThreadsThenListenAgain) {
  ScratchRoot root;
  const Handshake hs = unique_handshake();
  ListenOptions options = root.listen(4);
  auto lsn = std::make_unique<Listener>(hs, options);
  std::vector<std::future<AcceptStatus>> acceptors;
  for (int i = 0; i < 4; ++i) {
    acceptors.push_back(std::async(std::launch::async, [&] { return lsn->accept().status; }));
  }
  StartGate go(16);
  std::vector<std::thread> closers;
  for (int i = 0; i < 16; ++i) {
    closers.emplace_back([&] {
      go.arrive_and_wait();
      lsn->close();
      EXPECT_TRUE(lsn->closed());
    });
  }
  for (auto& t : closers) t.join();
  for (auto& f : acceptors) {
    ASSERT_EQ(f.wait_for(2s), std::future_status::ready);
    EXPECT_EQ(f.get(), AcceptStatus::closed);
  }
  EXPECT_EQ(dial_once(lsn->endpoint().path, 1s).outcome, DialOutcome::absent);
  Listener again(hs, options);
  EXPECT_EQ(again.endpoint().path, lsn->endpoint().path);
  EXPECT_EQ(dial_once(again.endpoint().path, 1s).outcome, DialOutcome::ok);
}

// SEC-6, LSN-6: FILE_FLAG_FIRST_PIPE_INSTANCE: a second listener of the same name fails with
// address_in_use naming the PID, and the first keeps serving.
TEST(WindowsListener, SecondListenerOfTheSameNameIsAddressInUse) {
  ScratchRoot root;
  const Handshake hs = unique_handshake();
  Listener first(hs, root.listen(4));
  for (int queue : {1, 4}) {
    try {
      Listener squatter(hs, root.listen(queue));
      ADD_FAILURE() << "a second listener took " << first.endpoint().path;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Errc::address_in_use) << e.what();
      EXPECT_EQ(e.holder_pid(), current_pid());
      EXPECT_NE(std::string(e.what()).find("PID " + std::to_string(current_pid())),
                std::string::npos)
          << e.what();
    }
  }
  DialResult d = dial_once(first.endpoint().path, 1s);
  EXPECT_EQ(d.outcome, DialOutcome::ok) << d.detail;
}

// SEC-6 at the OS level: a raw CreateNamedPipeW with FILE_FLAG_FIRST_PIPE_INSTANCE on a name
// that has an instance fails with ERROR_ACCESS_DENIED. Wine 8.0 does not enforce the flag; there
// the marker refuses the second listener (previous test) and this check is skipped, saying so.
TEST(WindowsListener, FirstPipeInstanceFlagIsEnforcedByTheOs) {
  ScratchRoot root;
  Listener lsn(unique_handshake(), root.listen(1));
  const std::wstring path(lsn.endpoint().path.begin(), lsn.endpoint().path.end());
  HANDLE squatter = ::CreateNamedPipeW(
      path.c_str(), PIPE_ACCESS_DUPLEX | FILE_FLAG_FIRST_PIPE_INSTANCE,
      PIPE_TYPE_BYTE | PIPE_REJECT_REMOTE_CLIENTS, PIPE_UNLIMITED_INSTANCES, 512, 512, 0, nullptr);
  const DWORD error = ::GetLastError();
  const bool refused = squatter == INVALID_HANDLE_VALUE;
  if (!refused) ::CloseHandle(squatter);
  RecordProperty("first_pipe_instance_enforced", refused ? "yes" : "no");
  const bool wine = ::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "wine_get_version");
  if (!refused && wine) {
    GTEST_SKIP() << "Wine does not enforce FILE_FLAG_FIRST_PIPE_INSTANCE (measured here); the "
                    "held marker refuses a second pipecheck listener instead (WIN-5)";
  }
  EXPECT_TRUE(refused) << "a second first instance of " << lsn.endpoint().path << " was created";
  EXPECT_EQ(error, ERROR_ACCESS_DENIED);
}

// LSN-12: a client that connects and leaves before accept() is not an error for the server.
TEST(WindowsListener, ClientThatLeavesAtOnceIsNotAnError) {
  ScratchRoot root;
  const Handshake hs = unique_handshake();
  Listener lsn(hs, root.listen(2));
  {
    DialResult gone = dial_once(lsn.endpoint().path, 1s);
    ASSERT_EQ(gone.outcome, DialOutcome::ok) << gone.detail;
  }  // closed before anyone accepted it
  auto server = std::async(std::launch::async, [&] {
    while (true) {
      AcceptResult a = lsn.accept();
      if (a.status != AcceptStatus::accepted) return a;
      if (server_handshake(*a.connection, hs.hash, 2s).accepted) return a;
    }
  });
  DialResult d = dial_with_retry(lsn.endpoint().path, {});
  ASSERT_EQ(d.outcome, DialOutcome::ok) << d.detail;
  HandshakeResult h = client_handshake(*d.connection, hs.hash, 2s);
  EXPECT_TRUE(h.accepted) << h.detail;
  ASSERT_EQ(server.wait_for(5s), std::future_status::ready);
  AcceptResult a = server.get();
  EXPECT_EQ(a.status, AcceptStatus::accepted) << a.detail;
}

// DIAL-5: against the legacy geometry (one instance, one accept worker) retrying dialers never
// fail within the deadline.
TEST(WindowsListener, DialWithRetryAgainstLegacyGeometryNeverFails) {
  ScratchRoot root;
  const Handshake hs = unique_handshake();
  Listener lsn(hs, root.listen(1));
  std::thread worker([&] {
    while (true) {
      AcceptResult a = lsn.accept();
      if (a.status == AcceptStatus::closed) return;
      if (a.connection) server_handshake(*a.connection, hs.hash, 2s);
    }
  });
  std::vector<std::future<std::string>> clients;
  for (int c = 0; c < 4; ++c) {
    clients.push_back(std::async(std::launch::async, [&] {
      std::string failures;
      for (int i = 0; i < 25; ++i) {
        DialResult d = dial_with_retry(lsn.endpoint().path, {});
        if (d.outcome != DialOutcome::ok) {
          failures += std::string(to_string(d.outcome)) + ": " + d.detail + "\n";
          continue;
        }
        HandshakeResult h = client_handshake(*d.connection, hs.hash, 2s);
        if (!h.accepted) failures += "handshake: " + h.detail + "\n";
      }
      return failures;
    }));
  }
  for (auto& f : clients) {
    ASSERT_EQ(f.wait_for(60s), std::future_status::ready);
    EXPECT_EQ(f.get(), "");
  }
  lsn.close();
  worker.join();
}

}  // namespace
}  // namespace pipecheck

// Windows discovery (WIN-1..5, DISC-2/3/6/7/8/9) against real listeners and real marker files.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>
#include <vector>

#include "endpoint_marker.hpp"
#include "pipecheck/connection.hpp"
#include "pipecheck/dial.hpp"
#include "pipecheck/discovery.hpp"
#include "pipecheck/error.hpp"
#include "pipecheck/identity.hpp"
#include "pipecheck/listener.hpp"
#include "pipecheck/wire_handshake.hpp"
#include "windows_discovery.hpp"
#include "windows_test_support.hpp"

namespace pipecheck {
namespace {

using namespace pipecheck::test_support;

DiscoveryOptions options_for(const ScratchRoot& root, bool reclaim = false) {
  DiscoveryOptions options;
  options.naming = root.naming();
  options.reclaim_stale = reclaim;
  return options;
}

// WIN-2: where FindFirstFile cannot list `\\.\pipe\` (Wine: error 66), markers are used.
bool pipes_listable() {
  WIN32_FIND_DATAW data{};
  HANDLE find = ::FindFirstFileW(L"\\\\.\\pipe\\*", &data);
  if (find == INVALID_HANDLE_VALUE) return false;
  ::FindClose(find);
  return true;
}

TEST(WindowsDiscovery, FindsTheListenerAndNotAfterClose) {
  ScratchRoot root;
  const Handshake hs = unique_handshake();
  Listener lsn(hs, root.listen(2));

  detail::ListingSource used{};
  DiscoveryResult found = detail::discover_windows(hs, options_for(root), used);
  EXPECT_EQ(used, pipes_listable() ? detail::ListingSource::pipe_enumeration
                                   : detail::ListingSource::markers);
  RecordProperty("discovery_method", std::string(detail::to_string(used)));
  ASSERT_EQ(found.live.size(), 1u);
  EXPECT_EQ(found.live[0].pid, current_pid());
  EXPECT_EQ(found.live[0].name, lsn.endpoint().name);
  EXPECT_EQ(found.live[0].path, lsn.endpoint().path);
  EXPECT_TRUE(found.rejected.empty());

  // Another hash, listening right next to it, is not ours (DISC-3).
  Listener other(unique_handshake(), root.listen(1));
  EXPECT_EQ(discover(hs, options_for(root)).live.size(), 1u);

  lsn.close();
  found = discover(hs, options_for(root));
  EXPECT_TRUE(found.live.empty());
  EXPECT_TRUE(found.rejected.empty());
}

TEST(WindowsDiscovery, ListsEveryLiveListenerOfTheHashSortedByPid) {
  ScratchRoot root;
  const Handshake hs = unique_handshake();
  // Listeners may carry another PID in their name (ListenOptions.pid): use live PIDs we know.
  ListenOptions mine = root.listen(1);
  Listener a(hs, mine);
  ListenOptions parent = root.listen(1);
  // A suspended copy of this test program: a live PID of ours that does nothing.
  wchar_t self[MAX_PATH];
  ASSERT_GT(::GetModuleFileNameW(nullptr, self, MAX_PATH), 0u);
  std::wstring command = L"\"" + std::wstring(self) + L"\" --gtest_list_tests";
  PROCESS_INFORMATION child{};
  STARTUPINFOW startup{};
  startup.cb = sizeof startup;
  ASSERT_TRUE(::CreateProcessW(self, command.data(), nullptr, nullptr, FALSE, CREATE_SUSPENDED,
                               nullptr, nullptr, &startup, &child))
      << "CreateProcessW: error " << ::GetLastError();
  parent.pid = child.dwProcessId;
  {
    Listener b(hs, parent);
    DiscoveryResult found = discover(hs, options_for(root));
    ASSERT_EQ(found.live.size(), 2u);
    EXPECT_LT(found.live[0].pid, found.live[1].pid);
  }
  ::TerminateProcess(child.hProcess, 0);
  ::WaitForSingleObject(child.hProcess, 5000);
  ::CloseHandle(child.hThread);
  ::CloseHandle(child.hProcess);
}

TEST(WindowsDiscovery, MissingMarkerDirectoryIsAnEmptyResult) {
  ScratchRoot root;
  DiscoveryResult found = discover(unique_handshake(), options_for(root));
  EXPECT_TRUE(found.live.empty());
  EXPECT_TRUE(found.rejected.empty());
}

// WIN-3/4, DISC-3/6/7: markers that break the name rule, name a dead PID or a PID without a pipe
// are reported, never returned; reclaiming removes only stale markers nobody holds.
TEST(WindowsDiscovery, MarkerEntriesAreVettedAndStaleOnesReclaimed) {
  if (pipes_listable()) GTEST_SKIP() << "pipes are listable here: markers are not consulted";
  ScratchRoot root;
  const Handshake hs = unique_handshake();
  Listener lsn(hs, root.listen(1));
  const std::filesystem::path dir = detail::marker_directory(hs, root.naming());
  const std::string ours = "pipecheck-" + hs.hash + "-";
  const std::string dead = ours + std::to_string(dead_pid());
  const std::string malformed = ours + "0123";
  const std::string directory = ours + "77";
  std::ofstream(dir / dead).put('x');
  std::ofstream(dir / malformed).put('x');
  std::filesystem::create_directory(dir / directory);
  std::ofstream(dir / (std::string("pipecheck-") + std::string(32, 'a') + "-1")).put('x');

  detail::ListingSource used{};
  DiscoveryResult found = detail::discover_windows(hs, options_for(root, true), used);
  EXPECT_EQ(used, detail::ListingSource::markers);
  ASSERT_EQ(found.live.size(), 1u);
  EXPECT_EQ(found.live[0].name, lsn.endpoint().name);
  std::map<std::string, Rejection> reasons;
  for (const auto& r : found.rejected) reasons[r.name] = r.reason;
  EXPECT_EQ(reasons.size(), 3u);
  EXPECT_EQ(reasons[dead], Rejection::stale);
  EXPECT_EQ(reasons[malformed], Rejection::malformed_name);
  EXPECT_EQ(reasons[directory], Rejection::not_a_socket);
  EXPECT_EQ(found.reclaimed, std::vector<std::string>{dead});
  EXPECT_FALSE(std::filesystem::exists(dir / dead));
  EXPECT_TRUE(std::filesystem::exists(dir / malformed));  // not stale: never removed
  EXPECT_TRUE(std::filesystem::exists(dir / lsn.endpoint().name));
}

// WIN-3: a marker whose PID is alive but which has no pipe is stale, and a live listener's
// marker cannot be removed by anyone else.
TEST(WindowsDiscovery, MarkerWithoutAPipeIsStaleAndHeldMarkersStay) {
  if (pipes_listable()) GTEST_SKIP() << "pipes are listable here: markers are not consulted";
  ScratchRoot root;
  const Handshake hs = unique_handshake();
  Listener lsn(hs, root.listen(1));
  const std::filesystem::path dir = detail::marker_directory(hs, root.naming());
  const std::filesystem::path held = dir / lsn.endpoint().name;
  EXPECT_FALSE(::DeleteFileW(held.wstring().c_str()));  // held without FILE_SHARE_DELETE
  lsn.close();
  EXPECT_FALSE(std::filesystem::exists(held));  // FILE_FLAG_DELETE_ON_CLOSE

  // Our own PID is alive, but no pipe carries this name.
  std::ofstream(held).put('x');
  DiscoveryResult found = discover(hs, options_for(root, true));
  EXPECT_TRUE(found.live.empty());
  ASSERT_EQ(found.rejected.size(), 1u);
  EXPECT_EQ(found.rejected[0].reason, Rejection::stale) << found.rejected[0].detail;
  EXPECT_EQ(found.reclaimed.size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(held));
}

// The legacy baseline: probes every endpoint of the prefix (any hash) with the wire handshake
// until one accepts; the result holds that one endpoint and nothing else.
TEST(WindowsDiscovery, LegacyMethodProbesUntilOurHashAccepts) {
  ScratchRoot root;
  const Handshake theirs = unique_handshake();
  const Handshake ours = unique_handshake();
  auto serve = [](Listener& lsn, const Handshake& hs) {
    return std::thread([&lsn, &hs] {
      while (true) {
        AcceptResult a = lsn.accept();
        if (a.status == AcceptStatus::closed) return;
        if (a.connection) server_handshake(*a.connection, hs.hash, 2s);
      }
    });
  };
  Listener other(theirs, root.listen(2));
  std::thread other_worker = serve(other, theirs);
  DiscoveryOptions options = options_for(root);
  options.method = DiscoveryMethod::legacy;
  EXPECT_TRUE(discover(ours, options).live.empty());

  Listener mine(ours, root.listen(2));
  std::thread my_worker = serve(mine, ours);
  DiscoveryResult found = discover(ours, options);
  ASSERT_EQ(found.live.size(), 1u);
  EXPECT_EQ(found.live[0].name, mine.endpoint().name);
  EXPECT_TRUE(found.rejected.empty());

  options.reclaim_stale = true;
  EXPECT_THROW(discover(ours, options), Error);
  other.close();
  mine.close();
  other_worker.join();
  my_worker.join();
}

// LSN-6: a stale marker of our name left behind is replaced when we listen again.
TEST(WindowsDiscovery, ListeningReplacesALeftoverMarker) {
  ScratchRoot root;
  const Handshake hs = unique_handshake();
  const std::filesystem::path dir = detail::marker_directory(hs, root.naming());
  std::filesystem::create_directories(dir);
  const Endpoint ep = endpoint_for(hs, current_pid(), root.naming());
  std::ofstream(dir / ep.name).put('x');
  Listener lsn(hs, root.listen(1));
  EXPECT_EQ(discover(hs, options_for(root)).live.size(), 1u);
  lsn.close();
  EXPECT_FALSE(std::filesystem::exists(dir / ep.name));
}

}  // namespace
}  // namespace pipecheck

namespace pipecheck {
namespace {

using namespace pipecheck::test_support;

constexpr char kHelperRootVariable[] = "PIPECHECK_TEST_HELPER_ROOT";
constexpr char kHelperSaltVariable[] = "PIPECHECK_TEST_HELPER_SALT";
constexpr char kHelperEventVariable[] = "PIPECHECK_TEST_HELPER_READY";

Handshake helper_handshake(const std::string& salt) {
  return make_handshake("pipecheck",
                        {{"kind", "wintest"}, {"version", "1"}, {"arch", "*"}, {"salt", salt}});
}

// Not a test on its own: the listening child of KilledListenerLeavesNoMarker (skipped otherwise).
TEST(WindowsDiscoveryHelper, ListenUntilKilled) {
  const char* root = std::getenv(kHelperRootVariable);
  const char* salt = std::getenv(kHelperSaltVariable);
  const char* ready = std::getenv(kHelperEventVariable);
  if (root == nullptr || salt == nullptr || ready == nullptr) {
    GTEST_SKIP() << "helper process of WindowsDiscovery.KilledListenerLeavesNoMarker";
  }
  ListenOptions options;
  options.naming.root = root;
  Listener lsn(helper_handshake(salt), options);
  HANDLE event = ::OpenEventA(EVENT_MODIFY_STATE, FALSE, ready);
  ASSERT_NE(event, nullptr);
  ::SetEvent(event);
  ::CloseHandle(event);
  ::Sleep(30000);  // the parent kills this process long before; the bound keeps strays finite
}

// LSN-8, WIN-2: a listener killed with TerminateProcess leaves neither a pipe nor a marker, so
// the next discovery finds nothing (not even a stale entry).
TEST(WindowsDiscovery, KilledListenerLeavesNoMarker) {
  ScratchRoot root;
  const std::string salt = "killed-" + std::to_string(current_pid());
  const std::string ready = "Local\\pipecheck-test-ready-" + std::to_string(current_pid());
  detail::UniqueHandle event(::CreateEventA(nullptr, TRUE, FALSE, ready.c_str()));
  ASSERT_TRUE(event);
  ::SetEnvironmentVariableA(kHelperRootVariable, root.path().c_str());
  ::SetEnvironmentVariableA(kHelperSaltVariable, salt.c_str());
  ::SetEnvironmentVariableA(kHelperEventVariable, ready.c_str());

  wchar_t self[MAX_PATH];
  ASSERT_GT(::GetModuleFileNameW(nullptr, self, MAX_PATH), 0u);
  std::wstring command =
      L"\"" + std::wstring(self) + L"\" --gtest_filter=WindowsDiscoveryHelper.ListenUntilKilled";
  PROCESS_INFORMATION child{};
  STARTUPINFOW startup{};
  startup.cb = sizeof startup;
  const BOOL started = ::CreateProcessW(self, command.data(), nullptr, nullptr, FALSE, 0, nullptr,
                                        nullptr, &startup, &child);
  for (const char* name : {kHelperRootVariable, kHelperSaltVariable, kHelperEventVariable}) {
    ::SetEnvironmentVariableA(name, nullptr);
  }
  ASSERT_TRUE(started) << "CreateProcessW: error " << ::GetLastError();
  detail::UniqueHandle process(child.hProcess);
  detail::UniqueHandle thread(child.hThread);
  struct KillOnExit {
    HANDLE process;
    ~KillOnExit() {
      ::TerminateProcess(process, 1);
      ::WaitForSingleObject(process, 5000);
    }
  } reaper{process.get()};

  HANDLE waits[] = {event.get(), process.get()};
  ASSERT_EQ(::WaitForMultipleObjects(2, waits, FALSE, 20000), WAIT_OBJECT_0)
      << "the helper did not start listening within 20 s";
  const Handshake hs = helper_handshake(salt);
  DiscoveryOptions options;
  options.naming = root.naming();
  DiscoveryResult found = discover(hs, options);
  ASSERT_EQ(found.live.size(), 1u);
  EXPECT_EQ(found.live[0].pid, static_cast<ProcessId>(child.dwProcessId));

  ASSERT_TRUE(::TerminateProcess(process.get(), 9));
  ASSERT_EQ(::WaitForSingleObject(process.get(), 5000), WAIT_OBJECT_0);
  found = discover(hs, options);
  EXPECT_TRUE(found.live.empty());
  EXPECT_TRUE(found.rejected.empty()) << found.rejected[0].name << ": " << found.rejected[0].detail;
  const Endpoint ep = endpoint_for(hs, child.dwProcessId, root.naming());
  EXPECT_FALSE(std::filesystem::exists(
      std::filesystem::path(detail::marker_directory(hs, root.naming())) / ep.name));
  EXPECT_EQ(dial_once(ep.path, 1s).outcome, DialOutcome::absent);
}

}  // namespace
}  // namespace pipecheck

// discover() over a real directory with planted entries (DISC-1..9), never following symlinks.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <map>

#include "pipecheck/dial.hpp"
#include "pipecheck/discovery.hpp"
#include "pipecheck/error.hpp"
#include "pipecheck/identity.hpp"
#include "pipecheck/listener.hpp"
#include "posix_test_support.hpp"

namespace pipecheck {
namespace {

using namespace std::chrono_literals;
using test_support::ScratchRoot;

std::vector<ProcessId> live_pids(const DiscoveryResult& r) {
  std::vector<ProcessId> pids;
  for (const auto& ep : r.live) pids.push_back(ep.pid);
  return pids;
}

std::map<std::string, Rejection> rejections(const DiscoveryResult& r) {
  std::map<std::string, Rejection> out;
  for (const auto& entry : r.rejected) out.emplace(entry.name, entry.reason);
  return out;
}

// A child that holds a pipe open until the parent closes its end: a live PID for endpoint names.
struct LiveChild {
  pid_t pid = -1;
  detail::UniqueFd release;
  LiveChild() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    pid = test_support::fork_child([read_end = fds[0], write_end = fds[1]] {
      ::close(write_end);
      char byte;
      return static_cast<int>(::read(read_end, &byte, 1));  // returns at EOF
    });
    ::close(fds[0]);
    release.reset(fds[1]);
  }
  ~LiveChild() {
    release.reset();
    test_support::reap_child(pid);
  }
};

TEST(DiscoveryPosix, MissingDirectoryIsAnEmptyResult) {
  ScratchRoot root;
  DiscoveryResult r = discover(test_support::unique_handshake(), root.discovery());
  EXPECT_TRUE(r.live.empty());
  EXPECT_TRUE(r.rejected.empty());
  DiscoveryOptions missing_root = root.discovery();
  missing_root.naming.root = root.path() + "/no/such/root";
  DiscoveryResult gone = discover(test_support::unique_handshake(), missing_root);
  EXPECT_TRUE(gone.live.empty());
}

TEST(DiscoveryPosix, FindsLiveEndpointsSortedByPidAndForgetsClosedOnes) {
  ScratchRoot root;
  Handshake hs = test_support::unique_handshake();
  LiveChild child;
  Listener mine(hs, root.listen());
  Listener for_child(hs, root.listen(4, child.pid));
  Listener for_init(hs, root.listen(4, 1));
  Listener other_hash(test_support::unique_handshake(), root.listen());

  DiscoveryResult r = discover(hs, root.discovery());
  std::vector<ProcessId> expected{1, child.pid, current_pid()};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(live_pids(r), expected);
  EXPECT_TRUE(r.rejected.empty());
  for (const auto& ep : r.live) {
    const Endpoint expected_ep = endpoint_for(hs, ep.pid, root.naming());
    EXPECT_EQ(ep.name, expected_ep.name);
    EXPECT_EQ(ep.directory, expected_ep.directory);
    EXPECT_EQ(ep.path, expected_ep.path);
  }

  for_child.close();
  EXPECT_EQ(live_pids(discover(hs, root.discovery())), (std::vector<ProcessId>{1, current_pid()}));
}

TEST(DiscoveryPosix, FindsAnEndpointCreatedByAnotherProcessAndItsStaleRemains) {
  ScratchRoot root;
  Handshake hs = test_support::unique_handshake();
  { Listener create_directory(hs, root.listen()); }
  const Endpoint template_ep = endpoint_for(hs, 1, root.naming());
  std::string base =
      template_ep.path.substr(0, template_ep.path.size() - 1);  // ".../{prefix}-{hash}-"
  int ready[2], release[2];
  ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(release, O_CLOEXEC), 0);
  // The child names its endpoint with its own PID using async-signal-safe code only.
  char path[sizeof(sockaddr_un::sun_path)] = {};
  ASSERT_LT(base.size() + 11, sizeof path);
  base.copy(path, base.size());
  pid_t child = test_support::fork_child([&] {
    ::close(release[1]);  // so the parent's close is an EOF here
    char digits[12];
    int n = 0;
    for (pid_t p = ::getpid(); p > 0; p /= 10) digits[n++] = static_cast<char>('0' + p % 10);
    std::size_t at = 0;
    while (path[at] != '\0') ++at;
    while (n > 0) path[at++] = digits[--n];
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    for (std::size_t i = 0; i <= at; ++i) address.sun_path[i] = path[i];
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd, 4) != 0) {
      return 1;
    }
    if (::write(ready[1], "r", 1) != 1) return 2;
    char byte;
    // Until the parent lets go (EOF); the socket file stays behind, as after a crash.
    return ::read(release[0], &byte, 1) == 0 ? 0 : 3;
  });
  ::close(ready[1]);
  ::close(release[0]);
  detail::UniqueFd ready_read(ready[0]), release_write(release[1]);
  ASSERT_TRUE(test_support::read_signal_byte(ready_read.get())) << "child did not start listening";

  DiscoveryResult r = discover(hs, root.discovery());
  ASSERT_EQ(live_pids(r), std::vector<ProcessId>{child});
  EXPECT_EQ(dial_once(r.live[0].path, 1s).outcome, DialOutcome::ok);

  release_write.reset();
  EXPECT_EQ(test_support::reap_child(child), 0);
  DiscoveryResult after = discover(hs, root.discovery());
  EXPECT_TRUE(after.live.empty());
  ASSERT_EQ(after.rejected.size(), 1u);
  EXPECT_EQ(after.rejected[0].reason, Rejection::stale);
  DiscoveryResult reclaimed = discover(hs, root.discovery(true));
  EXPECT_EQ(reclaimed.reclaimed, std::vector<std::string>{after.rejected[0].name});
  EXPECT_FALSE(test_support::path_exists(r.live[0].path));
}

TEST(DiscoveryPosix, ReportsEveryPlantedImpostorWithItsReason) {
  ScratchRoot root;
  Handshake hs = test_support::unique_handshake();
  Listener live(hs, root.listen());
  const std::string dir = live.endpoint().directory;
  const ProcessId dead = test_support::dead_pid();
  auto name_for = [&](ProcessId pid) { return endpoint_name("pipecheck", hs.hash, pid); };
  const std::string ours = "pipecheck-" + hs.hash + "-";

  std::map<std::string, Rejection> expected;
  auto plant_file = [&](const std::string& name) { std::ofstream(dir + "/" + name) << "x"; };

  plant_file(name_for(2000001));
  expected[name_for(2000001)] = Rejection::not_a_socket;
  ASSERT_EQ(::mkdir((dir + "/" + name_for(2000002)).c_str(), 0700), 0);
  expected[name_for(2000002)] = Rejection::not_a_socket;
  ASSERT_EQ(::mkfifo((dir + "/" + name_for(2000003)).c_str(), 0600), 0);
  expected[name_for(2000003)] = Rejection::not_a_socket;
  // A symlink to the live socket is still not a socket: it is never followed (DISC-4).
  ASSERT_EQ(::symlink(live.endpoint().path.c_str(), (dir + "/" + name_for(1)).c_str()), 0);
  expected[name_for(1)] = Rejection::not_a_socket;
  test_support::make_unlistened_socket_file(dir + "/" + name_for(dead));
  expected[name_for(dead)] = Rejection::stale;
  if (::geteuid() == 0) {
    const std::string foreign = dir + "/" + name_for(2000004);
    test_support::make_unlistened_socket_file(foreign);
    ASSERT_EQ(::lchown(foreign.c_str(), test_support::kOtherUid, test_support::kOtherUid), 0);
    expected[name_for(2000004)] = Rejection::foreign_owner;
  }
  for (const char* pid_part :
       {"", "0", "0123", "00", "+123", "-123", " 123", "123 ", "123x", "12.3", "2147483648",
        "99999999999999999999999", "\xef\xbc\x91\xef\xbc\x92",  // fullwidth "12"
        "\xd9\xa3", "1e3", "0x10"}) {
    plant_file(ours + pid_part);
    expected[ours + pid_part] = Rejection::malformed_name;
  }
  // Not ours at all: other hash, other prefix, hash without its dash, a longer hash.
  for (const std::string& name :
       {"pipecheck-" + std::string(32, 'a') + "-123", "other-" + hs.hash + "-123",
        "pipecheck-" + hs.hash, "pipecheck-" + hs.hash + "x-123",
        "PIPECHECK-" + hs.hash + "-123"}) {
    plant_file(name);
  }

  DiscoveryResult r = discover(hs, root.discovery());
  EXPECT_EQ(live_pids(r), std::vector<ProcessId>{current_pid()});
  EXPECT_EQ(rejections(r), expected);
  EXPECT_TRUE(std::is_sorted(r.rejected.begin(), r.rejected.end(),
                             [](const auto& a, const auto& b) { return a.name < b.name; }));
  for (const auto& entry : r.rejected) {
    EXPECT_FALSE(entry.detail.empty()) << entry.name;
    if (entry.name == name_for(1)) {
      EXPECT_NE(entry.detail.find("symlink"), std::string::npos);
    }
    if (entry.name == name_for(2000003)) {
      EXPECT_NE(entry.detail.find("fifo"), std::string::npos);
    }
  }
  EXPECT_TRUE(r.reclaimed.empty()) << "nothing is removed without reclaim_stale";
  if (::geteuid() != 0) GTEST_SKIP() << "foreign_owner needs root to chown a socket to uid 65534";
}

TEST(DiscoveryPosix, ReclaimRemovesOnlyOurDeadUnlistenedSockets) {
  ScratchRoot root;
  Handshake hs = test_support::unique_handshake();
  { Listener create_directory(hs, root.listen()); }
  const std::string dir = endpoint_directory(hs, root.naming());
  auto path_for = [&](ProcessId pid) {
    return dir + "/" + endpoint_name("pipecheck", hs.hash, pid);
  };
  const ProcessId stale = test_support::dead_pid();
  const ProcessId dead_but_listening = test_support::dead_pid();
  const ProcessId dead_regular_file = test_support::dead_pid();
  const ProcessId dead_foreign = test_support::dead_pid();

  test_support::make_unlistened_socket_file(path_for(stale));
  Listener answering(hs, root.listen(4, dead_but_listening));
  std::ofstream(path_for(dead_regular_file)) << "x";
  const bool as_root = ::geteuid() == 0;
  if (as_root) {
    test_support::make_unlistened_socket_file(path_for(dead_foreign));
    ASSERT_EQ(
        ::lchown(path_for(dead_foreign).c_str(), test_support::kOtherUid, test_support::kOtherUid),
        0);
  }

  DiscoveryResult r = discover(hs, root.discovery(true));
  EXPECT_EQ(r.reclaimed, std::vector<std::string>{endpoint_name("pipecheck", hs.hash, stale)});
  EXPECT_FALSE(test_support::path_exists(path_for(stale)));
  EXPECT_TRUE(test_support::path_exists(path_for(dead_but_listening))) << "connect is not refused";
  EXPECT_TRUE(test_support::path_exists(path_for(dead_regular_file)));
  EXPECT_EQ(rejections(r)[endpoint_name("pipecheck", hs.hash, dead_but_listening)],
            Rejection::stale);
  if (!as_root) GTEST_SKIP() << "the foreign-owner half needs root to chown to uid 65534";
  EXPECT_TRUE(test_support::path_exists(path_for(dead_foreign)));
}

TEST(DiscoveryPosix, MsbuildProfileListsTheSharedRootWithoutThePrivateRule) {
  ScratchRoot root;
  ASSERT_EQ(::chmod(root.path().c_str(), 01777), 0);  // like /tmp
  Handshake hs = test_support::unique_handshake("msbuild");
  Listener lsn(hs, root.listen());
  EXPECT_EQ(lsn.endpoint().directory, root.path());
  EXPECT_EQ(lsn.endpoint().path,
            root.path() + "/MSBuild-" + hs.hash + "-" + std::to_string(current_pid()));
  EXPECT_EQ(test_support::permission_bits(lsn.endpoint().path), 0600u);
  EXPECT_EQ(test_support::permission_bits(root.path()), 01777u) << "the shared root is not changed";
  std::ofstream(root.path() + "/unrelated-file") << "x";
  DiscoveryResult r = discover(hs, root.discovery());
  EXPECT_EQ(live_pids(r), std::vector<ProcessId>{current_pid()});
  EXPECT_TRUE(r.rejected.empty());
}

}  // namespace
}  // namespace pipecheck

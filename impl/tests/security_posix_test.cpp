// Endpoint security on POSIX (SEC-1..5): directory and socket modes, insecure directories,
// symlinks never followed, and the peer-user check on both sides of a connection.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

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

// Restores the process umask when the test ends.
class UmaskScope {
 public:
  explicit UmaskScope(mode_t mask) : previous_(::umask(mask)) {}
  ~UmaskScope() { ::umask(previous_); }

 private:
  mode_t previous_;
};

// Expects both the listener and discovery to refuse the endpoint directory with a message that
// names the path, the owner and the mode.
void expect_insecure(const Handshake& hs, const ScratchRoot& root, const std::string& owner,
                     const std::string& mode) {
  const std::string dir = endpoint_directory(hs, root.naming());
  auto check = [&](const Error& e, const char* who) {
    EXPECT_EQ(e.code(), Errc::insecure_directory) << who << ": " << e.what();
    const std::string message = e.what();
    EXPECT_NE(message.find(dir), std::string::npos) << who << ": " << message;
    EXPECT_NE(message.find("uid " + owner), std::string::npos) << who << ": " << message;
    EXPECT_NE(message.find("mode " + mode), std::string::npos) << who << ": " << message;
  };
  try {
    Listener lsn(hs, root.listen());
    ADD_FAILURE() << "the listener accepted an insecure directory";
  } catch (const Error& e) {
    check(e, "listener");
  }
  try {
    discover(hs, root.discovery());
    ADD_FAILURE() << "discovery accepted an insecure directory";
  } catch (const Error& e) {
    check(e, "discovery");
  }
}

TEST(SecurityPosix, DirectoryIs0700AndSocket0600WhateverTheUmask) {
  for (mode_t mask : {mode_t{0}, mode_t{022}, mode_t{077}, mode_t{0777}}) {
    SCOPED_TRACE("umask " + std::to_string(mask));
    ScratchRoot root;
    UmaskScope scope(mask);
    Listener lsn(test_support::unique_handshake(), root.listen());
    EXPECT_EQ(test_support::permission_bits(lsn.endpoint().directory), 0700u);
    EXPECT_EQ(test_support::permission_bits(lsn.endpoint().path), 0600u);
  }
}

TEST(SecurityPosix, SymlinkedDirectoryIsRefusedAndItsTargetUntouched) {
  ScratchRoot root;
  Handshake hs = test_support::unique_handshake();
  const std::string target = root.path() + "/elsewhere";
  ASSERT_EQ(::mkdir(target.c_str(), 0700), 0);
  ASSERT_EQ(::symlink(target.c_str(), endpoint_directory(hs, root.naming()).c_str()), 0);
  struct stat link {};
  ASSERT_EQ(::lstat(endpoint_directory(hs, root.naming()).c_str(), &link), 0);
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(link.st_mode & 07777));
  expect_insecure(hs, root, std::to_string(::geteuid()), mode);
  std::error_code ignored;
  EXPECT_TRUE(std::filesystem::is_empty(target, ignored)) << "nothing was created through the link";
}

TEST(SecurityPosix, WorldWritableDirectoryIsRefused) {
  ScratchRoot root;
  Handshake hs = test_support::unique_handshake();
  const std::string dir = endpoint_directory(hs, root.naming());
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(dir.c_str(), 0777), 0);
  expect_insecure(hs, root, std::to_string(::geteuid()), "0777");
  ASSERT_EQ(::chmod(dir.c_str(), 0750), 0);
  expect_insecure(hs, root, std::to_string(::geteuid()), "0750");
  EXPECT_EQ(test_support::permission_bits(dir), 0750u)
      << "an insecure directory is reported, not fixed";
}

TEST(SecurityPosix, ForeignOwnedDirectoryIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown the directory to uid 65534";
  ScratchRoot root;
  Handshake hs = test_support::unique_handshake();
  const std::string dir = endpoint_directory(hs, root.naming());
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(::chown(dir.c_str(), test_support::kOtherUid, test_support::kOtherUid), 0);
  expect_insecure(hs, root, std::to_string(test_support::kOtherUid), "0700");
}

TEST(SecurityPosix, RegularFileInPlaceOfDirectoryIsRefused) {
  ScratchRoot root;
  Handshake hs = test_support::unique_handshake();
  const std::string dir = endpoint_directory(hs, root.naming());
  std::ofstream(dir) << "x";
  ASSERT_EQ(::chmod(dir.c_str(), 0600), 0);
  expect_insecure(hs, root, std::to_string(::geteuid()), "0600");
}

TEST(SecurityPosix, SymlinkAtTheSocketNameInSharedRootIsNeitherFollowedNorRemoved) {
  ScratchRoot root;
  ASSERT_EQ(::chmod(root.path().c_str(), 01777), 0);
  Handshake hs = test_support::unique_handshake("msbuild");
  const Endpoint ep = endpoint_for(hs, current_pid(), root.naming());
  const std::string target = root.path() + "/victim";
  std::ofstream(target) << "precious";
  ASSERT_EQ(::symlink(target.c_str(), ep.path.c_str()), 0);
  try {
    Listener lsn(hs, root.listen());
    FAIL() << "listened over a symlink";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::address_in_use) << e.what();
    EXPECT_NE(std::string(e.what()).find("symlink"), std::string::npos) << e.what();
  }
  struct stat st {};
  ASSERT_EQ(::lstat(ep.path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  std::string content;
  std::ifstream(target) >> content;
  EXPECT_EQ(content, "precious");
}

TEST(SecurityPosix, ServerDropsAClientOfAnotherUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a client as uid 65534";
  ScratchRoot root;
  Listener lsn(test_support::unique_handshake(), root.listen());
  // Open the way on purpose so that the peer check is the only barrier left.
  ASSERT_EQ(::chmod(root.path().c_str(), 0711), 0);
  ASSERT_EQ(::chmod(lsn.endpoint().directory.c_str(), 0711), 0);
  ASSERT_EQ(::chmod(lsn.endpoint().path.c_str(), 0666), 0);
  const sockaddr_un address = test_support::unix_address(lsn.endpoint().path);
  pid_t child = test_support::fork_child([&] {
    if (::setresgid(test_support::kOtherUid, test_support::kOtherUid, test_support::kOtherUid) !=
            0 ||
        ::setresuid(test_support::kOtherUid, test_support::kOtherUid, test_support::kOtherUid) !=
            0) {
      return 10;
    }
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) return 11;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) return 12;
    return 0;
  });
  AcceptResult a = lsn.accept();
  EXPECT_EQ(test_support::reap_child(child), 0) << "the uid-65534 client could not connect";
  EXPECT_EQ(a.status, AcceptStatus::denied) << a.detail;
  EXPECT_FALSE(a.connection.has_value());
  EXPECT_NE(a.detail.find("uid 65534"), std::string::npos) << a.detail;

  // The listener keeps serving its own user.
  DialResult ok = dial_once(lsn.endpoint().path, 1s);
  ASSERT_EQ(ok.outcome, DialOutcome::ok) << ok.detail;
  EXPECT_EQ(lsn.accept().status, AcceptStatus::accepted);
}

TEST(SecurityPosix, ClientRefusesAServerOfAnotherUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a server as uid 65534";
  ScratchRoot root;
  ASSERT_EQ(::chmod(root.path().c_str(), 0711), 0);
  const std::string dir = root.path() + "/theirs";
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(::chown(dir.c_str(), test_support::kOtherUid, test_support::kOtherUid), 0);
  const std::string path = dir + "/server";
  const sockaddr_un address = test_support::unix_address(path);
  int ready[2], release[2];
  ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(release, O_CLOEXEC), 0);
  pid_t child = test_support::fork_child([&] {
    ::close(release[1]);
    if (::setresgid(test_support::kOtherUid, test_support::kOtherUid, test_support::kOtherUid) !=
            0 ||
        ::setresuid(test_support::kOtherUid, test_support::kOtherUid, test_support::kOtherUid) !=
            0) {
      return 10;
    }
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd, 4) != 0) {
      return 11;
    }
    if (::write(ready[1], "r", 1) != 1) return 12;
    char byte;
    return ::read(release[0], &byte, 1) == 0 ? 0 : 13;  // serve until the parent lets go
  });
  ::close(ready[1]);
  ::close(release[0]);
  detail::UniqueFd ready_read(ready[0]), release_write(release[1]);
  ASSERT_TRUE(test_support::read_signal_byte(ready_read.get()))
      << "the uid-65534 server did not start";

  DialResult r = dial_once(path, 1s);
  EXPECT_EQ(r.outcome, DialOutcome::denied) << r.detail;
  EXPECT_FALSE(r.connection.has_value());
  EXPECT_NE(r.detail.find("uid 65534"), std::string::npos) << r.detail;
  release_write.reset();
  EXPECT_EQ(test_support::reap_child(child), 0);
}

}  // namespace
}  // namespace pipecheck

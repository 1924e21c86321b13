// Descendants that escape their process group (setsid) are still found, reaped and killed.
#include "pipecheck/harness/descendants.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

namespace pipecheck::harness {
namespace {

using namespace std::chrono_literals;

// "R", "S", "Z", ... or "" once the process is gone.
std::string state_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return "";
  const auto close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size() ? "" : stat.substr(close + 2, 1);
}

// Whether `pid` is a child of ours that has exited and waits to be reaped (not reaping it).
// Its "Z" state alone is not that: a process's leader shows "Z" while its other threads (say, a
// sanitizer's) are still exiting, and a zombie may still be its exiting parent's.
bool reapable(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == pid;
}

void wait_for(pid_t pid) {
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

// Forks a child that starts `sleeper_seconds` and `quitter` grandchildren in sessions of their
// own and exits at once, as a daemonising agent does; returns their PIDs (they are now ours).
std::pair<pid_t, pid_t> escaped_grandchildren(int sleeper_seconds) {
  int pipe_fds[2];
  EXPECT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    pid_t pids[2];
    for (int i = 0; i < 2; ++i) {
      pids[i] = ::fork();
      if (pids[i] == 0) {
        ::setsid();
        ::close(pipe_fds[1]);
        ::sleep(i == 0 ? sleeper_seconds : 0);
        ::_exit(0);
      }
    }
    (void)!::write(pipe_fds[1], pids, sizeof pids);
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  pid_t pids[2] = {-1, -1};
  EXPECT_EQ(::read(pipe_fds[0], pids, sizeof pids), static_cast<ssize_t>(sizeof pids));
  ::close(pipe_fds[0]);
  wait_for(child);
  return {pids[0], pids[1]};
}

TEST(Descendants, EscapedDescendantsAreReapedAndKilled) {
  if (!adopt_orphans()) GTEST_SKIP() << "no child subreaper on this platform";
  const auto [sleeper, quitter] = escaped_grandchildren(600);
  // The quitter exits at once: adopted, it stays a zombie of ours until reaped.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!reapable(quitter) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  EXPECT_TRUE(reapable(quitter));
  EXPECT_EQ(state_of(quitter), "Z");
  EXPECT_GE(reap_exited_children({sleeper}), 1);
  EXPECT_EQ(state_of(quitter), "");
  EXPECT_NE(state_of(sleeper), "");  // kept, and alive

  EXPECT_GE(kill_descendants({}, 5s), 1);
  EXPECT_EQ(state_of(sleeper), "");
  EXPECT_TRUE(child_pids().empty());
}

TEST(Descendants, KeptChildrenAreLeftAlone) {
  const pid_t kept = ::fork();
  if (kept == 0) {
    ::sleep(600);
    ::_exit(0);
  }
  const pid_t other = ::fork();
  if (other == 0) {
    ::sleep(600);
    ::_exit(0);
  }
  EXPECT_EQ(kill_descendants({kept}, 5s), 1);
  EXPECT_EQ(state_of(other), "");
  EXPECT_EQ(state_of(kept), "S");
  ::kill(kept, SIGKILL);
  wait_for(kept);
}

}  // namespace
}  // namespace pipecheck::harness

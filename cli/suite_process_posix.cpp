// POSIX: the suite leads a process group of its own; signals go to the whole group. The suite is
// reaped only after the group is killed, so its PID (the group's id) cannot be reused meanwhile.
// On Linux `pipecheck run` is a child subreaper: what the suite leaves behind becomes its child,
// so finish() can wait until every member of the group is dead, not just signalled, and kill what
// escaped the group (setsid()); while the suite runs, adopted processes that exit are reaped.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <boost/asio/io_context.hpp>

#include "pipecheck/harness/boost_process.hpp"
#include "pipecheck/harness/descendants.hpp"
#include "suite_process.hpp"

namespace pipecheck::cli {

namespace bp = boost::process::v2;

namespace {

// Runs in the child between fork and exec (async-signal-safe calls only): a new process group,
// and the signal state of a fresh process (`pipecheck run` blocks SIGINT/SIGTERM for sigwait).
struct OwnProcessGroup {
  bp::error_code on_exec_setup(bp::posix::default_launcher&, const std::filesystem::path&,
                               const char* const*&) const {
    if (::setpgid(0, 0) < 0) return {errno, bp::system_category()};
    ::signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    return {};
  }
};

// How long finish() waits for the killed group's members to be reaped.
constexpr auto kGroupExitBound = std::chrono::seconds(5);

// Reaps the members of `group` that are this process's children (the suite's orphans, adopted
// as subreaper), re-killing stragglers, until none is left or the bound passes.
void reap_group(pid_t group) {
  const auto deadline = std::chrono::steady_clock::now() + kGroupExitBound;
  while (true) {
    const pid_t reaped = ::waitpid(-group, nullptr, WNOHANG);
    if (reaped > 0 || (reaped < 0 && errno == EINTR)) continue;
    // ECHILD: no member is our child any more. Members that still exist keep the group id in
    // use, so the kill below cannot reach another group.
    if (reaped < 0 || std::chrono::steady_clock::now() >= deadline) return;
    ::kill(-group, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

struct SuiteProcess::Impl {
  pid_t pid = -1;
  bool reaped = false;
  int status = 0;
};

SuiteProcess::SuiteProcess(const std::filesystem::path& executable,
                           const std::vector<std::string>& args, std::FILE* log)
    : impl_(std::make_unique<Impl>()) {
  harness::adopt_orphans();  // idempotent; without it orphans go to init, unwaited
  boost::asio::io_context context;
  bp::process process(context, executable, args, bp::process_stdio{nullptr, log, log},
                      OwnProcessGroup{});
  impl_->pid = process.id();
  process.detach();  // from here on this object waits for it
}

SuiteProcess::~SuiteProcess() {
  if (impl_ && !impl_->reaped) finish();
}

bool SuiteProcess::exited() {
  if (impl_->reaped) return true;
  harness::reap_exited_children({impl_->pid});  // orphans adopted meanwhile leave no zombie
  siginfo_t info{};
  // WNOWAIT: the suite stays a zombie, which keeps its PID and so its group id reserved.
  if (::waitid(P_PID, static_cast<id_t>(impl_->pid), &info, WEXITED | WNOHANG | WNOWAIT) < 0) {
    return errno == ECHILD;
  }
  return info.si_pid != 0;
}

void SuiteProcess::request_exit() {
  if (!impl_->reaped) ::kill(-impl_->pid, SIGTERM);
}

void SuiteProcess::kill() {
  if (!impl_->reaped) ::kill(-impl_->pid, SIGKILL);
}

int SuiteProcess::finish() {
  if (!impl_->reaped) {
    ::kill(-impl_->pid, SIGKILL);  // agents the suite left behind, and the suite if it still runs
    while (::waitpid(impl_->pid, &impl_->status, 0) < 0 && errno == EINTR) {
    }
    impl_->reaped = true;
    reap_group(impl_->pid);
    // What left the group (setsid()) and was adopted by us: this process has no other children.
    harness::kill_descendants({}, kGroupExitBound);
  }
  if (WIFEXITED(impl_->status)) return WEXITSTATUS(impl_->status);
  if (WIFSIGNALED(impl_->status)) return 128 + WTERMSIG(impl_->status);
  return -1;
}

}  // namespace pipecheck::cli

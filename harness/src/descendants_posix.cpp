#include "pipecheck/harness/descendants.hpp"

#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace pipecheck::harness {
namespace {

bool kept(const std::vector<int>& keep, int pid) {
  return std::find(keep.begin(), keep.end(), pid) != keep.end();
}

// Linux with CONFIG_PROC_CHILDREN: /proc/self/task/*/children (an orphan is adopted by any thread).
bool children_from_task_lists(std::vector<int>& pids) {
  DIR* tasks = ::opendir("/proc/self/task");
  if (tasks == nullptr) return false;
  bool found = false;
  while (const dirent* task = ::readdir(tasks)) {
    if (task->d_name[0] == '.') continue;
    std::ifstream in(std::string("/proc/self/task/") + task->d_name + "/children");
    if (!in) continue;
    found = true;
    for (int pid; in >> pid;) pids.push_back(pid);
  }
  ::closedir(tasks);
  return found;
}

// Without the task lists: every /proc/PID/stat whose parent is this process.
void children_from_stat(std::vector<int>& pids) {
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return;
  const int self = static_cast<int>(::getpid());
  while (const dirent* entry = ::readdir(proc)) {
    if (entry->d_name[0] < '1' || entry->d_name[0] > '9') continue;
    std::ifstream in(std::string("/proc/") + entry->d_name + "/stat");
    std::string stat;
    if (!std::getline(in, stat)) continue;
    // "pid (comm) state ppid ...": comm may hold ')' and spaces: parse after the last ')'.
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 1));
    char state = 0;
    int parent = 0;
    if (fields >> state >> parent && parent == self) pids.push_back(std::stoi(entry->d_name));
  }
  ::closedir(proc);
}

}  // namespace

bool adopt_orphans() {
#ifdef __linux__
  return ::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;
#else
  return false;
#endif
}

std::vector<int> child_pids() {
  std::vector<int> pids;
  if (!children_from_task_lists(pids)) children_from_stat(pids);
  std::sort(pids.begin(), pids.end());
  pids.erase(std::unique(pids.begin(), pids.end()), pids.end());
  return pids;
}

int reap_exited_children(const std::vector<int>& keep) {
  int reaped = 0;
  for (const int pid : child_pids()) {
    if (kept(keep, pid)) continue;
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) ++reaped;
  }
  return reaped;
}

int kill_descendants(const std::vector<int>& keep, std::chrono::milliseconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  int killed = 0;
  while (true) {
    std::vector<int> others;
    for (const int pid : child_pids())
      if (!kept(keep, pid)) others.push_back(pid);
    if (others.empty() || std::chrono::steady_clock::now() >= deadline) return killed;
    for (const int pid : others) {
      if (::kill(pid, SIGKILL) == 0) ++killed;
    }
    // Reaping a child hands its own children to us (we are their subreaper): the next round.
    for (const int pid : others) {
      while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
  }
}

}  // namespace pipecheck::harness

// Windows part of descendants.hpp. Nothing to adopt or reap: every agent runs in a Job object
// with JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE (agent_process_windows.cpp), so whatever it starts,
// however it detaches, dies with the job when the agent is killed or its Agent destroyed; and
// `pipecheck run` puts each suite in a job of its own (cli/suite_process_windows.cpp). Windows
// has no zombies to reap: a process handle closed is a process released.
#include "pipecheck/harness/descendants.hpp"

namespace pipecheck::harness {

bool adopt_orphans() {
  return false;
}

std::vector<int> child_pids() {
  return {};
}

int reap_exited_children(const std::vector<int>&) {
  return 0;
}

int kill_descendants(const std::vector<int>&, std::chrono::milliseconds) {
  return 0;
}

}  // namespace pipecheck::harness

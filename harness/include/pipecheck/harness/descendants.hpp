// pipecheck/harness/descendants.hpp — nothing an agent starts outlives the suite that started it.
//
// Killing an agent's process group misses what left the group (setsid(), setpgid()). On Linux the
// process that runs agents becomes a child subreaper: a descendant whose parent dies becomes its
// child instead of init's, so it can still be reaped as it exits and killed at the end, however
// it escaped. Elsewhere adopt_orphans() returns false and only direct children are handled.
//
//   pipecheck::harness::adopt_orphans();             // first thing in main()
//   ...                                              // run agents; now and then:
//   pipecheck::harness::reap_exited_children({suite_pid});
//   ...
//   pipecheck::harness::kill_descendants({}, 5s);   // at the end: every descendant is gone
#pragma once

#include <chrono>
#include <vector>

namespace pipecheck::harness {

// Makes this process the child subreaper of its descendants (Linux). False where unsupported.
bool adopt_orphans();

// The PIDs of this process's children, living or exited but not reaped (Linux: /proc).
std::vector<int> child_pids();

// Reaps every child that has exited, except those in `keep` (their waiter reaps them).
// Returns how many were reaped.
int reap_exited_children(const std::vector<int>& keep = {});

// Kills (SIGKILL) and reaps every child but those in `keep`, then what gets reparented to this
// process as they die, until no other child is left or `bound` passes. Returns how many processes
// were killed.
int kill_descendants(const std::vector<int>& keep, std::chrono::milliseconds bound);

}  // namespace pipecheck::harness

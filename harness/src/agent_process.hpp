// Internal: the platform part of an Agent — the spawned process, its stdin/stdout line transport
// and its stderr log. Implemented in agent_process_posix.cpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "pipecheck/harness/agent.hpp"
#include "pipecheck/harness/transport.hpp"

namespace pipecheck::harness {

// How a process ended.
struct ExitStatus {
  std::optional<int> exit_code;  // exited normally
  std::optional<int> signal;     // killed by a signal
};

struct Agent::Process : LineTransport {
  // Spawns spec.command; throws AgentFailure (spawn_failed) naming the command and the reason.
  static std::unique_ptr<Process> spawn(const AgentSpec& spec);
  virtual ~Process() = default;

  virtual std::int64_t pid() const = 0;
  virtual const std::filesystem::path& log_path() const = 0;
  virtual std::string stderr_tail() const = 0;
  // Closes our end of the agent's stdin (the agent should exit on end of input).
  virtual void close_stdin() = 0;
  // Reaps the process if it ended; true while it runs.
  virtual bool running() = 0;
  // Waits until the process ends or the deadline passes; returns how it ended if it did.
  virtual std::optional<ExitStatus> wait_exit(Clock::time_point deadline) = 0;
  // SIGKILL, then reap. Idempotent. Returns how the process ended.
  virtual ExitStatus kill_and_reap() = 0;
};

}  // namespace pipecheck::harness

// pipecheck/harness/agent.hpp — one agent process: spawn, `hello`, bounded requests, exit, kill.
//
//   AgentSpec spec{.name = "ref-server", .command = impl.command, .log_path = logs / "server.log"};
//   auto agent = Agent::start(spec, Deadline::after(std::chrono::seconds(10)));
//   if (agent->has("listen.queue_size")) {
//     nlohmann::json listener = agent->request("listen", args, std::chrono::seconds(2));
//   }
//   agent->exit(std::chrono::seconds(2));  // or let the destructor kill and reap it
//
// Agent::start throws AgentFailure when the process cannot start or its hello is late, not JSON
// or not protocol 1. request() throws AgentReplyError on an error reply and AgentFailure (with
// the stderr tail) when the agent misbehaves; the agent is then killed and every later request
// throws AgentFailure (kind dead) at once. One Agent is used by one thread at a time; different
// Agents may be used from different threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipecheck/harness/agent_error.hpp"
#include "pipecheck/harness/clock.hpp"

namespace pipecheck::harness {

struct AgentSpec {
  std::string name{};                  // for logs and errors: "server-0", "client-3"
  std::vector<std::string> command{};  // argv; command[0] is searched on PATH when it has no '/'
  std::map<std::string, std::string> env{};  // overrides (or additions) to the environment
  // Start from a minimal environment (PATH, HOME, TMPDIR, LANG=C.UTF-8) instead of ours.
  bool clean_environment = false;
  std::filesystem::path working_dir{};  // empty: ours
  // The agent's stderr is appended here (created 0600). Empty: a private unlinked temp file.
  std::filesystem::path log_path{};
  // POSIX, as root only: setgid/setgroups/setuid in the child before exec (peer-credential
  // checks). The gid is run_as_gid, else the uid's primary group, else the uid itself.
  std::optional<std::uint32_t> run_as_uid{};
  std::optional<std::uint32_t> run_as_gid{};
  bool new_session = false;  // setsid() in the child
};

// The agent's `hello` result.
struct Hello {
  int protocol = 0;
  std::string implementation{};
  std::string version{};
  std::string platform{};  // linux, darwin, freebsd, windows
  std::string arch{};
  std::int64_t pid = 0;  // as the agent reports it (under Wine: the Windows PID)
  std::vector<std::string> capabilities{};
  // Capability -> "library" (the implementation's library does it) or "agent" (code of the agent
  // around the library does it). Only declared capabilities; a capability without an entry is
  // undeclared provenance.
  std::map<std::string, std::string> provided_by{};
  nlohmann::json raw{};
};

// Default bound for the `hello` reply once the process runs.
inline constexpr std::chrono::seconds kDefaultStartTimeout{10};

class Agent {
 public:
  static std::unique_ptr<Agent> start(const AgentSpec& spec,
                                      Deadline deadline = Deadline::after(kDefaultStartTimeout));
  ~Agent();  // kills and reaps the process if it still runs
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  const std::string& name() const;
  const Hello& hello() const;
  bool has(std::string_view capability) const;
  // The OS process id of the spawned process (not hello().pid, which may differ under Wine).
  std::int64_t pid() const;

  nlohmann::json request(std::string op, nlohmann::json args, std::chrono::milliseconds timeout);

  // Sends `exit`, waits up to `timeout` for the process to end, kills it otherwise. Returns the
  // exit code when it exited by itself with a code, nothing when it had to be killed or had
  // failed before. Never throws for a misbehaving agent.
  std::optional<int> exit(std::chrono::milliseconds timeout);
  // SIGKILL and reap (bounded). Idempotent.
  void kill();
  bool running();
  // The last ~4 KiB of the agent's stderr.
  std::string stderr_tail() const;
  const std::filesystem::path& log_path() const;

  struct Process;  // platform part (agent_process_posix.cpp)

 private:
  struct State;
  Agent(std::string name, std::unique_ptr<Process> process);
  // Records the failure (exit status, stderr tail), kills and reaps the agent, and throws it.
  [[noreturn]] void fail(AgentFailure::Details details);

  std::string name_{};
  std::unique_ptr<State> state_{};
  Hello hello_{};
};

}  // namespace pipecheck::harness

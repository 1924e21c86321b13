// suite_agent.hpp — how a conformance check starts and talks to agents.
//
// A thin layer over pipecheck::harness::Agent that adds what the suites need on top of it:
// start-up variations (environment, working directory, umask and RLIMIT_NOFILE through a `sh -c`
// prefix, a new session, a shell parent, another uid), capability checks that end a check as
// `unsupported`, and the implementation list every suite is parametrised over. Agents are killed
// and reaped when the SuiteAgent is destroyed.
//
//   AgentOptions options = agent_options("server");
//   options.env["TZ"] = "Asia/Tokyo";
//   auto agent = SuiteAgent::start(GetParam(), options);
//   PIPECHECK_REQUIRE_CAPABILITIES(*agent, "hash.pipecheck");
//   json result = agent->call("hash", hash_args(vector));
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipecheck/harness/agent.hpp"
#include "pipecheck/harness/registry.hpp"

namespace pipecheck::suites {

using json = nlohmann::json;
using namespace std::chrono_literals;

struct AgentOptions {
  std::map<std::string, std::string> env;  // set for the agent, on top of the suite's own
  std::filesystem::path working_dir;       // empty: the suite's
  std::optional<std::string> umask;        // octal, applied by `sh -c 'umask N; exec "$@"'`
  bool new_session = false;                // setsid
  bool via_shell = false;                  // start through `sh -c` (another parent process)
  std::optional<unsigned> run_as_uid;      // POSIX, root only
  std::optional<unsigned> fd_limit;        // RLIMIT_NOFILE (`ulimit -n` in the sh -c prefix)
  std::string role = "agent";              // names the agent in logs and errors
};

// Options for an agent playing `role` (designated initialisers trip -Wmissing-field-initializers).
inline AgentOptions agent_options(std::string role) {
  AgentOptions options;
  options.role = std::move(role);
  return options;
}

class SuiteAgent {
 public:
  // Starts the agent and completes `hello`. Throws harness::AgentFailure.
  static std::unique_ptr<SuiteAgent> start(const std::string& implementation,
                                           const AgentOptions& options = {});

  // Sends one request; returns its result. Throws harness::AgentReplyError for an error reply
  // and harness::AgentFailure for a crash, hang or protocol violation.
  json call(std::string_view op, const json& args, std::chrono::milliseconds timeout = 10s);

  const std::string& implementation() const { return implementation_; }
  bool has(std::string_view capability) const;
  const harness::Hello& hello() const { return agent_->hello(); }
  const std::string& platform() const { return hello().platform; }
  const std::string& arch() const { return hello().arch; }
  // The PID the agent reports (its endpoints carry it); under a shell parent or Wine it differs
  // from process_pid().
  long long pid() const { return hello().pid; }
  long long process_pid() const { return agent_->pid(); }

  // SIGKILL / TerminateProcess and reap: for checks of what a killed server leaves behind.
  void kill();

 private:
  SuiteAgent(std::string implementation, std::unique_ptr<harness::Agent> agent);

  std::string implementation_;
  std::unique_ptr<harness::Agent> agent_;
};

// Implementations selected for this run: $PIPECHECK_IMPLS, else $PIPECHECK_IMPLS_DEFAULT (the
// CMake cache variable, set by CTest), else "reference". A bad registry or selection does not
// throw here (GoogleTest calls this while registering tests); SuiteAgent::start reports it.
std::vector<std::string> selected_implementations();
// One of them, as the run's registry ($PIPECHECK_REGISTRY, else fixtures/impls.json) describes
// it. Throws naming the registry error or the name when it is not selected.
const harness::Implementation& selected_implementation(const std::string& name);
// The repository's source directory (fixtures live under it).
std::filesystem::path source_dir();

// The capabilities of `agent` that are missing from `needed` (empty when it has them all).
std::vector<std::string> missing_capabilities(const SuiteAgent& agent,
                                              const std::vector<std::string>& needed);

// GoogleTest parameter name for an implementation name ("reference", "node", ...).
std::string implementation_param_name(const std::string& implementation);

}  // namespace pipecheck::suites

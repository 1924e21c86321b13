#include "pipecheck/harness/agent.hpp"

#include <algorithm>

#include "agent_process.hpp"
#include "pipecheck/harness/agent_stderr.hpp"
#include "pipecheck/harness/protocol_client.hpp"

namespace pipecheck::harness {
namespace {

// After stdout closes, how long the agent gets to finish exiting before it is killed.
constexpr std::chrono::milliseconds kExitGrace{2000};

}  // namespace

struct Agent::State {
  std::unique_ptr<Process> process;
  ProtocolClient client;
  std::optional<AgentFailure> failure;  // with exit status and stderr tail

  explicit State(std::unique_ptr<Process> p, const std::string& name)
      : process(std::move(p)), client(name, *process, steady_clock()) {}
};

Agent::Agent(std::string name, std::unique_ptr<Process> process)
    : name_(std::move(name)), state_(std::make_unique<State>(std::move(process), name_)) {}

Agent::~Agent() {
  kill();
  // For the report: a failed check shows what its agents wrote to stderr.
  const std::string label =
      hello_.implementation.empty() ? name_ : name_ + " (" + hello_.implementation + ")";
  note_agent_stderr(label, stderr_tail());
}

std::unique_ptr<Agent> Agent::start(const AgentSpec& spec, Deadline deadline) {
  std::unique_ptr<Agent> agent(new Agent(spec.name, Process::spawn(spec)));
  auto timeout = std::chrono::ceil<std::chrono::milliseconds>(deadline.remaining());
  nlohmann::json result = agent->request("hello", {{"protocol", 1}}, timeout);

  Hello& hello = agent->hello_;
  hello.protocol = result["protocol"].get<int>();
  if (hello.protocol != 1) {
    AgentFailure::Details details;
    details.kind = AgentFailure::Kind::incompatible;
    details.agent = spec.name;
    details.op = "hello";
    details.detail = "the agent speaks protocol " + std::to_string(hello.protocol) +
                     ", the harness speaks protocol 1";
    agent->fail(std::move(details));
  }
  hello.implementation = result["implementation"].get<std::string>();
  hello.version = result["version"].get<std::string>();
  hello.platform = result["platform"].get<std::string>();
  hello.arch = result["arch"].get<std::string>();
  hello.pid = result["pid"].get<std::int64_t>();
  hello.capabilities = result["capabilities"].get<std::vector<std::string>>();
  if (result.contains("provided_by"))
    hello.provided_by = result["provided_by"].get<std::map<std::string, std::string>>();
  for (const auto& [capability, provider] : hello.provided_by) {
    if (agent->has(capability)) continue;
    AgentFailure::Details details;
    details.kind = AgentFailure::Kind::schema_violation;
    details.agent = spec.name;
    details.op = "hello";
    details.detail = "provided_by names '" + capability + "' (" + provider +
                     "), which is not one of the capabilities the agent declares";
    agent->fail(std::move(details));
  }
  hello.raw = std::move(result);
  return agent;
}

const std::string& Agent::name() const {
  return name_;
}
const Hello& Agent::hello() const {
  return hello_;
}
std::int64_t Agent::pid() const {
  return state_->process->pid();
}
std::string Agent::stderr_tail() const {
  return state_->process->stderr_tail();
}
const std::filesystem::path& Agent::log_path() const {
  return state_->process->log_path();
}
bool Agent::running() {
  return state_->process->running();
}
void Agent::kill() {
  state_->process->kill_and_reap();
}

bool Agent::has(std::string_view capability) const {
  return std::find(hello_.capabilities.begin(), hello_.capabilities.end(), capability) !=
         hello_.capabilities.end();
}

void Agent::fail(AgentFailure::Details details) {
  using Kind = AgentFailure::Kind;
  Process& process = *state_->process;
  std::optional<ExitStatus> ended;
  if (details.kind == Kind::stdout_closed) {
    ended = process.wait_exit(std::chrono::steady_clock::now() + kExitGrace);
  } else if (!process.running()) {
    ended = process.wait_exit(std::chrono::steady_clock::now());
  }
  if (ended && (details.kind == Kind::stdout_closed || details.kind == Kind::timeout)) {
    details.kind = ended->signal ? Kind::signaled : Kind::exited;
  }
  ExitStatus status = process.kill_and_reap();
  if (ended) status = *ended;
  details.exit_code = status.exit_code;
  details.signal = status.signal;
  if (!ended && details.kind != Kind::dead) details.detail += " (the harness killed the agent)";
  details.stderr_tail = process.stderr_tail();
  state_->failure.emplace(details);
  throw AgentFailure(std::move(details));
}

nlohmann::json Agent::request(std::string op, nlohmann::json args,
                              std::chrono::milliseconds timeout) {
  if (state_->failure) {
    AgentFailure::Details details = state_->failure->details();
    details.kind = AgentFailure::Kind::dead;
    details.op = op;
    details.detail = "the agent failed earlier: " + std::string(state_->failure->what());
    throw AgentFailure(std::move(details));
  }
  try {
    return state_->client.request(op, std::move(args), timeout);
  } catch (const AgentFailure& failure) {
    fail(failure.details());
  }
}

std::optional<int> Agent::exit(std::chrono::milliseconds timeout) {
  if (state_->failure) {
    kill();
    return std::nullopt;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  try {
    request("exit", nlohmann::json::object(), timeout);
  } catch (const AgentFailure& failure) {
    // An agent that exits without replying still ended by itself.
    return failure.kind() == AgentFailure::Kind::exited ? failure.exit_code() : std::nullopt;
  } catch (const AgentReplyError&) {
    // Not fatal: closing stdin asks for the exit as well.
  }
  Process& process = *state_->process;
  process.close_stdin();
  std::optional<ExitStatus> ended = process.wait_exit(deadline);
  process.kill_and_reap();
  return ended ? ended->exit_code : std::nullopt;
}

}  // namespace pipecheck::harness

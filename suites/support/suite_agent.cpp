#include "suite_agent.hpp"

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <stdexcept>

#include "common/gtest_report.hpp"
#include "pipecheck/harness/registry.hpp"

namespace pipecheck::suites {
namespace {

struct Selection {
  std::filesystem::path source_dir;
  std::vector<harness::Implementation> implementations;
  std::string error;  // why the registry or the selection could not be used
};

std::string selection_text() {
  for (const char* variable : {"PIPECHECK_IMPLS", "PIPECHECK_IMPLS_DEFAULT"}) {
    const char* value = std::getenv(variable);
    if (value != nullptr && *value != '\0') return value;
  }
  return "reference";
}

const Selection& selection() {
  static const Selection loaded = [] {
    Selection result;
    try {
      const auto vars = harness::default_registry_vars();
      result.source_dir = vars.at("SOURCE_DIR");
      const auto registry = harness::load_registry(harness::registry_path(vars), vars);
      result.implementations = harness::select_implementations(registry, selection_text());
    } catch (const std::exception& e) {
      result.error = e.what();
    }
    return result;
  }();
  return loaded;
}

// `sh -c` prefixes: umask and resource limits must be set by the agent's own parent, and a shell
// that waits for the agent (instead of exec'ing it) makes it a grandchild of the suite. On a
// Windows host there is no umask or descriptor limit to vary, and the shell is `cmd.exe /d /c`,
// which waits for the agent too.
std::vector<std::string> wrapped_command(std::vector<std::string> command,
                                         const AgentOptions& options) {
#ifdef _WIN32
  if (!options.via_shell) return command;
  std::vector<std::string> wrapped{"cmd.exe", "/d", "/c"};
  wrapped.insert(wrapped.end(), command.begin(), command.end());
  return wrapped;
#else
  if (!options.umask && !options.via_shell && !options.fd_limit) return command;
  std::string script;
  if (options.umask) script += "umask " + *options.umask + " || exit 125; ";
  if (options.fd_limit) {
    script += "ulimit -n " + std::to_string(*options.fd_limit) + " || exit 125; ";
  }
  script += options.via_shell ? "\"$@\"; status=$?; exit $status" : "exec \"$@\"";
  std::vector<std::string> wrapped{"/bin/sh", "-c", script, "sh"};
  wrapped.insert(wrapped.end(), command.begin(), command.end());
  return wrapped;
#endif
}

}  // namespace

const harness::Implementation& selected_implementation(const std::string& name) {
  const Selection& chosen = selection();
  if (!chosen.error.empty()) throw std::runtime_error("implementation registry: " + chosen.error);
  for (const auto& implementation : chosen.implementations) {
    if (implementation.name == name) return implementation;
  }
  throw std::runtime_error("implementation '" + name + "' is not selected");
}

std::unique_ptr<SuiteAgent> SuiteAgent::start(const std::string& implementation,
                                              const AgentOptions& options) {
  const harness::Implementation& chosen = selected_implementation(implementation);
  harness::AgentSpec spec = chosen.agent_spec(implementation + "-" + options.role);
  spec.command = wrapped_command(std::move(spec.command), options);
  for (const auto& [name, value] : options.env) spec.env[name] = value;
  spec.working_dir = options.working_dir;
  spec.new_session = options.new_session;
  if (options.run_as_uid) spec.run_as_uid = *options.run_as_uid;
  auto agent = harness::Agent::start(spec);
  const harness::Hello& hello = agent->hello();
  harness::report_implementation({implementation, hello.version, hello.platform, hello.arch,
                                  hello.capabilities, hello.provided_by});
  return std::unique_ptr<SuiteAgent>(new SuiteAgent(implementation, std::move(agent)));
}

SuiteAgent::SuiteAgent(std::string implementation, std::unique_ptr<harness::Agent> agent)
    : implementation_(std::move(implementation)), agent_(std::move(agent)) {}

json SuiteAgent::call(std::string_view op, const json& args, std::chrono::milliseconds timeout) {
  return agent_->request(std::string(op), args, timeout);
}

bool SuiteAgent::has(std::string_view capability) const {
  return agent_->has(capability);
}

void SuiteAgent::kill() {
  agent_->kill();
}

std::vector<std::string> selected_implementations() {
  const Selection& chosen = selection();
  std::vector<std::string> names;
  for (const auto& implementation : chosen.implementations) names.push_back(implementation.name);
  // Keep the checks visible (they fail at start with the registry error) rather than none.
  if (names.empty()) names.push_back(selection_text());
  return names;
}

std::filesystem::path source_dir() {
  const Selection& chosen = selection();
  if (chosen.source_dir.empty())
    throw std::runtime_error("implementation registry: " + chosen.error);
  return chosen.source_dir;
}

std::vector<std::string> missing_capabilities(const SuiteAgent& agent,
                                              const std::vector<std::string>& needed) {
  std::vector<std::string> missing;
  std::copy_if(needed.begin(), needed.end(), std::back_inserter(missing),
               [&](const std::string& capability) { return !agent.has(capability); });
  return missing;
}

std::string implementation_param_name(const std::string& implementation) {
  std::string name;
  for (char c : implementation) {
    const bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    name += word ? c : '_';
  }
  return name.empty() ? "unnamed" : name;
}

}  // namespace pipecheck::suites

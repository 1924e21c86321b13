// Stderr tails of agents, per check: see agent_stderr.hpp.
#include "pipecheck/harness/agent_stderr.hpp"

#include <mutex>
#include <utility>

#include "pipecheck/harness/report_view.hpp"

namespace pipecheck::harness {
namespace {

std::mutex tails_mutex;
std::map<std::string, std::string> tails;  // guarded by tails_mutex

}  // namespace

std::string stderr_tail_of(const std::string& text, std::size_t limit) {
  if (text.size() <= limit) return text;
  std::size_t start = text.size() - limit;
  const std::size_t line = text.find('\n', start);
  if (line != std::string::npos && line + 1 < text.size() && line - start < limit / 2)
    start = line + 1;
  return "[... " + std::to_string(start) + " earlier bytes]\n" + text.substr(start);
}

void note_agent_stderr(const std::string& agent, const std::string& text) {
  if (text.empty()) return;
  std::lock_guard lock(tails_mutex);
  if (tails.size() >= kAgentStderrAgents && !tails.contains(agent)) return;
  // Agents write anything: the report (JSON) needs valid UTF-8.
  tails[printable_utf8(agent)] = printable_utf8(stderr_tail_of(text, kAgentStderrBytes));
}

std::map<std::string, std::string> take_agent_stderr() {
  std::lock_guard lock(tails_mutex);
  return std::exchange(tails, {});
}

}  // namespace pipecheck::harness

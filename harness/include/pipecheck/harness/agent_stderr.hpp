// pipecheck/harness/agent_stderr.hpp — the stderr tails of the agents that ended during the
// running check, so that a failed or errored check carries what its agents said.
//
// Every Agent notes its tail when it is destroyed; the report listener takes them at the end of
// each test and keeps them on the check only when it failed or errored.
//
//   pipecheck::harness::note_agent_stderr("server-0 (node)", "listen: EADDRINUSE\n");
//   std::map<std::string, std::string> tails = pipecheck::harness::take_agent_stderr();
#pragma once

#include <cstddef>
#include <map>
#include <string>

namespace pipecheck::harness {

// Bounds: the last kAgentStderrBytes of each agent, at most kAgentStderrAgents agents per check
// (the first ones noted: the agents a check starts first are its servers).
inline constexpr std::size_t kAgentStderrBytes = 2048;
inline constexpr std::size_t kAgentStderrAgents = 8;

// Keeps the end of `text` (whole lines where it can) for `agent`; empty text is ignored.
void note_agent_stderr(const std::string& agent, const std::string& text);
// What was noted since the last call; clears it.
std::map<std::string, std::string> take_agent_stderr();
// The last `limit` bytes of `text`, starting at a line where it can, marked when cut.
std::string stderr_tail_of(const std::string& text, std::size_t limit);

}  // namespace pipecheck::harness

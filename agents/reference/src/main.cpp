// pipecheck-agent: the reference implementation behind the agent protocol
// (docs/formats/agent-protocol.md). Requests on stdin, replies on stdout, logs on stderr.
//
//   echo '{"id":1,"op":"hello","args":{"protocol":1}}' | pipecheck-agent
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "agent.hpp"
#include "platform.hpp"

int main() {
  using namespace pipecheck::agent;
  prepare_stdio();
  std::ios::sync_with_stdio(false);
  ReplyWriter out(stdout);
  Agent agent(out);
  for (std::string line; !agent.exit_requested() && std::getline(std::cin, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;  // blank: not a request
    agent.handle(line);
  }
  if (!agent.shutdown()) {
    log("some accept workers did not finish within the shutdown bound; exiting anyway");
    std::fflush(stdout);
    std::_Exit(0);
  }
  return 0;
}

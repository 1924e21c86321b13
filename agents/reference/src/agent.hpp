// agent.hpp — the agent's state and its op table (docs/formats/agent-protocol.md, version 1).
//
// handle() runs one request line and writes exactly one reply line. Op handlers live in
// ops_*.cpp and are listed in the table in agent.cpp.
//
//   ReplyWriter out(stdout);
//   Agent agent(out);
//   for (std::string line; !agent.exit_requested() && std::getline(std::cin, line);)
//     agent.handle(line);
//   agent.shutdown();
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "args.hpp"
#include "dial_run.hpp"
#include "reply_writer.hpp"
#include "served_listener.hpp"

namespace pipecheck::agent {

inline constexpr int kProtocolVersion = 1;
// The most threads (or accept workers) one `listen` or `dial` may ask for.
inline constexpr std::int64_t kMaxThreads = 4096;

class Agent {
 public:
  explicit Agent(ReplyWriter& out) : out_(out) {}

  void handle(std::string_view line);
  bool exit_requested() const { return exit_requested_; }
  // Closes every listener and cancels prepared dials; false if some thread did not finish in time.
  bool shutdown();

  // State the op handlers work on.
  std::map<std::string, std::unique_ptr<ServedListener>> listeners;
  int next_listener = 1;
  std::map<std::string, std::unique_ptr<DialRun>> prepared_dials;
  int next_dial = 1;
  void request_exit() { exit_requested_ = true; }

  ServedListener& listener_named(const std::string& name);

 private:
  ReplyWriter& out_;
  bool exit_requested_ = false;
};

using OpHandler = nlohmann::json (*)(Agent&, Args&);

// One per op, in ops_*.cpp.
nlohmann::json op_hello(Agent&, Args&);
nlohmann::json op_hash(Agent&, Args&);
nlohmann::json op_discover(Agent&, Args&);
nlohmann::json op_listen(Agent&, Args&);
nlohmann::json op_close(Agent&, Args&);
nlohmann::json op_counters(Agent&, Args&);
nlohmann::json op_dial(Agent&, Args&);
nlohmann::json op_prepare_dial(Agent&, Args&);
nlohmann::json op_fire(Agent&, Args&);
nlohmann::json op_exit(Agent&, Args&);

}  // namespace pipecheck::agent

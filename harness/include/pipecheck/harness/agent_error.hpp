// pipecheck/harness/agent_error.hpp — the two ways an agent request fails: the agent answered
// with an error reply (AgentReplyError), or the agent misbehaved (AgentFailure).
//
//   try { agent->request("listen", args, 2s); }
//   catch (const AgentReplyError& e) { if (e.code() == "unsupported") ... }
//   catch (const AgentFailure& e) { record_error(e.agent(), e.what(), e.stderr_tail()); }
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipecheck/harness/json_schema.hpp"

namespace pipecheck::harness {

// The agent replied `{"ok": false, "error": {...}}`. The agent is still healthy.
class AgentReplyError : public std::runtime_error {
 public:
  AgentReplyError(std::string agent, std::string op, nlohmann::json error);

  const std::string& agent() const { return agent_; }
  const std::string& op() const { return op_; }
  const std::string& code() const { return code_; }  // "unsupported", "invalid_argument", ...
  const std::string& message() const { return message_; }
  bool definite() const { return definite_; }
  const nlohmann::json& error() const { return error_; }  // the whole error object

 private:
  std::string agent_, op_, code_, message_;
  bool definite_ = false;
  nlohmann::json error_;
};

// The agent broke the protocol or died. The agent is killed; every later request fails the same
// way at once.
class AgentFailure : public std::runtime_error {
 public:
  enum class Kind {
    spawn_failed,        // the command could not be started
    timeout,             // no reply within the deadline
    exited,              // the agent exited (exit_code) before replying
    signaled,            // the agent was killed by a signal (signal) before replying
    stdout_closed,       // the agent closed stdout without exiting
    protocol_violation,  // a line that is not a JSON object, a wrong id, a line > 1 MiB
    schema_violation,    // a JSON reply that breaks docs/formats/agent-protocol/*.schema.json
    incompatible,        // hello said a protocol other than 1
    dead,                // an earlier failure killed this agent
  };

  struct Details {
    Kind kind = Kind::protocol_violation;
    std::string agent;           // AgentSpec::name
    std::string op;              // the request being answered ("hello" during start)
    std::string detail;          // what happened, in words
    std::string offending_line;  // protocol_violation / schema_violation
    std::vector<SchemaViolation> schema_errors;  // schema_violation
    std::optional<int> exit_code;                // exited
    std::optional<int> signal;                   // signaled
    std::string stderr_tail;                     // last ~4 KiB of the agent's stderr
  };

  explicit AgentFailure(Details details);

  Kind kind() const { return details_.kind; }
  const Details& details() const { return details_; }
  const std::string& agent() const { return details_.agent; }
  const std::string& op() const { return details_.op; }
  const std::string& offending_line() const { return details_.offending_line; }
  const std::vector<SchemaViolation>& schema_errors() const { return details_.schema_errors; }
  std::optional<int> exit_code() const { return details_.exit_code; }
  std::optional<int> signal() const { return details_.signal; }
  const std::string& stderr_tail() const { return details_.stderr_tail; }

  // {"kind", "agent", "op", "detail", "line"?, "schema_errors"?, "exit_code"?, "signal"?,
  //  "stderr_tail"}
  nlohmann::json to_json() const;

 private:
  Details details_;
};

std::string_view to_string(AgentFailure::Kind kind);

}  // namespace pipecheck::harness

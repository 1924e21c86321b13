#include "pipecheck/harness/agent_error.hpp"

#include <algorithm>

#include "pipecheck/harness/outside_input.hpp"

namespace pipecheck::harness {
namespace {

std::string reply_error_message(const std::string& agent, const std::string& op,
                                const nlohmann::json& error) {
  std::string code = error.value("code", "?");
  std::string message = error.value("message", "");
  return agent + ": " + op + " failed: " + code + ": " + message;
}

std::string failure_message(const AgentFailure::Details& d) {
  std::string text = d.agent + ": " + d.op + ": " + std::string(to_string(d.kind));
  if (!d.detail.empty()) text += ": " + d.detail;
  if (d.exit_code) text += " (exit code " + std::to_string(*d.exit_code) + ")";
  if (d.signal) text += " (signal " + std::to_string(*d.signal) + ")";
  if (!d.offending_line.empty()) {
    // Cut at 200 bytes, but never inside a character: the line is valid UTF-8 (printable()).
    std::size_t end = std::min<std::size_t>(d.offending_line.size(), 200);
    while (end < d.offending_line.size() && end > 0 &&
           (static_cast<unsigned char>(d.offending_line[end]) & 0xC0) == 0x80)
      --end;
    text +=
        "; line: " + d.offending_line.substr(0, end) + (end < d.offending_line.size() ? "..." : "");
  }
  if (!d.schema_errors.empty()) text += "; schema: " + to_string(d.schema_errors);
  return text;
}

// What an agent wrote may be any bytes: keep the details valid UTF-8 so that they can be reported.
AgentFailure::Details printable(AgentFailure::Details details) {
  details.detail = escape_invalid_utf8(details.detail);
  details.offending_line = escape_invalid_utf8(details.offending_line);
  details.stderr_tail = escape_invalid_utf8(details.stderr_tail);
  return details;
}

}  // namespace

AgentReplyError::AgentReplyError(std::string agent, std::string op, nlohmann::json error)
    : std::runtime_error(reply_error_message(agent, op, error)),
      agent_(std::move(agent)),
      op_(std::move(op)),
      code_(error.value("code", "")),
      message_(error.value("message", "")),
      definite_(error.value("definite", false)),
      error_(std::move(error)) {}

AgentFailure::AgentFailure(Details details)
    : std::runtime_error(failure_message(printable(details))),
      details_(printable(std::move(details))) {}

nlohmann::json AgentFailure::to_json() const {
  nlohmann::json out = {{"kind", to_string(details_.kind)},
                        {"agent", details_.agent},
                        {"op", details_.op},
                        {"detail", details_.detail},
                        {"stderr_tail", details_.stderr_tail}};
  if (!details_.offending_line.empty()) out["line"] = details_.offending_line;
  if (!details_.schema_errors.empty()) {
    nlohmann::json errors = nlohmann::json::array();
    for (const auto& e : details_.schema_errors) errors.push_back(e.to_string());
    out["schema_errors"] = std::move(errors);
  }
  if (details_.exit_code) out["exit_code"] = *details_.exit_code;
  if (details_.signal) out["signal"] = *details_.signal;
  return out;
}

std::string_view to_string(AgentFailure::Kind kind) {
  switch (kind) {
    case AgentFailure::Kind::spawn_failed:
      return "spawn_failed";
    case AgentFailure::Kind::timeout:
      return "timeout";
    case AgentFailure::Kind::exited:
      return "exited";
    case AgentFailure::Kind::signaled:
      return "signaled";
    case AgentFailure::Kind::stdout_closed:
      return "stdout_closed";
    case AgentFailure::Kind::protocol_violation:
      return "protocol_violation";
    case AgentFailure::Kind::schema_violation:
      return "schema_violation";
    case AgentFailure::Kind::incompatible:
      return "incompatible";
    case AgentFailure::Kind::dead:
      return "dead";
  }
  return "unknown";
}

}  // namespace pipecheck::harness

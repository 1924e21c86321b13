#include "pipecheck/harness/protocol_client.hpp"

#include <cstdio>

#include "pipecheck/harness/outside_input.hpp"

namespace pipecheck::harness {
namespace {

std::string milliseconds_text(Clock::duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}

// The start of an offending line, printable and valid UTF-8 (invalid bytes as \xNN).
std::string first_bytes(const std::string& text, std::size_t limit = 512) {
  return escape_invalid_utf8(text.size() > limit ? text.substr(0, limit) + "..." : text);
}

}  // namespace

ProtocolClient::ProtocolClient(std::string agent_name, LineTransport& transport, const Clock& clock,
                               const SchemaSet& schemas)
    : agent_name_(std::move(agent_name)), transport_(transport), clock_(clock), schemas_(schemas) {}

void ProtocolClient::fail(AgentFailure::Kind kind, std::string_view op, std::string detail,
                          std::string line, std::vector<SchemaViolation> schema_errors) {
  AgentFailure::Details details;
  details.kind = kind;
  details.agent = agent_name_;
  details.op = std::string(op);
  details.detail = std::move(detail);
  details.offending_line = std::move(line);
  details.schema_errors = std::move(schema_errors);
  failure_.emplace(details);
  throw AgentFailure(std::move(details));
}

nlohmann::json ProtocolClient::request(std::string_view op, nlohmann::json args,
                                       Clock::duration timeout) {
  if (failure_) {
    AgentFailure::Details details = failure_->details();
    details.kind = AgentFailure::Kind::dead;
    details.op = std::string(op);
    details.detail = "the agent failed earlier (" + std::string(failure_->what()) + ")";
    throw AgentFailure(std::move(details));
  }
  const auto deadline = clock_.now() + timeout;
  const std::int64_t id = next_id_++;
  nlohmann::json request = {{"id", id}, {"op", op}, {"args", std::move(args)}};
  switch (transport_.write_line(request.dump(), deadline)) {
    case LineTransport::WriteResult::written:
      break;
    case LineTransport::WriteResult::closed:
      fail(AgentFailure::Kind::stdout_closed, op, "the agent closed its stdin");
    case LineTransport::WriteResult::timeout:
      fail(AgentFailure::Kind::timeout, op,
           "the agent did not read its stdin within " + milliseconds_text(timeout));
  }

  while (true) {
    if (clock_.now() >= deadline) {
      fail(AgentFailure::Kind::timeout, op, "no reply within " + milliseconds_text(timeout));
    }
    LineEvent event = transport_.read_line(deadline);
    switch (event.kind) {
      case LineEvent::Kind::timeout:
        fail(AgentFailure::Kind::timeout, op, "no reply within " + milliseconds_text(timeout));
      case LineEvent::Kind::eof:
        fail(AgentFailure::Kind::stdout_closed, op, "stdout closed before the reply",
             first_bytes(event.text));
      case LineEvent::Kind::too_long:
        fail(AgentFailure::Kind::protocol_violation, op,
             "a line longer than " + std::to_string(kMaxLineBytes) + " bytes",
             first_bytes(event.text));
      case LineEvent::Kind::line:
        break;
    }

    // Replies are UTF-8 JSON (docs/formats/agent-protocol.md); anything else is the agent's fault.
    if (const auto offset = invalid_utf8_at(event.text)) {
      char byte[8];
      std::snprintf(byte, sizeof byte, "0x%02x", static_cast<unsigned char>(event.text[*offset]));
      fail(AgentFailure::Kind::protocol_violation, op,
           "stdout line is not valid UTF-8 (byte " + std::string(byte) + " at offset " +
               std::to_string(*offset) + ")",
           first_bytes(event.text));
    }
    nlohmann::json reply;
    try {
      reply = parse_outside_json(event.text);
    } catch (const OutsideJsonError& e) {
      fail(AgentFailure::Kind::protocol_violation, op,
           std::string("stdout line is not acceptable JSON: ") + e.what(), first_bytes(event.text));
    }
    if (!reply.is_object()) {
      fail(AgentFailure::Kind::protocol_violation, op, "stdout line is not a JSON object",
           first_bytes(event.text));
    }
    if (auto errors = schemas_.validate(reply, "envelope.schema.json#/$defs/reply");
        !errors.empty()) {
      fail(AgentFailure::Kind::schema_violation, op, "the reply breaks envelope.schema.json",
           first_bytes(event.text), std::move(errors));
    }
    if (reply["id"] != id) {
      fail(AgentFailure::Kind::protocol_violation, op,
           "reply id " + reply["id"].dump() + " does not match request id " + std::to_string(id),
           first_bytes(event.text));
    }
    if (!reply["ok"].get<bool>()) {
      throw AgentReplyError(agent_name_, std::string(op), std::move(reply["error"]));
    }
    const std::string result_schema = std::string(op) + ".schema.json#/$defs/result";
    if (schemas_.contains(result_schema)) {
      if (auto errors = schemas_.validate(reply["result"], result_schema, "/result");
          !errors.empty()) {
        fail(AgentFailure::Kind::schema_violation, op,
             "the result breaks " + std::string(op) + ".schema.json", first_bytes(event.text),
             std::move(errors));
      }
    }
    return std::move(reply["result"]);
  }
}

}  // namespace pipecheck::harness

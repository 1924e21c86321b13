// pipecheck/harness/protocol_client.hpp — the harness side of the agent protocol over any
// LineTransport: request ids, one request at a time, deadlines, reply validation.
//
//   ProtocolClient client("ref-server", transport, steady_clock());
//   nlohmann::json result = client.request("listen", args, std::chrono::seconds(2));
//
// Every line the agent writes is checked: JSON object, matching id, envelope schema
// (envelope.schema.json#/$defs/reply) and, for ops with a schema, the result schema
// ({op}.schema.json#/$defs/result). Failures throw AgentFailure (without stderr tail or exit
// status — Agent adds those); error replies throw AgentReplyError. After an AgentFailure the
// client is broken and throws Kind::dead for every later request.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "pipecheck/harness/agent_error.hpp"
#include "pipecheck/harness/clock.hpp"
#include "pipecheck/harness/json_schema.hpp"
#include "pipecheck/harness/transport.hpp"

namespace pipecheck::harness {

class ProtocolClient {
 public:
  ProtocolClient(std::string agent_name, LineTransport& transport, const Clock& clock,
                 const SchemaSet& schemas = protocol_schemas());

  // Sends {"id", "op", "args"} and returns the reply's `result` on ok.
  nlohmann::json request(std::string_view op, nlohmann::json args, Clock::duration timeout);

  bool broken() const { return failure_.has_value(); }
  // The failure that broke the client, if any.
  const std::optional<AgentFailure>& failure() const { return failure_; }
  std::int64_t last_id() const { return next_id_ - 1; }

 private:
  [[noreturn]] void fail(AgentFailure::Kind kind, std::string_view op, std::string detail,
                         std::string line = {}, std::vector<SchemaViolation> schema_errors = {});

  std::string agent_name_;
  LineTransport& transport_;
  const Clock& clock_;
  const SchemaSet& schemas_;
  std::int64_t next_id_ = 1;
  std::optional<AgentFailure> failure_;
};

}  // namespace pipecheck::harness

// The `dial`, `prepare_dial` and `fire` ops.
#include "agent.hpp"
#include "pipecheck/naming.hpp"

namespace pipecheck::agent {

namespace {

constexpr std::int64_t kMaxCount = 10'000'000;
constexpr std::int64_t kMaxMs = 3'600'000;
// A recorded outcome and latency cost up to ~20 bytes of the 1 MiB reply line.
constexpr std::int64_t kMaxRecordedAttempts = 50'000;

std::chrono::milliseconds milliseconds_arg(Args& args, const std::string& name,
                                           std::int64_t fallback, std::int64_t min) {
  return std::chrono::milliseconds(args.integer(name, fallback, min, kMaxMs));
}

// The `path` argument, or the path computed from handshake arguments and `pid`.
std::string dial_path(Args& args) {
  if (const auto path = args.string("path")) {
    if (path->empty())
      throw ProtocolError::invalid_argument("path", "arg 'path': must not be empty");
    return *path;
  }
  if (!args.has("fields"))
    throw ProtocolError::bad_request(
        "dial needs 'path', or handshake arguments ('profile', 'fields', ...) and 'pid'");
  const pipecheck::ProcessId pid = read_pid(args);
  const HandshakeArgs hs = read_handshake_args(args);
  return mapping_impl_errors(
      [&] { return pipecheck::endpoint_for(hs.handshake, pid, hs.naming).path; });
}

DialPlan read_dial_plan(Args& args) {
  DialPlan plan;
  plan.path = dial_path(args);
  plan.threads = static_cast<int>(args.integer("threads", 1, 1, kMaxThreads));
  plan.count = static_cast<int>(args.integer("count", 1, 0, kMaxCount));
  plan.timeout = milliseconds_arg(args, "timeout_ms", 1000, 0);
  if (const nlohmann::json* retry = args.raw("retry"); retry != nullptr && !retry->is_null()) {
    if (!retry->is_object())
      throw ProtocolError::bad_request(
          std::string("arg 'retry': expected null or an object, got ") + retry->type_name());
    Args retry_args(*retry);
    plan.retry_deadline =
        std::chrono::milliseconds(retry_args.integer("deadline_ms", 2000, 0, kMaxMs));
    retry_args.finish();
  }
  if (const nlohmann::json* hash = args.raw("handshake"); hash != nullptr && !hash->is_null()) {
    if (!hash->is_string())
      throw ProtocolError::bad_request(
          std::string("arg 'handshake': expected null or a hash string, got ") + hash->type_name());
    plan.handshake_hash = hash->get<std::string>();
  }
  plan.hold = milliseconds_arg(args, "hold_ms", 0, 0);
  plan.keep_open = args.boolean("keep_open", false);
  plan.pace = std::chrono::microseconds(args.integer("pace_us", 0, 0, kMaxMs * 1000));
  plan.record_sequence = args.boolean("record_sequence", false);
  plan.record_latencies = args.boolean("record_latencies", false);
  args.finish();
  const std::int64_t attempts = static_cast<std::int64_t>(plan.threads) * plan.count;
  if ((plan.record_sequence || plan.record_latencies) && attempts > kMaxRecordedAttempts)
    throw ProtocolError::invalid_argument(
        plan.record_sequence ? "record_sequence" : "record_latencies",
        "record_sequence/record_latencies: at most " + std::to_string(kMaxRecordedAttempts) +
            " attempts (threads x count) fit the 1 MiB reply line, asked for " +
            std::to_string(attempts));
  return plan;
}

}  // namespace

nlohmann::json op_dial(Agent&, Args& args) {
  DialRun run(read_dial_plan(args));
  return run.fire();
}

nlohmann::json op_prepare_dial(Agent& agent, Args& args) {
  auto run = std::make_unique<DialRun>(read_dial_plan(args));
  const std::string token = "D" + std::to_string(agent.next_dial++);
  agent.prepared_dials.emplace(token, std::move(run));
  return {{"token", token}};
}

nlohmann::json op_fire(Agent& agent, Args& args) {
  const auto token = args.string("token");
  args.finish();
  if (!token) throw ProtocolError::bad_request("arg 'token': required (from prepare_dial)");
  const auto it = agent.prepared_dials.find(*token);
  if (it == agent.prepared_dials.end())
    throw ProtocolError::invalid_argument(
        "token", "arg 'token': '" + *token + "' names no prepared dial of this agent");
  const std::unique_ptr<DialRun> run = std::move(it->second);
  agent.prepared_dials.erase(it);
  return run->fire();
}

}  // namespace pipecheck::agent

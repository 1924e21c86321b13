// The `listen`, `close` and `counters` ops.
#include "agent.hpp"
#include "platform.hpp"

namespace pipecheck::agent {

namespace {

constexpr std::int64_t kMaxQueueSize = 65535;
constexpr std::int64_t kMaxHoldMs = 3'600'000;

std::string listener_arg(Args& args) {
  const auto name = args.string("listener");
  if (!name)
    throw ProtocolError::bad_request("arg 'listener': required (a listener name like 'L1')");
  return *name;
}

}  // namespace

nlohmann::json op_listen(Agent& agent, Args& args) {
  const HandshakeArgs hs = read_handshake_args(args);
  pipecheck::ListenOptions listen{.naming = hs.naming};
  listen.pid = args.has("pid") ? read_pid(args) : 0;
  listen.queue_size = static_cast<int>(args.integer("queue_size", 1, 0, kMaxQueueSize));
  ServeOptions serve;
  serve.accept_workers = static_cast<int>(args.integer("accept_workers", 1, 0, kMaxThreads));
  serve.handshake = args.boolean("handshake", true);
  serve.hold = std::chrono::milliseconds(args.integer("hold_ms", 0, 0, kMaxHoldMs));
  args.finish();

  auto served = mapping_impl_errors(
      [&] { return std::make_unique<ServedListener>(hs.handshake, listen, serve); });
  const std::string name = "L" + std::to_string(agent.next_listener++);
  nlohmann::json result{
      {"listener", name}, {"name", served->endpoint().name}, {"path", served->endpoint().path}};
  agent.listeners.emplace(name, std::move(served));
  return result;
}

nlohmann::json op_close(Agent& agent, Args& args) {
  const std::string name = listener_arg(args);
  const auto threads = static_cast<int>(args.integer("threads", 1, 1, kMaxThreads));
  args.finish();
  ServedListener& served = agent.listener_named(name);
  const CloseReport report = served.close(threads);
  // A closed listener is forgotten: closing or naming it again is `unknown_listener`
  // (docs/formats/agent-protocol.md).
  agent.listeners.erase(name);
  return {{"pending_accepts", report.pending_accepts},
          {"unblocked", report.unblocked},
          {"max_unblock_ms", report.max_unblock_ms},
          {"endpoint_removed", report.endpoint_removed}};
}

nlohmann::json op_counters(Agent& agent, Args& args) {
  const std::optional<std::string> name =
      args.has("listener") ? std::optional(listener_arg(args)) : std::nullopt;
  args.finish();
  nlohmann::json result = nlohmann::json::object();
  if (name) {
    const ListenerCounters counters = agent.listener_named(*name).counters();
    result = {{"accepted", counters.accepted},
              {"handshake_ok", counters.handshake_ok},
              {"handshake_failed", counters.handshake_failed},
              {"denied", counters.denied},
              {"accept_errors", counters.accept_errors}};
  }
  if (const auto open = open_descriptor_count()) result["open_fds"] = *open;
  return result;
}

}  // namespace pipecheck::agent

// The `hello` and `exit` ops.
#include "agent.hpp"
#include "pipecheck/hash_profile.hpp"
#include "pipecheck/identity.hpp"
#include "platform.hpp"

namespace pipecheck::agent {

namespace {

// What the reference really supports (docs/formats/agent-protocol.md, Capabilities).
nlohmann::json capabilities() {
  nlohmann::json out = {
      "hash.pipecheck", "hash.msbuild",      "discover", "discover.report",  "discover.reclaim",
      "listen",         "listen.queue_size", "dial",     "dial.retry",       "dial.threads",
      "dial.barrier",   "dial.latencies",    "close",    "close.concurrent", "counters",
      "peer-check",     "fields.hex"};
  if (open_descriptor_count()) out.push_back("fd-count");  // Wine's handle count is a stub
  if (platform_name() != "windows") {
    out.push_back("secure-directory");  // SEC-1..3 are unix-only
    out.push_back("discover.legacy");   // the legacy prober is POSIX-only
  }
  return out;
}

// Who provides each capability (hello `provided_by`): the reference library impl/ ("library"),
// or this agent's own code around it ("agent"): the start barrier, latency samples, listener
// counters and the descriptor count exist only for the harness.
nlohmann::json provided_by(const nlohmann::json& declared) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& capability : declared) {
    const std::string name = capability.get<std::string>();
    const bool agent_code = name == "dial.barrier" || name == "dial.latencies" ||
                            name == "counters" || name == "fd-count";
    out[name] = agent_code ? "agent" : "library";
  }
  return out;
}

}  // namespace

nlohmann::json op_hello(Agent&, Args& args) {
  const auto protocol = args.integer("protocol", kProtocolVersion, 0, 1'000'000);
  args.finish();
  if (protocol != kProtocolVersion)
    throw ProtocolError::bad_request("protocol " + std::to_string(protocol) +
                                     " is not supported; this agent speaks protocol " +
                                     std::to_string(kProtocolVersion));
  return {{"protocol", kProtocolVersion},       {"implementation", "reference"},
          {"version", PIPECHECK_AGENT_VERSION}, {"platform", platform_name()},
          {"arch", pipecheck::current_arch()},  {"pid", pipecheck::current_pid()},
          {"capabilities", capabilities()},     {"provided_by", provided_by(capabilities())}};
}

nlohmann::json op_exit(Agent& agent, Args& args) {
  args.finish();
  agent.request_exit();
  return nlohmann::json::object();
}

}  // namespace pipecheck::agent

// The `hash` op.
#include "agent.hpp"
#include "pipecheck/naming.hpp"

namespace pipecheck::agent {

nlohmann::json op_hash(Agent&, Args& args) {
  const pipecheck::ProcessId pid = read_pid(args);
  const HandshakeArgs hs = read_handshake_args(args);
  args.finish();
  const pipecheck::Endpoint endpoint =
      mapping_impl_errors([&] { return pipecheck::endpoint_for(hs.handshake, pid, hs.naming); });
  return {{"key", hs.handshake.key},
          {"hash", hs.handshake.hash},
          {"name", endpoint.name},
          {"path", endpoint.path}};
}

}  // namespace pipecheck::agent

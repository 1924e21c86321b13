// The `discover` op.
#include "agent.hpp"
#include "pipecheck/discovery.hpp"

namespace pipecheck::agent {

nlohmann::json op_discover(Agent&, Args& args) {
  const HandshakeArgs hs = read_handshake_args(args);
  const bool reclaim = args.boolean("reclaim", false);
  const std::string method = args.string("method").value_or("listing");
  read_pid(args);  // allowed with the handshake arguments, but discovery computes no name
  args.finish();
  if (method != "listing" && method != "legacy")
    throw ProtocolError::invalid_argument(
        "method", "arg 'method': must be 'listing' or 'legacy', got '" + method + "'");

  const pipecheck::DiscoveryResult found = mapping_impl_errors([&] {
    return pipecheck::discover(hs.handshake,
                               {.naming = hs.naming,
                                .method = method == "legacy" ? pipecheck::DiscoveryMethod::legacy
                                                             : pipecheck::DiscoveryMethod::listing,
                                .reclaim_stale = reclaim});
  });
  nlohmann::json live = nlohmann::json::array();
  for (const auto& endpoint : found.live)
    live.push_back({{"name", endpoint.name}, {"pid", endpoint.pid}, {"path", endpoint.path}});
  nlohmann::json rejected = nlohmann::json::array();
  for (const auto& entry : found.rejected)
    rejected.push_back(
        {{"name", entry.name}, {"reason", std::string(pipecheck::to_string(entry.reason))}});
  return {{"method", std::string(pipecheck::to_string(found.method))},
          {"live", std::move(live)},
          {"rejected", std::move(rejected)},
          {"reclaimed", found.reclaimed}};
}

}  // namespace pipecheck::agent

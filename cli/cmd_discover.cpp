// pipecheck discover — live endpoints of a handshake, and every entry rejected with its reason
// (DISC-*). Exit 0 whether or not anything was found; 1 when the directory is insecure.
#include <string>
#include <vector>

#include "commands.hpp"
#include "handshake_options.hpp"
#include "output.hpp"
#include "pipecheck/discovery.hpp"

namespace pipecheck::cli {

int cmd_discover(const std::vector<std::string>& args) {
  const auto specs = with_handshake_options(
      {{"reclaim", "", "remove our stale endpoints (dead PID, connect refused)"}});
  if (help_requested(args)) {
    print_text(
        "usage: pipecheck discover <handshake options> [--reclaim] [--json]\n"
        "Lists the endpoint directory for {prefix}-{hash}-*: live endpoints (by PID) and the\n"
        "entries rejected (malformed_name, not_a_socket, foreign_owner, stale).\n\noptions:\n" +
        describe_options(specs));
    return 0;
  }
  const ParsedOptions options = parse_options(args, specs);
  const Handshake hs = handshake_from(options);
  DiscoveryOptions discovery;
  discovery.naming = naming_from(options);
  discovery.reclaim_stale = options.has("reclaim");
  const std::string directory = endpoint_directory(hs, discovery.naming);
  // NAME-6 as for hash, serve and dial: the name of every possible PID fits the path budget.
  (void)endpoint_for(hs, max_process_id(), discovery.naming);
  const DiscoveryResult found = discover(hs, discovery);

  if (options.has("json")) {
    nlohmann::json live = nlohmann::json::array(), rejected = nlohmann::json::array();
    for (const auto& ep : found.live)
      live.push_back({{"pid", ep.pid}, {"name", ep.name}, {"path", ep.path}});
    for (const auto& entry : found.rejected) {
      rejected.push_back(
          {{"name", entry.name}, {"reason", to_string(entry.reason)}, {"detail", entry.detail}});
    }
    print_json({{"hash", hs.hash},
                {"directory", directory},
                {"live", live},
                {"rejected", rejected},
                {"reclaimed", found.reclaimed}});
    return 0;
  }
  print_text("directory " + escaped(directory) + "  hash " + hs.hash);
  print_text(std::to_string(found.live.size()) + " live, " + std::to_string(found.rejected.size()) +
             " rejected, " + std::to_string(found.reclaimed.size()) + " reclaimed");
  for (const auto& ep : found.live)
    print_text("live      " + std::to_string(ep.pid) + "  " + escaped(ep.path));
  for (const auto& entry : found.rejected) {
    print_text("rejected  " + escaped(entry.name) + "  " + std::string(to_string(entry.reason)) +
               ": " + escaped(entry.detail));
  }
  for (const auto& name : found.reclaimed) print_text("reclaimed " + escaped(name));
  return 0;
}

}  // namespace pipecheck::cli

// pipecheck hash — the key, hash, endpoint name and path of a handshake (HASH-*, NAME-*).
#include <string>
#include <vector>

#include "commands.hpp"
#include "handshake_options.hpp"
#include "output.hpp"
#include "pipecheck/identity.hpp"

namespace pipecheck::cli {

int cmd_hash(const std::vector<std::string>& args) {
  const auto specs =
      with_handshake_options({{"pid", "N", "PID in the endpoint name (default: this process)"}});
  if (help_requested(args)) {
    print_text(
        "usage: pipecheck hash [--profile pipecheck] --kind K --version V --arch A --salt S "
        "[--user U]\n"
        "       pipecheck hash --profile msbuild --options N --salt N --version V [--session N]\n"
        "Prints the canonical key, the hash, the endpoint name and its path.\n\noptions:\n" +
        describe_options(specs));
    return 0;
  }
  const ParsedOptions options = parse_options(args, specs);
  const Handshake hs = handshake_from(options);
  const ProcessId pid = options.number("pid", 1, max_process_id(), current_pid());
  const Endpoint ep = endpoint_for(hs, pid, naming_from(options));
  if (options.has("json")) {
    print_json({{"profile", hs.profile},
                {"key", hs.key},
                {"hash", hs.hash},
                {"name", ep.name},
                {"path", ep.path}});
  } else {
    print_text("profile  " + hs.profile);
    print_text("key      " + escaped(hs.key));
    print_text("hash     " + hs.hash);
    print_text("name     " + escaped(ep.name));
    print_text("path     " + escaped(ep.path));
  }
  return 0;
}

}  // namespace pipecheck::cli

// commands.hpp — the pipecheck subcommands; main.cpp dispatches through a table of these.
//
// Each subcommand lives in cli/cmd_<name>.cpp, parses its own options (see options.hpp) and
// returns the process exit code: 0 success, 1 failure, 2 bad input (or throws UsageError /
// pipecheck::Error, which main() turns into exit code 2 or 1 with the message on stderr).
//
//   int cmd_hash(const std::vector<std::string>& args);   // args after "hash"
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pipecheck::cli {

using CommandFunction = int (*)(const std::vector<std::string>& args);

struct Command {
  std::string_view name;
  std::string_view summary;
  CommandFunction run;
};

int cmd_hash(const std::vector<std::string>& args);
int cmd_discover(const std::vector<std::string>& args);
int cmd_serve(const std::vector<std::string>& args);
int cmd_dial(const std::vector<std::string>& args);
// Built only with the harness (PIPECHECK_CLI_HARNESS=1, the POSIX build).
int cmd_run(const std::vector<std::string>& args);
int cmd_report(const std::vector<std::string>& args);

}  // namespace pipecheck::cli

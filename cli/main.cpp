// pipecheck — the command line: compute hashes, discover, serve and dial rendezvous endpoints,
// and (in the POSIX build, which has the harness) run the conformance suites and export reports.
//
//   pipecheck hash --kind worker --version 17.8 --arch '*' --salt tools --json
//   pipecheck serve --kind worker --version 17.8 --arch '*' --salt tools --count 1
//
// Exit codes: 0 success, 1 failure (an outcome or an OS error), 2 bad input.
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "arguments.hpp"
#include "commands.hpp"
#include "options.hpp"
#include "pipecheck/error.hpp"

// 1: `run` and `report` are built (the harness is linked); 0: a build without the harness (the
// qemu-user legs' cross builds). Set by cli/CMakeLists.txt.
#ifndef PIPECHECK_CLI_HARNESS
#error "PIPECHECK_CLI_HARNESS is not defined (cli/CMakeLists.txt sets it to 1 or 0)"
#endif

namespace {

using pipecheck::cli::Command;

// One line per subcommand.
constexpr Command kCommands[] = {
    {"hash", "compute the key, hash, endpoint name and path of a handshake",
     pipecheck::cli::cmd_hash},
    {"discover", "list live endpoints of a handshake and the entries rejected",
     pipecheck::cli::cmd_discover},
    {"serve", "listen on the endpoint of a handshake and answer wire handshakes",
     pipecheck::cli::cmd_serve},
    {"dial", "connect to an endpoint and do the client wire handshake", pipecheck::cli::cmd_dial},
#if PIPECHECK_CLI_HARNESS
    {"run", "run the conformance suites against implementations and write a report",
     pipecheck::cli::cmd_run},
    {"report", "export a report to CTRF, merge, validate or summarise reports",
     pipecheck::cli::cmd_report},
#endif
};

#if !PIPECHECK_CLI_HARNESS
// Subcommands that need the harness, which this build has not.
constexpr std::string_view kHarnessCommands[] = {"run", "report"};
constexpr std::string_view kWithoutHarness =
    "not in this build: run and report need the harness, and this build has no harness\n"
    "(it has hash, discover, serve and dial; the qemu-user legs build impl/ and the CLI only).\n"
    "Run `pipecheck run` and `pipecheck report` from a native build; see docs/platforms.md.\n";
#endif

void print_usage(std::ostream& out) {
  out << "usage: pipecheck <command> [options]   (pipecheck <command> --help for its options)\n\n"
         "commands:\n";
  for (const auto& command : kCommands) {
    std::string name(command.name);
    name.resize(10, ' ');
    out << "  " << name << command.summary << "\n";
  }
#if !PIPECHECK_CLI_HARNESS
  out << "\n" << kWithoutHarness;
#endif
  out << "\nexit codes: 0 success, 1 failure, 2 bad input\n";
}

// "field 'version': ..." -> "option --version: field 'version': ..." (fields are options; the
// field queue_size is the option --queue-size).
std::string with_option_name(const pipecheck::Error& error) {
  const std::string message = error.what();
  if (error.code() == pipecheck::Errc::unknown_profile) return "option --profile: " + message;
  if (error.field().empty()) return message;
  std::string option = error.field();
  for (char& c : option)
    if (c == '_') c = '-';
  return "option --" + option + ": " + message;
}

bool is_input_error(pipecheck::Errc code) {
  return code == pipecheck::Errc::invalid_field || code == pipecheck::Errc::unknown_profile ||
         code == pipecheck::Errc::path_too_long;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args;
  try {
    args = pipecheck::cli::arguments(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "pipecheck: " << e.what() << "\n";
    return 2;
  }
  if (args.empty()) {
    print_usage(std::cerr);
    return 2;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_usage(std::cout);
    return 0;
  }
  for (const auto& command : kCommands) {
    if (args[0] != command.name) continue;
    const std::string label = "pipecheck " + std::string(command.name) + ": ";
    try {
      return command.run(std::vector<std::string>(args.begin() + 1, args.end()));
    } catch (const pipecheck::cli::UsageError& e) {
      std::cerr << label << e.what() << "\n(see pipecheck " << command.name << " --help)\n";
      return 2;
    } catch (const pipecheck::Error& e) {
      if (is_input_error(e.code())) {
        std::cerr << label << with_option_name(e) << "\n";
        return 2;
      }
      std::cerr << label << pipecheck::to_string(e.code()) << ": " << e.what() << "\n";
      return 1;
    } catch (const std::exception& e) {
      std::cerr << label << e.what() << "\n";
      return 1;
    }
  }
#if !PIPECHECK_CLI_HARNESS
  for (auto name : kHarnessCommands) {
    if (args[0] != name) continue;
    std::cerr << "pipecheck " << name << ": " << kWithoutHarness;
    return 2;
  }
#endif
  std::cerr << "pipecheck: unknown command \"" << args[0] << "\"\n\n";
  print_usage(std::cerr);
  return 2;
}

// pipecheck — the command line: compute hashes, discover, serve and dial rendezvous endpoints.
//
//   pipecheck hash --kind worker --version 17.8 --arch '*' --salt tools --json
//   pipecheck serve --kind worker --version 17.8 --arch '*' --salt tools --count 1
//
// Exit codes: 0 success, 1 failure (an outcome or an OS error), 2 bad input.
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "options.hpp"
#include "pipecheck/error.hpp"

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
    {"run", "run the conformance suites against implementations and write a report",
     pipecheck::cli::cmd_run},
    {"report", "export a report to CTRF, merge, validate or summarise reports",
     pipecheck::cli::cmd_report},
};

void print_usage(std::ostream& out) {
  out << "usage: pipecheck <command> [options]   (pipecheck <command> --help for its options)\n\n"
         "commands:\n";
  for (const auto& command : kCommands) {
    std::string name(command.name);
    name.resize(10, ' ');
    out << "  " << name << command.summary << "\n";
  }
  out << "\nexit codes: 0 success, 1 failure, 2 bad input\n";
}

// "field 'version': ..." -> "option --version: field 'version': ..." (fields are options).
std::string with_option_name(const pipecheck::Error& error) {
  std::string message = error.what();
  if (error.code() == pipecheck::Errc::unknown_profile) return "option --profile: " + message;
  constexpr std::string_view kField = "field '";
  if (message.rfind(kField, 0) == 0) {
    auto end = message.find('\'', kField.size());
    if (end != std::string::npos) {
      return "option --" + message.substr(kField.size(), end - kField.size()) + ": " + message;
    }
  }
  return message;
}

bool is_input_error(pipecheck::Errc code) {
  return code == pipecheck::Errc::invalid_field || code == pipecheck::Errc::unknown_profile ||
         code == pipecheck::Errc::path_too_long;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
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
  std::cerr << "pipecheck: unknown command \"" << args[0] << "\"\n\n";
  print_usage(std::cerr);
  return 2;
}

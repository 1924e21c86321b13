// arguments.hpp — the command-line arguments as UTF-8 strings, without the program name.
//
// POSIX: argv as given (bytes; a salt that is not valid UTF-8 reaches the handshake rules as is).
// Windows: argv of main() is in the ANSI code page, which cannot hold every character of a salt
// or a path, so the UTF-16 command line (GetCommandLineW) is split and converted to UTF-8.
//
//   int main(int argc, char** argv) { std::vector<std::string> args = arguments(argc, argv); }
#pragma once

#include <string>
#include <vector>

namespace pipecheck::cli {

// Throws UsageError (Windows) when an argument is not valid UTF-16 (a lone surrogate).
std::vector<std::string> arguments(int argc, char** argv);

}  // namespace pipecheck::cli

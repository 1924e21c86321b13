// pipecheck/harness/windows_command_line.hpp — Windows only: a CreateProcessW command line that
// the child's CommandLineToArgvW (and its C runtime) splits back into the same arguments, from
// UTF-8 arguments. The harness starts agents with it and `pipecheck run` starts suites with it.
//
//   std::wstring line;
//   pipecheck::harness::append_quoted(line, program.wstring());
//   for (const std::string& arg : args) {
//     pipecheck::harness::append_quoted(line, pipecheck::harness::widen(arg));
//   }
#pragma once

#include <string>
#include <string_view>

namespace pipecheck::harness {

// UTF-8 to UTF-16.
std::wstring widen(std::string_view utf8);

// Appends `arg` to `line` (with a separating space), quoted and escaped where it must be.
void append_quoted(std::wstring& line, const std::wstring& arg);

}  // namespace pipecheck::harness

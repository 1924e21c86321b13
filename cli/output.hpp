// output.hpp — printing for the subcommands: one JSON object a line for --json, escaped text
// otherwise. Every line is flushed, so a parent reading a pipe sees it at once.
//
//   print_json({{"event", "listening"}, {"path", ep.path}});
//   print_text("key      " + escaped(hs.key));
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace pipecheck::cli {

void print_json(const nlohmann::json& object);
// The one-line text print_json prints (without the newline).
std::string json_line(const nlohmann::json& object);
void print_text(std::string_view line);
// Control characters as \n, \t, \xNN, so a key or a hostile name prints on one line.
std::string escaped(std::string_view text);

}  // namespace pipecheck::cli

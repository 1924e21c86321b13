// pipecheck/harness/outside_input.hpp — reading what comes from outside (agent replies, reports,
// registries, geometries, expected findings): JSON bounded in nesting depth and size, and text
// made safe to print.
//
// nlohmann::json parses iteratively, but dump(), comparison and schema validation recurse: one
// reply nested 400,000 deep overflows the stack. So depth is checked on the raw text before
// parsing, and nothing deeper than kMaxJsonDepth is ever parsed.
//
//   try {
//     nlohmann::json reply = pipecheck::harness::parse_outside_json(line);
//   } catch (const pipecheck::harness::OutsideJsonError& e) {
//     record_error(std::string("agent reply: ") + e.what());  // names the rule and the limit
//   }
//   nlohmann::json registry = pipecheck::harness::read_outside_json_file("fixtures/impls.json");
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace pipecheck::harness {

// Deeper than any document pipecheck reads (reports nest ~8 levels) and far from the stack's end.
inline constexpr std::size_t kMaxJsonDepth = 128;
// Bound for a JSON file read from outside (a report of a large run is a few MiB).
inline constexpr std::uintmax_t kMaxJsonFileBytes = 256u << 20;

// Not JSON, nested too deep, or too large. what() says which, with the byte offset and the limit;
// read_outside_json_file prefixes the file name.
class OutsideJsonError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The byte offset of the first '[' or '{' that opens level max_depth + 1 (strings skipped), or
// nullopt when `text` stays within max_depth.
std::optional<std::size_t> json_depth_exceeded_at(std::string_view text,
                                                  std::size_t max_depth = kMaxJsonDepth);

// Parses `text` (one JSON value) after checking its depth. Throws OutsideJsonError.
nlohmann::json parse_outside_json(std::string_view text, std::size_t max_depth = kMaxJsonDepth);

// Reads and parses a whole file within kMaxJsonFileBytes and max_depth. Throws OutsideJsonError
// naming the file: "FILE: cannot open", "FILE: not valid JSON: ...", "FILE: nested deeper ...".
nlohmann::json read_outside_json_file(const std::filesystem::path& file,
                                      std::size_t max_depth = kMaxJsonDepth);

// The offset of the first byte that is not part of well-formed UTF-8 (overlongs, surrogates and
// code points past U+10FFFF are not), or nullopt when all of `text` is.
std::optional<std::size_t> invalid_utf8_at(std::string_view text);
inline bool valid_utf8(std::string_view text) {
  return !invalid_utf8_at(text);
}

// `text` with every byte that is not part of well-formed UTF-8 written as \xNN (and a backslash
// as \\ when anything was escaped), so that it can be stored in JSON and printed.
std::string escape_invalid_utf8(std::string_view text);

}  // namespace pipecheck::harness

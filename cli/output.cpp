#include "output.hpp"

#include <iostream>
#include <mutex>

namespace pipecheck::cli {

namespace {

std::mutex output_mutex;  // serve's workers print concurrently: keep lines whole

}  // namespace

std::string json_line(const nlohmann::json& object) {
  // Invalid UTF-8 (say, in a root path) is replaced rather than aborting the output.
  return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void print_json(const nlohmann::json& object) {
  const std::string line = json_line(object);
  std::lock_guard lock(output_mutex);
  std::cout << line << std::endl;
}

void print_text(std::string_view line) {
  std::lock_guard lock(output_mutex);
  std::cout << line << std::endl;
}

std::string escaped(std::string_view text) {
  constexpr std::string_view kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace pipecheck::cli

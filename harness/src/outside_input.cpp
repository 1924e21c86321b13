#include "pipecheck/harness/outside_input.hpp"

#include <fstream>
#include <sstream>

namespace pipecheck::harness {
namespace {

// Length of the well-formed UTF-8 sequence at text[i], or 0 when the bytes there are not one.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xbf;  // bounds of the second byte (Unicode table 3-7)
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;   // no overlongs
    if (lead == 0xed) high = 0x9f;  // no surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;   // no overlongs
    if (lead == 0xf4) high = 0x8f;  // nothing past U+10FFFF
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
  }
  return length;
}

std::string depth_message(std::size_t offset, std::size_t max_depth) {
  return "nested deeper than " + std::to_string(max_depth) + " levels (at byte " +
         std::to_string(offset) + "; pipecheck reads JSON nested at most " +
         std::to_string(max_depth) + " deep)";
}

}  // namespace

std::optional<std::size_t> json_depth_exceeded_at(std::string_view text, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false, escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::nullopt;
}

nlohmann::json parse_outside_json(std::string_view text, std::size_t max_depth) {
  if (const auto offset = json_depth_exceeded_at(text, max_depth))
    throw OutsideJsonError(depth_message(*offset, max_depth));
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    // parse_error, and out_of_range for a number past double's range ("1e666"). The library
    // quotes the bytes it last read: keep the message printable.
    throw OutsideJsonError(std::string("not valid JSON: ") + escape_invalid_utf8(e.what()));
  }
}

nlohmann::json read_outside_json_file(const std::filesystem::path& file, std::size_t max_depth) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw OutsideJsonError(file.string() + ": cannot open");
  std::error_code size_error;
  const auto size = std::filesystem::file_size(file, size_error);
  if (!size_error && size > kMaxJsonFileBytes)
    throw OutsideJsonError(file.string() + ": " + std::to_string(size) +
                           " bytes, over the limit of " + std::to_string(kMaxJsonFileBytes) +
                           " bytes for a JSON file");
  std::string text;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxJsonFileBytes)  // a file that grows, or a FIFO
      throw OutsideJsonError(file.string() + ": over the limit of " +
                             std::to_string(kMaxJsonFileBytes) + " bytes for a JSON file");
  }
  try {
    return parse_outside_json(text, max_depth);
  } catch (const OutsideJsonError& e) {
    throw OutsideJsonError(file.string() + ": " + e.what());
  }
}

std::optional<std::size_t> invalid_utf8_at(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8_sequence_length(text, i);
    if (length == 0) return i;
    i += length;
  }
  return std::nullopt;
}

std::string escape_invalid_utf8(std::string_view text) {
  if (valid_utf8(text)) return std::string(text);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size() + 16);
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8_sequence_length(text, i);
    if (length == 0) {
      const auto c = static_cast<unsigned char>(text[i]);
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
      ++i;
    } else if (text[i] == '\\') {
      out += "\\\\";
      ++i;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

}  // namespace pipecheck::harness

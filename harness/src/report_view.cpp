// Derived views of a report for the exports: see report_view.hpp.
#include "pipecheck/harness/report_view.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

namespace pipecheck::harness {

std::vector<std::string> check_implementations(const Check& check) {
  std::vector<std::string> names;
  auto add = [&](const std::string& name) {
    if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end())
      names.push_back(name);
  };
  for (const char* role : {"agent", "server", "client"})
    if (auto it = check.implementations.find(role); it != check.implementations.end())
      add(it->second);
  for (const auto& [role, name] : check.implementations) add(name);
  return names;
}

std::string platform_leg(const Report& report, std::string_view run_id,
                         std::string_view implementation) {
  const auto run = std::find_if(report.runs.begin(), report.runs.end(),
                                [&](const RunInfo& r) { return r.run_id == run_id; });
  if (run == report.runs.end()) return "unknown";
  const std::string host = run->os.empty() ? "unknown" : run->os;
  for (const auto& info : run->implementations) {
    if (info.name != implementation || info.platform.empty()) continue;
    std::string leg = info.platform + "-" + (info.arch.empty() ? run->arch : info.arch);
    if (info.platform != host) leg += " on " + host;
    return leg;
  }
  return host + "-" + run->arch;
}

std::string check_leg(const Report& report, const Check& check) {
  const auto names = check_implementations(check);
  return platform_leg(report, check.run_id, names.empty() ? std::string() : names.front());
}

std::string printable_utf8(std::string_view text) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      ++i;  // CRLF (agents on Windows) is a line end like LF
      continue;
    }
    if (byte < 0x80) {
      const bool control = (byte < 0x20 && byte != '\n' && byte != '\t') || byte == 0x7F;
      if (control) {
        out += kReplacement;
      } else {
        out += static_cast<char>(byte);
      }
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t code = 0;
    if ((byte & 0xE0) == 0xC0) {
      length = 2;
      code = byte & 0x1F;
    } else if ((byte & 0xF0) == 0xE0) {
      length = 3;
      code = byte & 0x0F;
    } else if ((byte & 0xF8) == 0xF0) {
      length = 4;
      code = byte & 0x07;
    }
    bool ok = length != 0 && i + length <= text.size();
    for (std::size_t k = 1; ok && k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      ok = (next & 0xC0) == 0x80;
      code = (code << 6) | (next & 0x3F);
    }
    // No overlong forms, surrogates or code points past U+10FFFF; C1 controls are replaced too.
    static constexpr std::array<std::uint32_t, 5> kMinimum = {0, 0, 0x80, 0x800, 0x10000};
    if (ok)
      ok = code >= kMinimum[length] && code <= 0x10FFFF && !(code >= 0xD800 && code <= 0xDFFF);
    if (ok) ok = !(code >= 0x80 && code <= 0x9F);
    if (!ok) {
      out += kReplacement;
      ++i;
      continue;
    }
    out.append(text.substr(i, length));
    i += length;
  }
  return out;
}

std::string bounded_text(std::string_view text, std::size_t limit) {
  std::string clean = printable_utf8(text);
  if (clean.size() <= limit) return clean;
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(clean[cut]) & 0xC0) == 0x80) --cut;
  const std::size_t dropped = clean.size() - cut;
  clean.resize(cut);
  return clean + "\n[... " + std::to_string(dropped) + " more bytes]";
}

}  // namespace pipecheck::harness

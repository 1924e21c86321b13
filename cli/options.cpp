#include "options.hpp"

#include <algorithm>

namespace pipecheck::cli {

std::optional<std::string> ParsedOptions::value(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string ParsedOptions::value_or(std::string_view name, std::string_view fallback) const {
  return value(name).value_or(std::string(fallback));
}

long long ParsedOptions::number(std::string_view name, long long min, long long max,
                                long long fallback) const {
  auto text = value(name);
  if (!text) return fallback;
  std::string_view digits = *text;
  bool negative = !digits.empty() && digits[0] == '-' && min < 0;
  if (negative) digits.remove_prefix(1);
  bool valid =
      !digits.empty() && digits.size() <= 18 &&
      std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
  long long result = 0;
  if (valid) {
    for (char c : digits) result = result * 10 + (c - '0');
    if (negative) result = -result;
  }
  if (!valid || result < min || result > max) {
    throw UsageError("option --" + std::string(name) + ": \"" + *text +
                     "\" is not a decimal integer in " + std::to_string(min) + ".." +
                     std::to_string(max));
  }
  return result;
}

ParsedOptions parse_options(const std::vector<std::string>& args,
                            const std::vector<OptionSpec>& specs) {
  ParsedOptions parsed;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
      throw UsageError("unexpected argument \"" + arg + "\" (options start with --)");
    }
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (auto equals = name.find('='); equals != std::string::npos) {
      inline_value = name.substr(equals + 1);
      name.resize(equals);
    }
    auto spec = std::find_if(specs.begin(), specs.end(),
                             [&](const OptionSpec& s) { return s.name == name; });
    if (spec == specs.end()) throw UsageError("unknown option --" + name);
    if (parsed.has(name)) throw UsageError("option --" + name + " is given twice");
    if (spec->value_name.empty()) {
      if (inline_value) throw UsageError("option --" + name + " takes no value");
      parsed.set(name, "");
    } else if (inline_value) {
      parsed.set(name, *inline_value);
    } else if (i + 1 < args.size()) {
      // An option is never swallowed as the value of the one before (`--salt --json`).
      const std::string& next = args[i + 1];
      if (next.rfind("--", 0) == 0) {
        throw UsageError("option --" + name + " needs a value (" + std::string(spec->value_name) +
                         "), got the option \"" + next +
                         "\"; a value that starts with -- is given as --" + name + "=VALUE");
      }
      parsed.set(name, args[++i]);
    } else {
      throw UsageError("option --" + name + " needs a value (" + std::string(spec->value_name) +
                       ")");
    }
  }
  return parsed;
}

bool help_requested(const std::vector<std::string>& args) {
  return std::find(args.begin(), args.end(), "--help") != args.end();
}

std::string describe_options(const std::vector<OptionSpec>& specs) {
  std::string out;
  for (const auto& spec : specs) {
    std::string left = "  --" + std::string(spec.name);
    if (!spec.value_name.empty()) left += " " + std::string(spec.value_name);
    if (left.size() < 24)
      left.resize(24, ' ');
    else
      left += "  ";
    out += left + std::string(spec.help) + "\n";
  }
  return out;
}

}  // namespace pipecheck::cli

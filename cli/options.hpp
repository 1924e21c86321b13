// options.hpp — strict command-line option parsing for the pipecheck subcommands.
//
// Options are `--name value`, `--name=value` or `--flag`. A value option always takes the next
// argument, so `--salt -5` and `--salt ""` work. Unknown, repeated or value-less options and
// stray arguments throw UsageError, which main() prints and turns into exit code 2.
//
//   const std::vector<OptionSpec> specs{{"count", "N", "exit after N connections"}};
//   ParsedOptions options = parse_options(args, specs);
//   long long count = options.number("count", 0, 1'000'000, 0);
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace pipecheck::cli {

// Bad command-line input: exit code 2, the message on stderr.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OptionSpec {
  std::string_view name;        // without the leading "--"
  std::string_view value_name;  // empty: a flag without a value
  std::string_view help;
};

class ParsedOptions {
 public:
  bool has(std::string_view name) const { return values_.contains(name); }
  std::optional<std::string> value(std::string_view name) const;
  std::string value_or(std::string_view name, std::string_view fallback) const;
  // A decimal integer in [min, max] (ASCII digits, optional '-' when min < 0), or `fallback`.
  long long number(std::string_view name, long long min, long long max, long long fallback) const;

  void set(std::string name, std::string value) { values_[std::move(name)] = std::move(value); }

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

ParsedOptions parse_options(const std::vector<std::string>& args,
                            const std::vector<OptionSpec>& specs);

// True when `--help` is among the arguments (checked before parsing, so help always works).
bool help_requested(const std::vector<std::string>& args);

// The options section of a --help text, one option a line.
std::string describe_options(const std::vector<OptionSpec>& specs);

}  // namespace pipecheck::cli

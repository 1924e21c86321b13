#include "handshake_options.hpp"

namespace pipecheck::cli {

namespace {

constexpr std::string_view kFieldOptions[] = {"kind", "version", "arch",   "salt",
                                              "user", "options", "session"};

}  // namespace

std::vector<OptionSpec> with_handshake_options(std::vector<OptionSpec> extra) {
  std::vector<OptionSpec> specs{
      {"profile", "NAME", "hash profile: pipecheck (default) or msbuild"},
      {"kind", "KIND", "pipecheck: endpoint kind, 1-32 of [a-z0-9-]"},
      {"version", "V", "both: 1 to 4 dot-separated integers, e.g. 17.8"},
      {"arch", "ARCH", "pipecheck: x86, x64, arm, arm64 or * (this process's)"},
      {"salt", "TEXT", "pipecheck: UTF-8 text; msbuild: a signed 32-bit integer"},
      {"user", "UID", "pipecheck: uid (SID on Windows); default: the current user"},
      {"options", "INT", "msbuild: node options, e.g. 16777352 (NodeReuse|Arm64)"},
      {"session", "INT", "msbuild: session id (default 0)"},
      {"prefix", "PREFIX", "endpoint name prefix (default: the profile's)"},
      {"root", "DIR", "endpoint root (default: $PIPECHECK_ROOT, else /tmp)"},
      {"json", "", "print JSON instead of text"},
      {"help", "", "show this help"},
  };
  specs.insert(specs.end(), extra.begin(), extra.end());
  return specs;
}

Handshake handshake_from(const ParsedOptions& options) {
  FieldMap fields;
  for (auto name : kFieldOptions) {
    if (auto value = options.value(name)) fields.emplace(std::string(name), *value);
  }
  return make_handshake(options.value_or("profile", "pipecheck"), fields);
}

NamingOptions naming_from(const ParsedOptions& options) {
  NamingOptions naming;
  naming.root = options.value_or("root", "");
  naming.prefix = options.value_or("prefix", "");
  if (options.has("root") && naming.root.empty()) {
    throw UsageError(
        "option --root: empty (NAME-5: expected an absolute path of an existing "
        "directory)");
  }
  if (options.has("prefix") && naming.prefix.empty()) {
    throw UsageError(
        "option --prefix: empty (NAME-2: expected 1 to 32 characters of [A-Za-z0-9._])");
  }
  return naming;
}

}  // namespace pipecheck::cli

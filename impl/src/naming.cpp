// Endpoint names `{prefix}-{hash}-{pid}` (NAME-1..4): building, strict parsing, prefix rule.
#include "pipecheck/naming.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

#include "naming_platform.hpp"
#include "pipecheck/error.hpp"

namespace pipecheck {

namespace {

void check_prefix(std::string_view prefix) {
  constexpr std::string_view kRule = "(NAME-2: expected 1 to 32 characters of [A-Za-z0-9._])";
  if (prefix.empty() || prefix.size() > 32) {
    throw Error::bad_field("prefix", "field 'prefix': \"" + std::string(prefix) + "\" is " +
                                         std::to_string(prefix.size()) + " characters long " +
                                         std::string(kRule));
  }
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = prefix[i];
    bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '.' || c == '_';
    if (!allowed) {
      throw Error::bad_field("prefix", "field 'prefix': forbidden character at offset " +
                                           std::to_string(i) + " " + std::string(kRule));
    }
  }
}

std::string effective_prefix(const Handshake& handshake, const NamingOptions& options) {
  std::string prefix = options.prefix.empty() ? handshake.default_prefix : options.prefix;
  check_prefix(prefix);
  return prefix;
}

}  // namespace

std::string endpoint_name(std::string_view prefix, std::string_view hash, ProcessId pid) {
  if (pid < 1 || pid > max_process_id()) {
    throw Error::bad_field("pid", "field 'pid': " + std::to_string(pid) +
                                      " is out of range (NAME-3: expected 1.." +
                                      std::to_string(max_process_id()) + ")");
  }
  return std::string(prefix) + "-" + std::string(hash) + "-" + std::to_string(pid);
}

std::optional<ProcessId> parse_endpoint_pid(std::string_view entry, std::string_view prefix,
                                            std::string_view hash) {
  std::size_t head = prefix.size() + 1 + hash.size() + 1;
  if (entry.size() <= head) return std::nullopt;
  if (entry.substr(0, prefix.size()) != prefix || entry[prefix.size()] != '-' ||
      entry.substr(prefix.size() + 1, hash.size()) != hash || entry[head - 1] != '-') {
    return std::nullopt;
  }
  std::string_view digits = entry.substr(head);
  if (digits[0] < '1' || digits[0] > '9' || digits.size() > 19) return std::nullopt;
  ProcessId pid = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    pid = pid * 10 + (c - '0');
    if (pid > max_process_id()) return std::nullopt;
  }
  return pid;
}

std::string resolve_root(const NamingOptions& options) {
  std::string root = options.root;
  std::string source = "root";
  if (root.empty()) {
    const char* from_environment = std::getenv("PIPECHECK_ROOT");
    if (from_environment && *from_environment == '\0') {
      throw Error::bad_field("root",
                             "PIPECHECK_ROOT is set but empty (NAME-5: unset it for the "
                             "default /tmp, or give an absolute path)");
    }
    root = from_environment ? from_environment : "/tmp";
    source = "PIPECHECK_ROOT";
  }
#if !defined(_WIN32)
  // NAME-5: results never depend on the working directory; `@...` (which some tools turn into a
  // Linux abstract socket name, which no directory listing shows) is not absolute either.
  if (root.front() != '/') {
    throw Error::bad_field("root", source + " \"" + root +
                                       "\" is not an absolute path (NAME-5: the endpoint root "
                                       "starts with /)");
  }
#endif
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  return root;
}

std::string endpoint_directory(const Handshake& handshake, const NamingOptions& options) {
  return detail::platform_endpoint_directory(handshake, effective_prefix(handshake, options),
                                             resolve_root(options));
}

Endpoint endpoint_for(const Handshake& handshake, ProcessId pid, const NamingOptions& options) {
  std::string prefix = effective_prefix(handshake, options);
  Endpoint ep;
  ep.pid = pid;
  ep.name = endpoint_name(prefix, handshake.hash, pid);
  ep.directory = detail::platform_endpoint_directory(handshake, prefix, resolve_root(options));
  ep.path = detail::platform_endpoint_path(ep.directory, ep.name);
  return ep;
}

}  // namespace pipecheck

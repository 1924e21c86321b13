// NAME-4: `{prefix}-{hash}-{pid}` with a strictly valid PID. Input: prefix \0 hash \0 entry.
// Whatever parse_endpoint_pid accepts must be exactly the name endpoint_name builds for it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "pipecheck/naming.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t first = input.find('\0');
  if (first == std::string_view::npos) return 0;
  const std::size_t second = input.find('\0', first + 1);
  if (second == std::string_view::npos) return 0;
  const std::string_view prefix = input.substr(0, first);
  const std::string_view hash = input.substr(first + 1, second - first - 1);
  const std::string_view entry = input.substr(second + 1);
  if (const auto pid = pipecheck::parse_endpoint_pid(entry, prefix, hash)) {
    if (*pid <= 0) std::abort();
    if (pipecheck::endpoint_name(prefix, hash, *pid) != entry) std::abort();
  }
  return 0;
}

// Windows endpoint layout (NAME-7): `\\.\pipe\{name}`. Pipes live in the pipe namespace, not in a
// directory, so the endpoint directory is empty (discovery's marker directory:
// endpoint_marker.hpp).
#include <string>

#include "naming_platform.hpp"
#include "pipecheck/error.hpp"

namespace pipecheck::detail {

namespace {

constexpr std::size_t kMaxPipePath = 256;  // CreateNamedPipe: the whole name, at most 256 chars

}  // namespace

std::string platform_endpoint_directory(const Handshake&, std::string_view, const std::string&) {
  return {};
}

std::string platform_endpoint_path(const std::string&, const std::string& name) {
  std::string path = std::string(kPipeNamespace) + name;
  if (path.size() > kMaxPipePath) {
    throw Error(Errc::path_too_long,
                "pipe name \"" + path + "\" is " + std::to_string(path.size()) + " characters, " +
                    std::to_string(path.size() - kMaxPipePath) + " over Windows' limit of " +
                    std::to_string(kMaxPipePath) +
                    " (NAME-7: choose a shorter prefix; names are never truncated)");
  }
  return path;
}

}  // namespace pipecheck::detail

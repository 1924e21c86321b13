// POSIX endpoint layout (NAME-5, NAME-6, HASH-23): a private per-user directory for pipecheck,
// the shared root for msbuild, and the sun_path budget.
#include <unistd.h>

#include <string>

#include "naming_platform.hpp"
#include "pipecheck/error.hpp"
#include "pipecheck/naming.hpp"

namespace pipecheck::detail {

std::string platform_endpoint_directory(const Handshake& handshake, std::string_view prefix,
                                        const std::string& root) {
  if (handshake.profile == "msbuild") return root;
  // The directory belongs to whoever runs the process, whatever `user` the hash carries.
  std::string base = root == "/" ? "" : root;
  return base + "/" + std::string(prefix) + "-" + std::to_string(::geteuid());
}

std::string platform_endpoint_path(const std::string& directory, const std::string& name) {
  std::string path = (directory == "/" ? "" : directory) + "/" + name;
  std::size_t needed = path.size() + 1;  // the terminating NUL counts
  if (needed > kPathBudget) {
    throw Error(
        Errc::path_too_long,
        "endpoint path \"" + path + "\" needs " + std::to_string(needed) +
            " bytes including the NUL, " + std::to_string(needed - kPathBudget) +
            " bytes over the " + std::to_string(kPathBudget) +
            "-byte budget (NAME-6: choose a shorter root or prefix; paths are never truncated)");
  }
  return path;
}

}  // namespace pipecheck::detail

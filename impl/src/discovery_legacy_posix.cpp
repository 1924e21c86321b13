// Legacy discovery candidates on POSIX: sockets of ours in the endpoint directory.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

#include "discovery_legacy.hpp"
#include "endpoint_directory.hpp"
#include "pipecheck/identity.hpp"
#include "pipecheck/naming.hpp"

namespace pipecheck::detail {

namespace {

struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }
};

// Sockets owned by us with a candidate name and a live PID.
std::vector<LegacyCandidate> list_in(const EndpointDirectory& directory,
                                     const std::string& prefix) {
  UniqueFd copy(::fcntl(directory.fd.get(), F_DUPFD_CLOEXEC, 0));
  if (!copy) throw_system_error("dup", "endpoint directory '" + directory.path + "'");
  std::unique_ptr<DIR, DirCloser> dir(::fdopendir(copy.get()));
  if (!dir) throw_system_error("fdopendir", "endpoint directory '" + directory.path + "'");
  copy.release();

  std::vector<LegacyCandidate> candidates;
  const std::string base = directory.path == "/" ? "" : directory.path;
  const uid_t euid = ::geteuid();
  errno = 0;
  while (const dirent* entry = ::readdir(dir.get())) {
    const std::string name = entry->d_name;
    const auto pid = legacy_candidate_pid(name, prefix);
    struct stat st {};
    if (!pid || ::fstatat(directory.fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISSOCK(st.st_mode) || st.st_uid != euid || !process_alive(*pid)) {
      errno = 0;
      continue;
    }
    candidates.push_back({*pid, name, directory.path, base + "/" + name});
    errno = 0;
  }
  if (errno != 0) throw_system_error("readdir", "endpoint directory '" + directory.path + "'");
  return candidates;
}

}  // namespace

std::vector<LegacyCandidate> list_legacy_candidates(const Handshake& handshake,
                                                    const DiscoveryOptions& options,
                                                    const std::string& prefix) {
  const std::string directory = endpoint_directory(handshake, options.naming);
  auto opened = open_endpoint_directory(directory, resolve_root(options.naming), Create::no);
  if (!opened) return {};  // no directory, no endpoints
  return list_in(*opened, prefix);
}

}  // namespace pipecheck::detail

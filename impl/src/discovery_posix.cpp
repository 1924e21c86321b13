#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "discovery_legacy.hpp"
#include "discovery_result.hpp"
#include "endpoint_directory.hpp"
#include "pipecheck/dial.hpp"
#include "pipecheck/discovery.hpp"
#include "pipecheck/identity.hpp"

namespace pipecheck {

namespace {

struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }
};

std::vector<std::string> list_names(int directory_fd, const std::string& path) {
  // fdopendir takes ownership, so it gets its own descriptor.
  detail::UniqueFd copy(::fcntl(directory_fd, F_DUPFD_CLOEXEC, 0));
  if (!copy) detail::throw_system_error("dup", "endpoint directory '" + path + "'");
  std::unique_ptr<DIR, DirCloser> dir(::fdopendir(copy.get()));
  if (!dir) detail::throw_system_error("fdopendir", "endpoint directory '" + path + "'");
  copy.release();
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* entry = ::readdir(dir.get())) names.emplace_back(entry->d_name);
  if (errno != 0) detail::throw_system_error("readdir", "endpoint directory '" + path + "'");
  return names;
}

}  // namespace

DiscoveryResult discover(const Handshake& handshake, const DiscoveryOptions& options) {
  if (options.method == DiscoveryMethod::legacy) return detail::discover_legacy(handshake, options);
  DiscoveryResult result;
  result.method = DiscoveryMethod::listing;
  const std::string directory = endpoint_directory(handshake, options.naming);
  auto opened =
      detail::open_endpoint_directory(directory, resolve_root(options.naming), detail::Create::no);
  if (!opened) return result;  // DISC-9: no directory, no endpoints
  const int dir_fd = opened->fd.get();

  const std::string prefix =
      options.naming.prefix.empty() ? handshake.default_prefix : options.naming.prefix;
  const std::string ours = prefix + "-" + handshake.hash + "-";
  const uid_t euid = ::geteuid();

  for (const std::string& name : list_names(dir_fd, directory)) {
    if (!name.starts_with(ours)) continue;  // DISC-3: other hashes and prefixes are not ours
    auto reject = [&](Rejection reason, std::string detail) {
      result.rejected.push_back({name, reason, std::move(detail)});
    };
    const auto pid = detail::endpoint_pid_or_reject(name, prefix, handshake.hash, result);
    if (!pid) continue;
    struct stat st {};
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone
    if (!S_ISSOCK(st.st_mode)) {
      reject(Rejection::not_a_socket, "a " + detail::file_kind(st.st_mode) + ", not a socket");
      continue;
    }
    if (st.st_uid != euid) {
      reject(Rejection::foreign_owner, "socket owned by uid " + std::to_string(st.st_uid) +
                                           ", not our uid " + std::to_string(euid));
      continue;
    }
    const std::string path = (opened->path == "/" ? "" : opened->path) + "/" + name;
    if (!process_alive(*pid)) {
      reject(Rejection::stale, "PID " + std::to_string(*pid) + " is not running");
      // DISC-7: only our socket, with a dead PID, that nobody listens on, and still the same file.
      // Locked, so that no listener of ours publishes between the last check and the unlink.
      if (options.reclaim_stale) {
        const detail::DirectoryLock lock(dir_fd);
        if (dial_once(path, std::chrono::milliseconds(100)).outcome == DialOutcome::refused &&
            detail::same_socket_of_ours(dir_fd, name, st) &&
            ::unlinkat(dir_fd, name.c_str(), 0) == 0) {
          result.reclaimed.push_back(name);
        }
      }
      continue;
    }
    result.live.push_back(Endpoint{name, opened->path, path, *pid});
  }

  return detail::in_result_order(std::move(result));
}

}  // namespace pipecheck

// dial_endpoint on POSIX: the endpoint directory is verified as discovery verifies it and the
// connect goes through that directory's descriptor, so no symlink is followed (SEC-2, SEC-5).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "endpoint_directory.hpp"
#include "pipecheck/dial_endpoint.hpp"

namespace pipecheck {

namespace {

DialResult refusal(DialOutcome outcome, int error, std::string detail) {
  DialResult result;
  result.outcome = outcome;
  result.system_error = error;
  result.detail = std::move(detail);
  return result;
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

}  // namespace

DialResult dial_endpoint(const Handshake& handshake, ProcessId pid, const NamingOptions& naming,
                         std::chrono::milliseconds timeout,
                         const std::optional<RetryPolicy>& retry) {
  const Endpoint ep = endpoint_for(handshake, pid, naming);  // path_too_long over NAME-6
  auto directory =
      detail::open_endpoint_directory(ep.directory, resolve_root(naming), detail::Create::no);
  if (!directory) {
    return refusal(DialOutcome::absent, ENOENT,
                   "no endpoint directory '" + ep.directory + "' (" + ep.path + ")");
  }
  struct stat st {};
  if (::fstatat(directory->fd.get(), ep.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    const int error = errno;
    return refusal(error == ENOENT ? DialOutcome::absent : DialOutcome::other, error,
                   detail::errno_text("fstatat", error) + " (" + ep.path + ")");
  }
  if (!S_ISSOCK(st.st_mode) || st.st_uid != ::geteuid()) {
    return refusal(DialOutcome::denied, 0,
                   "'" + ep.path + "' is a " + detail::file_kind(st.st_mode) + " of uid " +
                       std::to_string(st.st_uid) + ", not a socket of ours; not followed (SEC-5)");
  }
  // The verified directory by its descriptor: a path swapped for a symlink since is not used.
  // Without /proc the path is used as verified (only our uid can change a 0700 directory).
  std::string path = ep.path;
  const std::string by_descriptor =
      "/proc/self/fd/" + std::to_string(directory->fd.get()) + "/" + ep.name;
  if (::faccessat(AT_FDCWD, ("/proc/self/fd/" + std::to_string(directory->fd.get())).c_str(), F_OK,
                  0) == 0 &&
      by_descriptor.size() < kPathBudget) {
    path = by_descriptor;
  }
  DialResult result = retry ? dial_with_retry(path, *retry) : dial_once(path, timeout);
  replace_all(result.detail, by_descriptor, ep.path);
  return result;
}

}  // namespace pipecheck

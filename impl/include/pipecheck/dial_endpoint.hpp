// pipecheck/dial_endpoint.hpp — dial a server by PID the way discovery sees it (SEC-2, SEC-5).
//
// On POSIX the endpoint directory must pass discovery's checks (a real directory of ours with no
// group/other bits; Error{insecure_directory} otherwise) and the connect goes through a
// descriptor of that directory, opened without following symlinks; an entry at the endpoint's
// name that is not a socket of ours (a symlink, say) is never followed: `denied`. No directory
// or no entry is `absent`. On Windows the pipe name is dialed as given. With `retry`, like
// dial_with_retry; else one attempt bounded by `timeout`.
//
//   auto r = pipecheck::dial_endpoint(hs, server_pid, {}, std::chrono::seconds(2));
//   if (r.outcome == pipecheck::DialOutcome::denied) std::cerr << r.detail << "\n";
#pragma once

#include <chrono>
#include <optional>

#include "pipecheck/dial.hpp"
#include "pipecheck/hash_profile.hpp"
#include "pipecheck/naming.hpp"

namespace pipecheck {

DialResult dial_endpoint(const Handshake& handshake, ProcessId pid, const NamingOptions& naming,
                         std::chrono::milliseconds timeout,
                         const std::optional<RetryPolicy>& retry = std::nullopt);

}  // namespace pipecheck

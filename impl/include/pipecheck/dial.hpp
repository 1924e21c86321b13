// pipecheck/dial.hpp — connect to an endpoint and classify the outcome (DIAL-*).
//
// dial_once makes exactly one attempt and never retries; dial_with_retry retries only `busy`
// with a bounded exponential backoff until the deadline. Both check the server's user (SEC-*):
// a server of another user is `denied` and the connection is dropped.
//
//   auto r = pipecheck::dial_with_retry(ep.path, {.deadline = 2s});
//   if (r.outcome != pipecheck::DialOutcome::ok)
//     std::cerr << pipecheck::to_string(r.outcome) << ": " << r.detail << "\n";
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "pipecheck/connection.hpp"

namespace pipecheck {

enum class DialOutcome {
  ok,       // connected (and the peer is the same user)
  busy,     // backlog full / all instances busy: EAGAIN (Linux), ERROR_PIPE_BUSY (Windows)
  absent,   // nothing at the path: ENOENT, ERROR_FILE_NOT_FOUND
  refused,  // a file but no listener: ECONNREFUSED
  denied,   // EACCES/EPERM, ERROR_ACCESS_DENIED, or a peer of another user
  timeout,  // no answer within the timeout
  other,    // anything else; system_error holds the OS code
};

std::string_view to_string(DialOutcome outcome);

struct DialResult {
  DialOutcome outcome = DialOutcome::other;
  int system_error = 0;                  // errno / GetLastError() of the failing call, 0 on ok
  std::string detail;                    // human-readable: the call and the error text
  int attempts = 1;                      // dial_with_retry: how many attempts were made
  std::optional<Connection> connection;  // set when outcome == ok
};

DialResult dial_once(const std::string& path, std::chrono::milliseconds timeout);

struct RetryPolicy {
  std::chrono::milliseconds deadline{2000};        // total time budget
  std::chrono::microseconds initial_backoff{100};  // doubled after each busy ...
  std::chrono::microseconds max_backoff{10000};    // ... up to this
};

DialResult dial_with_retry(const std::string& path, const RetryPolicy& policy);

}  // namespace pipecheck

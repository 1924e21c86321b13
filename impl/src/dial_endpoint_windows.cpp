// dial_endpoint on Windows: the pipe namespace has no symlinks and no directories of ours to
// verify; the endpoint's pipe name is dialed as given.
#include "pipecheck/dial_endpoint.hpp"

namespace pipecheck {

DialResult dial_endpoint(const Handshake& handshake, ProcessId pid, const NamingOptions& naming,
                         std::chrono::milliseconds timeout,
                         const std::optional<RetryPolicy>& retry) {
  const std::string path = endpoint_for(handshake, pid, naming).path;
  return retry ? dial_with_retry(path, *retry) : dial_once(path, timeout);
}

}  // namespace pipecheck

#include "pipecheck/dial.hpp"

#include <algorithm>
#include <thread>

#include "dial_platform.hpp"

namespace pipecheck {

std::string_view to_string(DialOutcome outcome) {
  switch (outcome) {
    case DialOutcome::ok:
      return "ok";
    case DialOutcome::busy:
      return "busy";
    case DialOutcome::absent:
      return "absent";
    case DialOutcome::refused:
      return "refused";
    case DialOutcome::denied:
      return "denied";
    case DialOutcome::timeout:
      return "timeout";
    case DialOutcome::other:
      return "other";
  }
  return "unknown";
}

// DIAL-5: retry what the platform says is worth it, with a doubling, capped backoff, until the
// deadline; the last outcome is returned.
DialResult dial_with_retry(const std::string& path, const RetryPolicy& policy) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + policy.deadline;
  auto backoff = policy.initial_backoff;
  int attempts = 0;
  while (true) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    DialResult result = dial_once(path, std::max(left, std::chrono::milliseconds(0)));
    result.attempts = ++attempts;
    if (!detail::worth_retrying(result, path)) return result;
    const auto now = Clock::now();
    if (now >= deadline) return result;
    std::this_thread::sleep_for(std::min<Clock::duration>(backoff, deadline - now));
    backoff = std::min(backoff * 2, policy.max_backoff);
  }
}

}  // namespace pipecheck

// pipecheck/harness/clock.hpp — the clock behind every harness deadline, as an interface so the
// protocol client's timeout logic can be unit-tested with a mock clock.
//
//   const pipecheck::harness::Clock& clock = pipecheck::harness::steady_clock();
//   auto deadline = pipecheck::harness::Deadline::after(std::chrono::seconds(5), clock);
//   while (!deadline.expired()) { ... transport.read_line(deadline.at()) ... }
#pragma once

#include <chrono>

namespace pipecheck::harness {

class Clock {
 public:
  using duration = std::chrono::steady_clock::duration;
  using time_point = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  virtual time_point now() const = 0;
};

// The real monotonic clock (std::chrono::steady_clock).
const Clock& steady_clock();

// A point in time on a given clock after which an operation has failed.
class Deadline {
 public:
  Deadline(Clock::time_point at, const Clock& clock = steady_clock()) : at_(at), clock_(&clock) {}

  static Deadline after(Clock::duration timeout, const Clock& clock = steady_clock()) {
    return Deadline(clock.now() + timeout, clock);
  }

  Clock::time_point at() const { return at_; }
  const Clock& clock() const { return *clock_; }
  bool expired() const { return clock_->now() >= at_; }
  // Time left, never negative.
  Clock::duration remaining() const {
    auto left = at_ - clock_->now();
    return left > Clock::duration::zero() ? left : Clock::duration::zero();
  }
  // The earlier of this deadline and `timeout` from now.
  Deadline capped(Clock::duration timeout) const {
    auto other = clock_->now() + timeout;
    return Deadline(other < at_ ? other : at_, *clock_);
  }

 private:
  Clock::time_point at_;
  const Clock* clock_;
};

}  // namespace pipecheck::harness

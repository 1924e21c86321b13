#include "dial_run.hpp"
#include "pipecheck/wire_handshake.hpp"

#include <algorithm>
#include <cmath>
#include <system_error>

namespace pipecheck::agent {

namespace {

using Clock = std::chrono::steady_clock;

// Threads reach the gate right after they start; this only bounds a broken scheduler.
constexpr std::chrono::seconds kReadyBound{30};

// Nearest-rank percentile of sorted samples.
std::int64_t percentile(const std::vector<std::int64_t>& sorted, double fraction) {
  const auto rank =
      static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

DialRun::DialRun(DialPlan plan) : plan_(std::move(plan)) {
  results_.resize(static_cast<std::size_t>(plan_.threads));
  try {
    for (auto& result : results_) threads_.emplace_back([this, &result] { run_thread(result); });
  } catch (...) {
    release(false);
    for (auto& thread : threads_) thread.join();
    throw;
  }
  std::unique_lock lock(mutex_);
  const bool ready = changed_.wait_for(
      lock, kReadyBound, [this] { return waiting_ == static_cast<int>(threads_.size()); });
  lock.unlock();
  if (!ready) {
    release(false);
    for (auto& thread : threads_) thread.join();
    throw std::system_error(std::make_error_code(std::errc::timed_out),
                            "dial threads did not reach the start gate");
  }
}

DialRun::~DialRun() {
  release(false);
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

void DialRun::release(bool run) {
  const std::lock_guard lock(mutex_);
  if (released_) return;
  released_ = true;
  run_ = run;
  changed_.notify_all();
}

void DialRun::run_thread(ThreadResult& result) {
  {
    std::unique_lock lock(mutex_);
    ++waiting_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return released_; });
    if (!run_) return;
  }
  if (plan_.record_sequence) result.sequence.reserve(static_cast<std::size_t>(plan_.count));
  result.latency_us.reserve(static_cast<std::size_t>(plan_.count));
  for (int i = 0; i < plan_.count; ++i) {
    if (i > 0 && plan_.pace.count() > 0) std::this_thread::sleep_for(plan_.pace);
    attempt(result);
  }
}

void DialRun::attempt(ThreadResult& result) {
  const auto start = Clock::now();
  pipecheck::DialResult dialled =
      plan_.retry_deadline
          ? pipecheck::dial_with_retry(plan_.path, {.deadline = *plan_.retry_deadline})
          : pipecheck::dial_once(plan_.path, plan_.timeout);
  std::optional<pipecheck::HandshakeResult> handshake;
  if (dialled.outcome == pipecheck::DialOutcome::ok && dialled.connection && plan_.handshake_hash)
    handshake =
        pipecheck::client_handshake(*dialled.connection, *plan_.handshake_hash, plan_.timeout);
  result.latency_us.push_back(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());

  result.outcomes[static_cast<std::size_t>(dialled.outcome)] += 1;
  result.retries += std::max(0, dialled.attempts - 1);
  if (plan_.record_sequence) result.sequence.push_back(dialled.outcome);
  if (dialled.outcome != pipecheck::DialOutcome::ok) {
    add_sample(result.errors, {std::string(pipecheck::to_string(dialled.outcome)),
                               dialled.system_error, dialled.detail});
    return;
  }
  if (handshake) {
    if (handshake->accepted) {
      ++result.handshake_accepted;
    } else {
      ++result.handshake_failed;
      add_sample(result.errors, {"ok", 0, "handshake failed: " + handshake->detail});
    }
  }
  if (!dialled.connection) return;
  if (plan_.hold.count() > 0) std::this_thread::sleep_for(plan_.hold);
  if (plan_.keep_open) {
    result.kept_open.push_back(std::move(*dialled.connection));
  } else {
    dialled.connection->close();
  }
}

void DialRun::add_sample(std::vector<ErrorSample>& samples, ErrorSample sample) {
  if (samples.size() >= kMaxErrorSamples) return;
  if (std::find(samples.begin(), samples.end(), sample) != samples.end()) return;
  samples.push_back(std::move(sample));
}

nlohmann::json DialRun::fire() {
  const auto start = Clock::now();
  release(true);
  for (auto& thread : threads_) thread.join();
  const double elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();

  ThreadResult total;
  nlohmann::json sequence = nlohmann::json::array();
  nlohmann::json latencies = nlohmann::json::array();
  for (auto& result : results_) {
    if (plan_.record_latencies)
      for (const auto latency : result.latency_us) latencies.push_back(latency);
    for (std::size_t i = 0; i < kOutcomes; ++i) total.outcomes[i] += result.outcomes[i];
    total.handshake_accepted += result.handshake_accepted;
    total.handshake_failed += result.handshake_failed;
    total.retries += result.retries;
    total.latency_us.insert(total.latency_us.end(), result.latency_us.begin(),
                            result.latency_us.end());
    for (auto& sample : result.errors) add_sample(total.errors, std::move(sample));
    for (const auto outcome : result.sequence) sequence.push_back(pipecheck::to_string(outcome));
  }

  nlohmann::json outcomes = nlohmann::json::object();
  std::int64_t attempts = 0;
  for (std::size_t i = 0; i < kOutcomes; ++i) {
    attempts += total.outcomes[i];
    if (total.outcomes[i] != 0)
      outcomes[std::string(pipecheck::to_string(static_cast<pipecheck::DialOutcome>(i)))] =
          total.outcomes[i];
  }
  nlohmann::json out{{"attempts", attempts},
                     {"outcomes", outcomes},
                     {"elapsed_ms", elapsed_ms},
                     {"retries", total.retries}};
  out["handshake"] = {{"accepted", total.handshake_accepted}, {"failed", total.handshake_failed}};
  std::sort(total.latency_us.begin(), total.latency_us.end());
  if (!total.latency_us.empty()) {
    out["latency_us"] = {{"p50", percentile(total.latency_us, 0.50)},
                         {"p90", percentile(total.latency_us, 0.90)},
                         {"p99", percentile(total.latency_us, 0.99)},
                         {"max", total.latency_us.back()}};
  }
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& sample : total.errors)
    errors.push_back({{"outcome", sample.outcome},
                      {"system_error", sample.system_error},
                      {"detail", sample.detail}});
  out["errors"] = std::move(errors);
  if (plan_.record_sequence) out["sequence"] = std::move(sequence);
  if (plan_.record_latencies) out["latencies_us"] = std::move(latencies);
  return out;
}

}  // namespace pipecheck::agent

// dial_run.hpp — closed-loop dialling threads held at a start gate (the `dial`, `prepare_dial`
// and `fire` ops).
//
// The constructor starts `threads` threads and returns once every one waits at the gate, so a
// harness can arm clients in many processes and release them together. fire() opens the gate,
// joins the threads and merges their outcomes, latencies and error samples.
//
//   DialRun run(plan);                 // threads created, waiting
//   nlohmann::json result = run.fire();
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipecheck/connection.hpp"
#include "pipecheck/dial.hpp"
#include "pipecheck/wire_handshake.hpp"

namespace pipecheck::agent {

struct DialPlan {
  std::string path;
  int threads = 1;
  int count = 1;
  std::chrono::milliseconds timeout{1000};
  std::optional<std::chrono::milliseconds> retry_deadline;  // set: dial_with_retry (DIAL-5)
  std::optional<std::string> handshake_hash;                // set: client wire handshake
  std::chrono::milliseconds hold{0};
  bool keep_open = false;
  std::chrono::microseconds pace{0};
  bool record_sequence = false;   // every outcome in order, thread 0 first
  bool record_latencies = false;  // every latency in the same order
};

class DialRun {
 public:
  // Throws std::system_error if a thread cannot be started (the started ones are released).
  explicit DialRun(DialPlan plan);
  ~DialRun();  // a run never fired is cancelled: its threads exit without dialling
  DialRun(const DialRun&) = delete;
  DialRun& operator=(const DialRun&) = delete;

  // Releases the threads, waits for them and returns the `dial` result of
  // docs/formats/agent-protocol.md.
  nlohmann::json fire();

 private:
  static constexpr std::size_t kOutcomes = 7;  // DialOutcome::ok .. other
  static constexpr std::size_t kMaxErrorSamples = 10;

  struct ErrorSample {
    std::string outcome;
    int system_error = 0;
    std::string detail;
    bool operator==(const ErrorSample&) const = default;
  };

  struct ThreadResult {
    std::array<std::int64_t, kOutcomes> outcomes{};
    std::int64_t handshake_accepted = 0;
    std::int64_t handshake_failed = 0;
    std::int64_t retries = 0;
    std::vector<std::int64_t> latency_us;
    std::vector<ErrorSample> errors;
    std::vector<pipecheck::DialOutcome> sequence;
    std::vector<pipecheck::Connection> kept_open;
  };

  void run_thread(ThreadResult& result);
  void attempt(ThreadResult& result);
  static void add_sample(std::vector<ErrorSample>& samples, ErrorSample sample);
  void release(bool run);

  DialPlan plan_;
  std::vector<ThreadResult> results_;
  std::vector<std::thread> threads_;

  std::mutex mutex_;
  std::condition_variable changed_;
  int waiting_ = 0;
  bool released_ = false;
  bool run_ = false;
};

}  // namespace pipecheck::agent

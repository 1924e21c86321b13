// close_race_soak ROUNDS [SEED] — close/accept/dial races, round after round, in one process
// (ci/soak runs it under ThreadSanitizer). Each round: a listener with a random queue size in a
// fresh directory, 1-3 accept threads answering the wire handshake, 1-4 dial threads, and close()
// from 1-2 threads after a random 0-2 ms. Every round must end within kRoundBound (else: a hang,
// reported, exit 3), leave no descriptor open and no endpoint file behind (else: counted, exit 1).
// Prints one summary line: rounds, accepted, dials by outcome, leaks, leftovers, hangs, time.
#include <dirent.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "pipecheck/connection.hpp"
#include "pipecheck/dial.hpp"
#include "pipecheck/error.hpp"
#include "pipecheck/hash_profile.hpp"
#include "pipecheck/listener.hpp"
#include "pipecheck/wire_handshake.hpp"

namespace {

using namespace std::chrono_literals;
constexpr auto kRoundBound = 20s;  // generous: ThreadSanitizer slows everything ~10x

int open_descriptors() {
  int count = 0;
  if (DIR* dir = ::opendir("/proc/self/fd")) {
    while (const dirent* entry = ::readdir(dir)) count += entry->d_name[0] != '.';
    ::closedir(dir);
  }
  return count - 1;  // the directory stream itself
}

struct Totals {
  std::mutex mutex;
  std::map<std::string, long> dials;
  std::atomic<long> accepted{0};
};

void round(std::mt19937& random, const pipecheck::Handshake& handshake, const std::string& root,
           Totals& totals) {
  pipecheck::Listener listener(handshake,
                               {.queue_size = std::uniform_int_distribution<int>(1, 8)(random),
                                .naming = {.root = root, .prefix = ""},
                                .pid = 0});
  const std::string path = listener.endpoint().path;
  const int acceptors = std::uniform_int_distribution<int>(1, 3)(random);
  const int dialers = std::uniform_int_distribution<int>(1, 4)(random);
  const int closers = std::uniform_int_distribution<int>(1, 2)(random);
  const auto close_after =
      std::chrono::microseconds(std::uniform_int_distribution<int>(0, 2000)(random));
  std::vector<std::thread> threads;
  for (int i = 0; i < acceptors; ++i) {
    threads.emplace_back([&] {
      while (true) {
        auto accepted = listener.accept();
        if (accepted.status == pipecheck::AcceptStatus::closed) return;
        if (accepted.connection) {
          ++totals.accepted;
          pipecheck::server_handshake(*accepted.connection, handshake.hash, 200ms);
        }
      }
    });
  }
  for (int i = 0; i < dialers; ++i) {
    threads.emplace_back([&] {
      for (int attempt = 0; attempt < 3; ++attempt) {
        auto dialed = pipecheck::dial_once(path, 200ms);
        std::string outcome(pipecheck::to_string(dialed.outcome));
        if (dialed.connection) {
          const auto shaken =
              pipecheck::client_handshake(*dialed.connection, handshake.hash, 200ms);
          outcome += shaken.accepted ? "+accepted" : "+not-accepted";
        }
        std::lock_guard lock(totals.mutex);
        ++totals.dials[outcome];
      }
    });
  }
  std::this_thread::sleep_for(close_after);
  for (int i = 0; i < closers; ++i) threads.emplace_back([&] { listener.close(); });
  for (auto& thread : threads) thread.join();
}

}  // namespace

int main(int argc, char** argv) {
  const long rounds = argc > 1 ? std::atol(argv[1]) : 10000;
  const unsigned seed =
      argc > 2 ? static_cast<unsigned>(std::atol(argv[2])) : std::random_device{}();
  std::mt19937 random(seed);
  char root_template[] = "/tmp/pc-soak-XXXXXX";
  if (::mkdtemp(root_template) == nullptr) return 2;
  const std::string root = root_template;
  const auto handshake = pipecheck::make_handshake(
      "pipecheck", {{"kind", "soak"}, {"version", "1"}, {"arch", "*"}, {"salt", "close-races"}});

  Totals totals;
  long leaks = 0, leftovers = 0, errors = 0;
  const int baseline = open_descriptors();
  const auto started = std::chrono::steady_clock::now();
  for (long i = 0; i < rounds; ++i) {
    std::atomic<bool> done{false};
    // A watchdog per round: a hang is reported, not waited for.
    std::thread watchdog([&, i] {
      const auto deadline = std::chrono::steady_clock::now() + kRoundBound;
      while (!done && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(10ms);
      if (!done) {
        std::fprintf(stderr, "close_race_soak: round %ld hangs (> %lld s; seed %u)\n", i,
                     static_cast<long long>(kRoundBound.count()), seed);
        std::_Exit(3);
      }
    });
    try {
      round(random, handshake, root, totals);
    } catch (const pipecheck::Error& e) {
      ++errors;
      std::fprintf(stderr, "close_race_soak: round %ld: %s\n", i, e.what());
    }
    done = true;
    watchdog.join();
    if (open_descriptors() != baseline) {
      ++leaks;
      std::fprintf(stderr, "close_race_soak: round %ld: %d descriptors open, %d before\n", i,
                   open_descriptors(), baseline);
    }
    std::error_code ignored;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root, ignored)) {
      if (entry.is_socket(ignored)) {
        ++leftovers;
        std::fprintf(stderr, "close_race_soak: round %ld left %s\n", i, entry.path().c_str());
        std::filesystem::remove(entry.path(), ignored);
      }
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::error_code ignored;
  std::filesystem::remove_all(root, ignored);
  std::printf("close_race_soak: %ld rounds (seed %u), %ld accepted; dials:", rounds, seed,
              totals.accepted.load());
  for (const auto& [outcome, count] : totals.dials) std::printf(" %s %ld", outcome.c_str(), count);
  std::printf("; %ld descriptor leaks, %ld endpoint files left, %ld errors, 0 hangs; %.1f s\n",
              leaks, leftovers, errors, seconds);
  return leaks == 0 && leftovers == 0 && errors == 0 ? 0 : 1;
}

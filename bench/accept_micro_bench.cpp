// In-process accept throughput: the reference Listener (P accept workers, wire handshake on or
// off) next to a raw socket/bind/listen/accept/close loop, driven by the same raw client in the
// same process. Each iteration is one connection; items_per_second is connections per second.
// Ratios are computed by bench/summarize.py, repetition by repetition (run with
// --benchmark_enable_random_interleaving so the pairs are close in time).
#include <benchmark/benchmark.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "pipecheck/connection.hpp"
#include "pipecheck/hash_profile.hpp"
#include "pipecheck/listener.hpp"
#include "pipecheck/wire_handshake.hpp"
#include "raw_socket.hpp"

namespace {

constexpr int kBacklog = 64;
constexpr auto kHandshakeTimeout = std::chrono::seconds(2);

// A private mkdtemp directory under /tmp (short, for sun_path), removed with its contents.
class TempRoot {
 public:
  TempRoot() {
    std::string pattern = "/tmp/pcb-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempRoot() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);  // our own fresh tree: sockets and one dir
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

pipecheck::Handshake bench_handshake() {
  return pipecheck::make_handshake(
      "pipecheck", {{"kind", "bench"}, {"version", "1"}, {"arch", "*"}, {"salt", "accept"}});
}

// The raw client side of one iteration, shared by every benchmark.
void connect_once(benchmark::State& state, const std::string& path, bool handshake,
                  const std::string& hash) {
  const int fd = bench::raw_connect(path);
  if (fd < 0) {
    state.SkipWithError("connect failed");
    return;
  }
  if (handshake && !bench::raw_client_handshake(fd, hash)) state.SkipWithError("handshake failed");
  ::close(fd);
}

// Raw server: accept, (read the hello line and answer ACCEPT), close.
void raw_serve(int listen_fd, bool handshake) {
  while (true) {
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // shutdown() of the listening socket ends the loop
    }
    if (handshake) {
      char line[256];
      ssize_t got = 0;
      while (got < static_cast<ssize_t>(sizeof line)) {
        const ssize_t n = ::read(fd, line + got, sizeof line - got);
        if (n <= 0) break;
        got += n;
        if (line[got - 1] == '\n') break;
      }
      static constexpr char kAccept[] = "PIPECHECK/1 ACCEPT\n";
      // A client that went away is not an error here; the client side checks the reply.
      [[maybe_unused]] const ssize_t written = ::write(fd, kAccept, sizeof kAccept - 1);
    }
    ::close(fd);
  }
}

void BM_RawAccept(benchmark::State& state) {
  const bool handshake = state.range(0) != 0;
  const auto hs = bench_handshake();
  TempRoot root;
  const std::string path = root.path() + "/raw";
  const int listen_fd = bench::raw_listen(path, kBacklog);
  std::thread server(raw_serve, listen_fd, handshake);
  for (auto _ : state) connect_once(state, path, handshake, hs.hash);
  ::shutdown(listen_fd, SHUT_RDWR);
  server.join();
  ::close(listen_fd);
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(handshake ? "raw, handshake" : "raw");
}

void BM_ReferenceAccept(benchmark::State& state) {
  const bool handshake = state.range(0) != 0;
  const int workers = static_cast<int>(state.range(1));
  const auto hs = bench_handshake();
  TempRoot root;
  pipecheck::Listener listener(
      hs, {.queue_size = kBacklog, .naming = {.root = root.path(), .prefix = {}}});
  std::atomic<long> handshake_failures{0};
  std::vector<std::jthread> pool;
  for (int i = 0; i < workers; ++i) {
    pool.emplace_back([&] {
      while (true) {
        auto accepted = listener.accept();
        if (accepted.status == pipecheck::AcceptStatus::closed) return;
        if (!accepted.connection || !handshake) continue;
        if (!pipecheck::server_handshake(*accepted.connection, hs.hash, kHandshakeTimeout).accepted)
          ++handshake_failures;
      }
    });
  }
  const std::string path = listener.endpoint().path;
  for (auto _ : state) connect_once(state, path, handshake, hs.hash);
  listener.close();
  pool.clear();  // joins
  if (handshake_failures > 0) state.SkipWithError("server handshake failed");
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::string("reference, ") + std::to_string(workers) + " workers" +
                 (handshake ? ", handshake" : ""));
}

BENCHMARK(BM_RawAccept)->ArgName("handshake")->Arg(0)->Arg(1)->UseRealTime();
BENCHMARK(BM_ReferenceAccept)
    ->ArgNames({"handshake", "workers"})
    ->ArgsProduct({{0, 1}, {1, 2, 4}})
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

// Connection handshake (label `wire`): the client's hello line, the server's ACCEPT / REJECT
// answer, and that a mismatch, a silent peer or a malformed line fails on both sides within the
// read bound instead of hanging. The suite plays the other side itself over a plain AF_UNIX socket.
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "support/check_support.hpp"
#include "support/suite_listener.hpp"
#include "support/wire_peer.hpp"

namespace pipecheck::suites {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr auto kReadBound = std::chrono::milliseconds(2000);  // WIRE-3 default
constexpr auto kSlack = std::chrono::milliseconds(500);       // scheduling on a loaded machine

class Wire : public AgentCheck {
 protected:
  std::unique_ptr<SuiteAgent> start_unix_agent(const std::string& role) {
    auto agent = start_agent(agent_options(role));
    unix_platform = agent->platform() != "windows";
    return agent;
  }
  std::string hash_of(SuiteAgent& agent) {
    return agent.call("hash", handshake_args(check_fields(), scratch_root())).at("hash");
  }
  bool unix_platform = true;
};

// The client sends exactly one line `PIPECHECK/1 HELLO {hash}\n` (at most 255 bytes).
PIPECHECK_CHECK(Wire, ClientSendsOneHelloLine, "WIRE-1") {
  auto client = start_unix_agent("client");
  if (!unix_platform) PIPECHECK_SKIP("the suite plays the server over AF_UNIX");
  PIPECHECK_REQUIRE_CAPABILITIES(*client, "dial", "hash.pipecheck");
  const std::string hash = hash_of(*client);
  auto server = suite_server(scratch_root() / "suite-server");
  std::string hello;
  auto served = std::async(std::launch::async, [&] {
    auto stream = accept_within(*server, std::chrono::seconds(5));
    if (!stream) return false;
    hello = stream->read_line(kReadBound).value_or("");
    stream->write("PIPECHECK/1 ACCEPT\n");
    return stream->closed_within(kReadBound + kSlack);
  });
  const json dial = client->call(
      "dial", {{"path", server->path.string()}, {"handshake", hash}, {"timeout_ms", 2000}});
  const bool client_closed = served.get();
  EXPECT_EQ(hello, "PIPECHECK/1 HELLO " + hash + "\n");
  EXPECT_LE(hello.size(), 255u);
  EXPECT_EQ(dial.at("handshake").value("accepted", 0), 1) << dial.dump();
  EXPECT_TRUE(client_closed) << "the client sent more than its hello line or never closed";
}

// The server answers ACCEPT for its hash, REJECT {reason} for another and then closes.
PIPECHECK_CHECK(Wire, ServerAcceptsItsHashAndRejectsOthers, "WIRE-2") {
  auto server = start_unix_agent("server");
  if (!unix_platform) PIPECHECK_SKIP("the suite plays the client over AF_UNIX");
  PIPECHECK_REQUIRE_CAPABILITIES(*server, "listen", "hash.pipecheck", "counters");
  json listen = handshake_args(check_fields(), scratch_root());
  listen["accept_workers"] = 2;
  listen["queue_size"] = 2;
  const json listener = server->call("listen", listen);
  const fs::path path = listener.at("path").get<std::string>();
  const std::string hash = hash_of(*server);

  Stream good = Stream::connect_to(path);
  good.write("PIPECHECK/1 HELLO " + hash + "\n");
  EXPECT_EQ(good.read_line(kReadBound + kSlack).value_or("(nothing)"), "PIPECHECK/1 ACCEPT\n");

  Stream bad = Stream::connect_to(path);
  bad.write("PIPECHECK/1 HELLO " + std::string(32, 'a') + "\n");
  const std::string reply = bad.read_line(kReadBound + kSlack).value_or("(nothing)");
  EXPECT_TRUE(reply.starts_with("PIPECHECK/1 REJECT ") && reply.size() > 20 &&
              reply.ends_with("\n"))
      << "reply to a foreign hash: \"" << reply << "\"";
  EXPECT_TRUE(bad.closed_within(kReadBound + kSlack)) << "the server kept a rejected peer open";
}

// A mismatch, a silent peer or a malformed line is a failed handshake on both sides
// within the read bound, never a hang.
PIPECHECK_CHECK(Wire, FailedHandshakesNeverHang, "WIRE-3") {
  auto server = start_unix_agent("server");
  if (!unix_platform) PIPECHECK_SKIP("the suite plays the peer over AF_UNIX");
  auto client = start_agent(agent_options("client"));
  PIPECHECK_REQUIRE_CAPABILITIES(*server, "listen", "hash.pipecheck", "counters");
  PIPECHECK_REQUIRE_CAPABILITIES(*client, "dial");
  json listen = handshake_args(check_fields(), scratch_root());
  listen["accept_workers"] = 4;
  listen["queue_size"] = 4;
  const json listener = server->call("listen", listen);
  const fs::path path = listener.at("path").get<std::string>();
  const double bound_us =
      std::chrono::duration<double, std::micro>(kReadBound + std::chrono::milliseconds(100))
          .count();

  // Agent against agent, wrong hash: ok then a failed handshake.
  const json mismatch = client->call(
      "dial", {{"path", path.string()}, {"handshake", std::string(32, 'b')}, {"timeout_ms", 2000}});
  EXPECT_EQ(mismatch.at("handshake").value("failed", 0), 1) << mismatch.dump();
  EXPECT_LE(mismatch.at("latency_us").value("max", 0.0), bound_us) << mismatch.dump();

  // The suite as a silent server: the agent's handshake fails within its read bound.
  auto silent = suite_server(scratch_root() / "silent-server");
  auto held = std::async(std::launch::async, [&] {
    auto stream = accept_within(*silent, std::chrono::seconds(5));
    return stream && stream->closed_within(kReadBound + kSlack + kSlack);
  });
  const json unanswered = client->call(
      "dial",
      {{"path", silent->path.string()}, {"handshake", hash_of(*server)}, {"timeout_ms", 2000}});
  EXPECT_EQ(unanswered.at("handshake").value("failed", 0), 1) << unanswered.dump();
  EXPECT_LE(unanswered.at("latency_us").value("max", 0.0), bound_us + 500000) << unanswered;
  EXPECT_TRUE(held.get()) << "the client did not close after its handshake failed";

  // The suite as a silent or malformed client: the server gives up within its bound.
  Stream quiet = Stream::connect_to(path);
  Stream garbage = Stream::connect_to(path);
  garbage.write("HELLO?\n");
  EXPECT_TRUE(garbage.closed_within(kReadBound + kSlack)) << "malformed hello: still open";
  EXPECT_TRUE(quiet.closed_within(kReadBound + kSlack)) << "silent client: still open";
  const json counters = counters_reaching(*server, listener.at("listener"), "handshake_failed", 3);
  EXPECT_GE(counters.value("handshake_failed", 0), 3) << counters.dump();
}

// A dial with the wire handshake is bounded by its own timeout, also when the timeout is shorter
// than the 2 s read bound: a peer that admits the connection and never answers (the suite's
// listener never even accepts) makes the handshake fail within timeout + 100 ms.
PIPECHECK_CHECK(Wire, HandshakeIsBoundedByTheDialTimeout, "DIAL-6", "WIRE-3") {
  auto client = start_unix_agent("client");
  if (!unix_platform) PIPECHECK_SKIP("the suite plays the silent server over AF_UNIX");
  PIPECHECK_REQUIRE_CAPABILITIES(*client, "dial", "hash.pipecheck");
  const std::string hash = hash_of(*client);
  SuiteListener silent(scratch_root() / "silent", 16);
  for (int timeout_ms : {150, 400, 900}) {
    const json dial = client->call("dial", {{"path", silent.path().string()},
                                            {"count", 2},
                                            {"handshake", hash},
                                            {"timeout_ms", timeout_ms}});
    EXPECT_EQ(dial.at("handshake").value("failed", 0), 2) << dial.dump();
    EXPECT_LE(dial.at("latency_us").value("max", 0.0), (timeout_ms + 100) * 1000.0)
        << "timeout_ms " << timeout_ms << ": the handshake outlived the dial's timeout "
        << dial.dump();
  }
}

INSTANTIATE_IMPLEMENTATIONS(Wire, Wire);

}  // namespace
}  // namespace pipecheck::suites

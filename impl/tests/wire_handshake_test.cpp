// The wire handshake (WIRE-1..3) between a real Listener and a real dial, both sides bounded.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <thread>

#include "pipecheck/connection.hpp"
#include "pipecheck/dial.hpp"
#include "pipecheck/identity.hpp"
#include "pipecheck/listener.hpp"
#include "pipecheck/wire_handshake.hpp"

namespace pipecheck {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A private scratch root (POSIX uses it for the socket; Windows ignores it), removed at the end.
class ScratchRoot {
 public:
  ScratchRoot() {
    static int counter = 0;
    auto base = std::filesystem::temp_directory_path();
    do {
      path_ = base / ("pchw-" + std::to_string(current_pid()) + "-" + std::to_string(counter++));
    } while (!std::filesystem::create_directory(path_));
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all);
  }
  ~ScratchRoot() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

Handshake test_handshake(const std::string& salt) {
  return make_handshake("pipecheck", {{"kind", "wire"},
                                      {"version", "1"},
                                      {"arch", "x64"},  // explicit: no `*` on s390x
                                      {"salt", salt + std::to_string(current_pid())}});
}

ListenOptions listen_options(const std::string& root) {
  ListenOptions options;
  options.queue_size = 4;
  options.naming.root = root;
  return options;
}

// Runs `serve` on the first accepted connection in a thread; the destructor closes the listener
// (so a server still waiting in accept returns) and joins.
class OneShotServer {
 public:
  OneShotServer(const Handshake& hs, const std::string& root,
                std::function<HandshakeResult(Connection&)> serve)
      : listener_(hs, listen_options(root)) {
    result_ = std::async(std::launch::async, [this, serve = std::move(serve)] {
      AcceptResult a = listener_.accept();
      if (a.status != AcceptStatus::accepted) return HandshakeResult{false, "accept: " + a.detail};
      return serve(*a.connection);
    });
  }
  ~OneShotServer() { listener_.close(); }

  const std::string& path() const { return listener_.endpoint().path; }
  HandshakeResult result() {
    if (result_.wait_for(5s) != std::future_status::ready) return {false, "server did not finish"};
    return result_.get();
  }

 private:
  Listener listener_;
  std::future<HandshakeResult> result_;
};

Connection dial(const std::string& path) {
  DialResult d = dial_once(path, 1s);
  if (d.outcome != DialOutcome::ok) throw std::runtime_error("dial failed: " + d.detail);
  return std::move(*d.connection);
}

TEST(WireHandshake, MatchingHashIsAcceptedAndConnectionStaysUsable) {
  ScratchRoot root;
  Handshake hs = test_handshake("accept");
  std::promise<std::optional<std::string>> after;
  OneShotServer server(hs, root.path(), [&](Connection& c) {
    HandshakeResult r = server_handshake(c, hs.hash, 1s);
    after.set_value(c.read_line(1s));
    return r;
  });
  Connection client = dial(server.path());
  HandshakeResult client_result = client_handshake(client, hs.hash, 1s);
  EXPECT_TRUE(client_result.accepted) << client_result.detail;
  client.write_all("after the handshake\n");
  HandshakeResult server_result = server.result();
  EXPECT_TRUE(server_result.accepted) << server_result.detail;
  EXPECT_EQ(after.get_future().get(), "after the handshake");
}

TEST(WireHandshake, HashMismatchIsRejectedOnBothSidesAndServerCloses) {
  ScratchRoot root;
  Handshake hs = test_handshake("mismatch");
  Handshake other = test_handshake("other");
  OneShotServer server(hs, root.path(),
                       [&](Connection& c) { return server_handshake(c, hs.hash, 1s); });
  Connection client = dial(server.path());
  HandshakeResult client_result = client_handshake(client, other.hash, 1s);
  EXPECT_FALSE(client_result.accepted);
  EXPECT_EQ(client_result.detail, "rejected: hash mismatch");
  HandshakeResult server_result = server.result();
  EXPECT_FALSE(server_result.accepted);
  EXPECT_NE(server_result.detail.find("hash mismatch"), std::string::npos) << server_result.detail;
  EXPECT_NE(server_result.detail.find(other.hash), std::string::npos) << server_result.detail;
  EXPECT_TRUE(client.wait_peer_closed(1s)) << "the server must close after REJECT";
}

TEST(WireHandshake, MalformedHelloGetsRejectLine) {
  ScratchRoot root;
  Handshake hs = test_handshake("malformed");
  OneShotServer server(hs, root.path(),
                       [&](Connection& c) { return server_handshake(c, hs.hash, 1s); });
  Connection client = dial(server.path());
  client.write_all("HELLO " + hs.hash + "\n");
  EXPECT_EQ(client.read_line(1s), "PIPECHECK/1 REJECT malformed hello");
  HandshakeResult server_result = server.result();
  EXPECT_FALSE(server_result.accepted);
  EXPECT_NE(server_result.detail.find("malformed hello"), std::string::npos)
      << server_result.detail;
}

TEST(WireHandshake, SilentServerIsATimeoutNotAHang) {
  ScratchRoot root;
  Handshake hs = test_handshake("silent-server");
  std::promise<void> client_done;
  OneShotServer server(hs, root.path(), [&](Connection&) {
    client_done.get_future().wait_for(5s);  // holds the connection open, answering nothing
    return HandshakeResult{true, ""};
  });
  Connection client = dial(server.path());
  const auto start = Clock::now();
  HandshakeResult r = client_handshake(client, hs.hash, 200ms);
  const auto elapsed = Clock::now() - start;
  client_done.set_value();
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.detail.find("timeout"), std::string::npos) << r.detail;
  EXPECT_GE(elapsed, 200ms);
  EXPECT_LT(elapsed, 200ms + 500ms);
}

TEST(WireHandshake, SilentClientIsATimeoutForTheServer) {
  ScratchRoot root;
  Handshake hs = test_handshake("silent-client");
  OneShotServer server(hs, root.path(),
                       [&](Connection& c) { return server_handshake(c, hs.hash, 200ms); });
  Connection client = dial(server.path());
  HandshakeResult r = server.result();
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.detail.find("timeout"), std::string::npos) << r.detail;
}

TEST(WireHandshake, ClientLeavingAtOnceEndsServerHandshakePromptly) {
  ScratchRoot root;
  Handshake hs = test_handshake("leaves");
  OneShotServer server(hs, root.path(), [&](Connection& c) {
    const auto start = Clock::now();
    HandshakeResult r = server_handshake(c, hs.hash, 5s);
    if (Clock::now() - start > 1s) r.detail += " (took longer than 1 s)";
    return r;
  });
  dial(server.path()).close();
  HandshakeResult r = server.result();
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.detail.find("end of stream"), std::string::npos) << r.detail;
}

TEST(WireHandshake, UnexpectedReplyIsABadReply) {
  ScratchRoot root;
  Handshake hs = test_handshake("bad-reply");
  OneShotServer server(hs, root.path(), [&](Connection& c) {
    c.read_line(1s);
    c.write_all("PIPECHECK/1 MAYBE\n");
    return HandshakeResult{true, ""};
  });
  Connection client = dial(server.path());
  HandshakeResult r = client_handshake(client, hs.hash, 1s);
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.detail.find("bad reply \"PIPECHECK/1 MAYBE\""), std::string::npos) << r.detail;
}

TEST(WireHandshake, OverlongHelloFailsWithoutHanging) {
  ScratchRoot root;
  Handshake hs = test_handshake("overlong");
  OneShotServer server(hs, root.path(),
                       [&](Connection& c) { return server_handshake(c, hs.hash, 5s); });
  Connection client = dial(server.path());
  client.write_all("PIPECHECK/1 HELLO " + std::string(300, 'a') + "\n");
  const auto start = Clock::now();
  HandshakeResult r = server.result();
  EXPECT_LT(Clock::now() - start, 1s);
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.detail.find("over 255 bytes"), std::string::npos) << r.detail;
}

TEST(WireHandshake, ClientRefusesToSendAnInvalidHash) {
  ScratchRoot root;
  Handshake hs = test_handshake("invalid-hash");
  OneShotServer server(hs, root.path(),
                       [&](Connection& c) { return server_handshake(c, hs.hash, 1s); });
  Connection client = dial(server.path());
  HandshakeResult r = client_handshake(client, "two words\n", 1s);
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.detail.find("invalid hash"), std::string::npos) << r.detail;
  client.close();
}

}  // namespace
}  // namespace pipecheck

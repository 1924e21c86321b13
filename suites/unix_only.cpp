// Unix-only behaviour (label `unix`): endpoint directory and socket modes, refusal of insecure
// endpoint directories, peer-credential checks against another uid, and how a full backlog is
// reported (EAGAIN on Linux; ECONNREFUSED on BSD/macOS). Skipped with the reason on Windows agents.
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/check_support.hpp"
#include "support/creation_watch.hpp"
#include "support/planted_files.hpp"
#include "support/suite_listener.hpp"

namespace pipecheck::suites {
namespace {

namespace fs = std::filesystem;

constexpr std::uint32_t kNobody = 65534;

class UnixOnly : public AgentCheck {
 protected:
  std::unique_ptr<SuiteAgent> start_unix_agent(AgentOptions options) {
    auto agent = start_agent(std::move(options));
    if (agent->platform() == "windows") unix_platform = false;
    return agent;
  }
  fs::path endpoint_dir(const fs::path& root, std::uint32_t uid = suite_uid()) {
    return root / ("pipecheck-" + std::to_string(uid));
  }
  bool unix_platform = true;
};

std::uint32_t mode_of(const fs::path& path) {
  return file_mode(path);
}

// The directory is created 0700 and the socket is 0600, whatever the umask.
PIPECHECK_CHECK(UnixOnly, DirectoryIs0700AndSocketIs0600, "SEC-1", "SEC-3") {
  for (const char* mask : {"000", "022", "077"}) {
    AgentOptions options = agent_options(std::string("umask-") + mask);
    options.umask = mask;
    auto agent = start_unix_agent(options);
    if (!unix_platform) PIPECHECK_SKIP("SEC-1..3 are unix-only; the agent runs on windows");
    PIPECHECK_REQUIRE_CAPABILITIES(*agent, "listen", "close", "secure-directory");
    const fs::path root = scratch_root() / (std::string("umask") + mask);
    fs::create_directory(root);
    const json listener = agent->call("listen", handshake_args(check_fields(), root));
    EXPECT_EQ(mode_of(endpoint_dir(root)), 0700u)
        << std::oct << "umask " << mask << ": directory mode " << mode_of(endpoint_dir(root));
    const fs::path socket = listener.at("path").get<std::string>();
    EXPECT_TRUE(fs::is_socket(fs::symlink_status(socket)));
    EXPECT_EQ(mode_of(socket), 0600u)
        << std::oct << "umask " << mask << ": socket mode " << mode_of(socket);
    agent->call("close", {{"listener", listener.at("listener")}});
  }
}

// An existing endpoint directory that is a symlink, has group/other bits or belongs to
// someone else is refused with insecure_directory naming the path; nothing is created in it.
PIPECHECK_CHECK(UnixOnly, InsecureEndpointDirectoryIsRefused, "SEC-2", "SEC-5") {
  auto agent = start_unix_agent(agent_options("server"));
  if (!unix_platform) PIPECHECK_SKIP("SEC-2 is unix-only; the agent runs on windows");
  PIPECHECK_REQUIRE_CAPABILITIES(*agent, "listen", "secure-directory");
  struct Variant {
    std::string what;
    std::function<void(const fs::path& dir, const fs::path& root)> make;
    bool needs_root = false;
  };
  const std::vector<Variant> variants = {
      {"world-writable (0777)",
       [](const fs::path& dir, const fs::path&) {
         plant_directory(dir);
         change_mode(dir, 0777);
       },
       false},
      {"group-readable (0750)",
       [](const fs::path& dir, const fs::path&) {
         plant_directory(dir);
         change_mode(dir, 0750);
       },
       false},
      {"other-executable (0701)",
       [](const fs::path& dir, const fs::path&) {
         plant_directory(dir);
         change_mode(dir, 0701);
       },
       false},
      {"symlink to a 0700 directory",
       [](const fs::path& dir, const fs::path& root) {
         plant_directory(root / "real");
         plant_symlink(root / "real", dir);
       },
       false},
      {"a regular file", [](const fs::path& dir, const fs::path&) { plant_regular_file(dir); },
       false},
      {"owned by uid 65534",
       [](const fs::path& dir, const fs::path&) {
         plant_directory(dir);
         change_owner(dir, kNobody, kNobody);
       },
       true},
  };
  int index = 0;
  for (const auto& variant : variants) {
    if (variant.needs_root && !can_change_owner()) {
      std::cout << "not root: variant '" << variant.what << "' skipped\n";
      continue;
    }
    const fs::path root = scratch_root() / ("v" + std::to_string(index++));
    fs::create_directory(root);
    const fs::path dir = endpoint_dir(root);
    variant.make(dir, root);
    const auto refused =
        call_expecting_error(*agent, "listen", handshake_args(check_fields(), root));
    ASSERT_TRUE(refused.has_value()) << variant.what << ": listen succeeded";
    EXPECT_EQ(refused->code(), "insecure_directory") << variant.what << ": " << refused->message();
    EXPECT_NE(refused->message().find(dir.string()), std::string::npos)
        << variant.what << ": the message must name the path: " << refused->message();
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      EXPECT_FALSE(entry.is_socket()) << variant.what << ": created " << entry.path();
    }
    EXPECT_TRUE(fs::exists(fs::symlink_status(dir))) << variant.what << ": it was removed";
  }
}

// With the file-system protection opened up, a client of another uid connects at the
// OS level, and both sides refuse: the client reports `denied`, the server counts a denied peer.
PIPECHECK_CHECK(UnixOnly, PeerOfAnotherUserIsRefused, "SEC-4") {
  auto server = start_unix_agent(agent_options("server"));
  if (!unix_platform) PIPECHECK_SKIP("this variant of SEC-4 runs unix agents");
  if (!suite_is_root()) {
    PIPECHECK_SKIP(
        "SEC-4 UNCHECKED: a client of another uid needs root here (an unprivileged user "
        "namespace maps only our own uid without the setuid newuidmap helper, so it gives no "
        "second identity)");
  }
  PIPECHECK_REQUIRE_CAPABILITIES(*server, "listen", "counters", "peer-check", "hash.pipecheck");
  std::string why;
  auto client = start_as_uid(GetParam(), kNobody, "client-uid-65534", why);
  if (!client) PIPECHECK_SKIP(why);
  PIPECHECK_REQUIRE_CAPABILITIES(*client, "dial", "peer-check");

  json listen = handshake_args(check_fields(), scratch_root());
  listen["queue_size"] = 4;
  listen["accept_workers"] = 2;
  const json listener = server->call("listen", listen);
  const fs::path socket = listener.at("path").get<std::string>();
  // Only the peer-credential check may stand between the client and the server now.
  change_mode(scratch_root(), 0755);
  change_mode(socket.parent_path(), 0755);
  change_mode(socket, 0666);
  const std::string hash =
      server->call("hash", handshake_args(check_fields(), scratch_root())).at("hash");
  const json dial = client->call(
      "dial", {{"path", socket.string()}, {"count", 3}, {"handshake", hash}, {"timeout_ms", 1000}});
  EXPECT_EQ(outcome_count(dial, "denied"), 3) << dial.dump();
  EXPECT_EQ(dial.at("handshake").value("accepted", 0), 0) << dial.dump();

  // The server drops the foreign peers on its own accept threads.
  const json counters = counters_reaching(*server, listener.at("listener"), "denied", 3);
  EXPECT_EQ(counters.value("denied", 0), 3) << counters.dump();
  EXPECT_EQ(counters.value("handshake_ok", 0), 0) << counters.dump();
}

// On Linux a full backlog is EAGAIN (`busy`), no file ENOENT (`absent`), a file without
// a listener ECONNREFUSED (`refused`); the dial reply's errors carry the system error.
PIPECHECK_CHECK(UnixOnly, LinuxDialOutcomesCarryTheirErrno, "DIAL-2") {
  auto agent = start_unix_agent(agent_options("agent"));
  if (agent->platform() != "linux") {
    PIPECHECK_SKIP("DIAL-2 is linux-only; the agent runs on " + agent->platform());
  }
  PIPECHECK_REQUIRE_CAPABILITIES(*agent, "listen", "listen.queue_size", "dial");
  json listen = handshake_args(check_fields(), scratch_root());
  listen["queue_size"] = 1;
  listen["accept_workers"] = 0;
  const json listener = agent->call("listen", listen);
  const fs::path dir = fs::path(listener.at("path").get<std::string>()).parent_path();
  PlantedSocket no_listener = plant_socket(dir / "pipecheck-refused-1", false);
  struct Case {
    std::string path, outcome;
    int errno_value;
    int count;
  };
  const std::vector<Case> cases = {{listener.at("path"), "busy", EAGAIN, 5},
                                   {(dir / "pipecheck-absent-1").string(), "absent", ENOENT, 1},
                                   {no_listener.path().string(), "refused", ECONNREFUSED, 1}};
  for (const auto& c : cases) {
    const json dial = agent->call(
        "dial", {{"path", c.path}, {"count", c.count}, {"keep_open", true}, {"timeout_ms", 500}});
    EXPECT_GE(outcome_count(dial, c.outcome), 1) << dial.dump();
    bool carried = false;
    for (const json& error : dial.value("errors", json::array())) {
      if (error.value("outcome", "") == c.outcome) {
        EXPECT_EQ(error.value("system_error", -1), c.errno_value) << c.outcome << ": " << error;
        carried = true;
      }
    }
    EXPECT_TRUE(carried) << c.outcome << ": no error sample carries its system_error: " << dial;
  }
}

// DIAL-3 (MAY): BSD and macOS report a full backlog as ECONNREFUSED, classified `refused`.
PIPECHECK_CHECK(UnixOnly, BsdFullBacklogIsRefused, "DIAL-3") {
  auto agent = start_unix_agent(agent_options("agent"));
  if (agent->platform() != "darwin" && agent->platform() != "freebsd") {
    PIPECHECK_SKIP("DIAL-3 describes BSD/macOS; the agent runs on " + agent->platform() +
                   " (Linux is checked by DIAL-2)");
  }
  PIPECHECK_REQUIRE_CAPABILITIES(*agent, "listen", "listen.queue_size", "dial");
  json listen = handshake_args(check_fields(), scratch_root());
  listen["queue_size"] = 1;
  listen["accept_workers"] = 0;
  const json listener = agent->call("listen", listen);
  const json dial = agent->call(
      "dial",
      {{"path", listener.at("path")}, {"count", 4}, {"keep_open", true}, {"timeout_ms", 500}});
  EXPECT_EQ(outcome_count(dial, "busy"), 0) << dial.dump();
  EXPECT_GE(outcome_count(dial, "refused"), 1) << dial.dump();
}

// Each outcome classified against a listener the suite controls, so a fault of the implementation's
// own listener is never charged to its dial: a backlog the suite filled is `busy` (EAGAIN), a suite
// listener with room is `ok`, no file `absent` (ENOENT), a socket without a listener `refused`
// (ECONNREFUSED).
PIPECHECK_CHECK(UnixOnly, DialOutcomesAgainstASuiteListener, "DIAL-2", "DIAL-1") {
  auto agent = start_unix_agent(agent_options("client"));
  if (agent->platform() != "linux") {
    PIPECHECK_SKIP("DIAL-2 is linux-only; the agent runs on " + agent->platform());
  }
  PIPECHECK_REQUIRE_CAPABILITIES(*agent, "dial");
  SuiteListener full(scratch_root() / "full", 0);
  full.fill();
  SuiteListener room(scratch_root() / "room", 64);
  PlantedSocket no_listener = plant_socket(scratch_root() / "no-listener", false);
  struct Case {
    std::string path, outcome;
    int errno_value;
  };
  const std::vector<Case> cases = {{full.path().string(), "busy", EAGAIN},
                                   {room.path().string(), "ok", 0},
                                   {(scratch_root() / "absent").string(), "absent", ENOENT},
                                   {no_listener.path().string(), "refused", ECONNREFUSED}};
  for (const auto& c : cases) {
    const json dial = agent->call("dial", {{"path", c.path}, {"count", 3}, {"timeout_ms", 500}});
    EXPECT_EQ(outcome_count(dial, c.outcome), 3) << c.outcome << ": " << dial.dump();
    EXPECT_EQ(dial.value("retries", 0), 0) << c.outcome << ": single attempts never retry";
    for (const json& error : dial.value("errors", json::array())) {
      EXPECT_EQ(error.value("system_error", -1), c.errno_value) << c.outcome << ": " << error;
    }
  }
}

// A dial into a full backlog is where a blocking-style connect really waits (Linux queues the
// connect instead of refusing it): however the implementation connects, every attempt ends by its
// own timeout, whatever that timeout is, and the whole call by count × timeout.
PIPECHECK_CHECK(UnixOnly, DialIntoAFullBacklogEndsByItsTimeout, "DIAL-6") {
  auto agent = start_unix_agent(agent_options("client"));
  if (agent->platform() != "linux") {
    PIPECHECK_SKIP("only Linux makes a connect to a full backlog wait; the agent runs on " +
                   agent->platform());
  }
  PIPECHECK_REQUIRE_CAPABILITIES(*agent, "dial");
  SuiteListener full(scratch_root() / "full", 0);
  full.fill();
  constexpr int kCount = 2;
  for (int timeout_ms : {150, 400, 900}) {
    const auto started = std::chrono::steady_clock::now();
    const json dial = agent->call(
        "dial", {{"path", full.path().string()}, {"count", kCount}, {"timeout_ms", timeout_ms}});
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(outcome_count(dial, "ok"), 0) << "nothing accepts, yet: " << dial.dump();
    EXPECT_LE(dial.at("latency_us").value("max", 0.0), (timeout_ms + 100) * 1000.0)
        << "timeout_ms " << timeout_ms << ": an attempt outlived the dial's timeout "
        << dial.dump();
    EXPECT_LE(took, std::chrono::milliseconds(kCount * (timeout_ms + 100) + 1000))
        << "timeout_ms " << timeout_ms << ": the dial call outlived count x timeout";
  }
}

// Socket descriptors of `pid` (from /proc/PID/fd) mapped to whether FD_CLOEXEC is set
// (O_CLOEXEC in /proc/PID/fdinfo's octal `flags`).
std::map<int, bool> socket_cloexec(long long pid) {
  std::map<int, bool> sockets;
  const fs::path fds = "/proc/" + std::to_string(pid) + "/fd";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fds, ec)) {
    std::error_code link_ec;
    const fs::path target = fs::read_symlink(entry.path(), link_ec);
    if (link_ec || !target.string().starts_with("socket:")) continue;
    const std::string fd = entry.path().filename().string();
    std::ifstream info("/proc/" + std::to_string(pid) + "/fdinfo/" + fd);
    std::string key;
    while (info >> key) {
      if (key == "flags:") {
        std::string octal;
        info >> octal;
        sockets[std::stoi(fd)] = (std::stoul(octal, nullptr, 8) & 02000000) != 0;
        break;
      }
    }
  }
  return sockets;
}

// Every descriptor an implementation creates is close-on-exec: the listener and an accepted
// connection in the server, the dialled connection in the client (read from /proc/PID/fdinfo while
// the connection is held open).
PIPECHECK_CHECK(UnixOnly, EveryDescriptorIsCloseOnExec, "LSN-13") {
  auto server = start_unix_agent(agent_options("server"));
  auto client = start_unix_agent(agent_options("client"));
  if (server->platform() != "linux") PIPECHECK_SKIP("reads /proc/PID/fdinfo (Linux)");
  PIPECHECK_REQUIRE_CAPABILITIES(*server, "listen", "close");
  PIPECHECK_REQUIRE_CAPABILITIES(*client, "dial");
  const auto before_server = socket_cloexec(server->process_pid());
  const auto before_client = socket_cloexec(client->process_pid());
  json listen = handshake_args(check_fields(), scratch_root());
  listen["handshake"] = false;
  listen["hold_ms"] = 4000;
  const json listener = server->call("listen", listen);
  auto held = std::async(std::launch::async, [&] {
    return client->call("dial", {{"path", listener.at("path")}, {"hold_ms", 1500}},
                        std::chrono::seconds(10));
  });
  // Wait until the server holds its listener and an accepted connection and the client its
  // dialled one: new socket descriptors in both processes.
  std::map<int, bool> server_now, client_now;
  const auto stop_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(1200);
  while (std::chrono::steady_clock::now() < stop_at) {
    server_now = socket_cloexec(server->process_pid());
    client_now = socket_cloexec(client->process_pid());
    if (server_now.size() >= before_server.size() + 2 &&
        client_now.size() >= before_client.size() + 1) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(outcome_count(held.get(), "ok"), 1);
  ASSERT_GE(server_now.size(), before_server.size() + 2)
      << "never saw the server's listener and accepted connection";
  ASSERT_GE(client_now.size(), before_client.size() + 1)
      << "never saw the client's dialled connection";
  int checked = 0;
  const std::vector<std::pair<std::string, std::map<int, bool>>> processes = {
      {"server", server_now}, {"client", client_now}};
  for (const auto& [who, sockets] : processes) {
    for (const auto& [fd, cloexec] : sockets) {
      ++checked;
      EXPECT_TRUE(cloexec) << who << " socket descriptor " << fd
                           << " is inherited by child processes (no FD_CLOEXEC)";
    }
  }
  harness::measure("socket_descriptors_checked", checked);
  server->call("close", {{"listener", listener.at("listener")}});
}

// The socket is never visible with a mode wider than 0600, not even between bind and a later chmod.
// Under umask 000 the suite watches the endpoint directory (inotify IN_CREATE) and lstat()s each
// socket the moment it appears, over many listens.
PIPECHECK_CHECK(UnixOnly, SocketIsNeverWiderThan0600, "SEC-3") {
  AgentOptions options = agent_options("server");
  options.umask = "000";
  auto server = start_unix_agent(options);
  if (server->platform() != "linux") PIPECHECK_SKIP("watches the directory with inotify");
  PIPECHECK_REQUIRE_CAPABILITIES(*server, "listen", "close", "secure-directory");
  const json args = handshake_args(check_fields(), scratch_root());
  server->call("close", {{"listener", server->call("listen", args).at("listener")}});
  const fs::path dir = endpoint_dir(scratch_root());
  constexpr int kListens = 60;
  const std::vector<std::uint32_t> seen = modes_of_new_entries(dir, [&] {
    for (int i = 0; i < kListens; ++i) {
      const json listener = server->call("listen", args);
      server->call("close", {{"listener", listener.at("listener")}});
    }
  });
  harness::measure("creations_seen", double(seen.size()));
  EXPECT_GE(seen.size(), std::size_t(kListens / 2)) << "the watch saw too few sockets appear";
  for (const std::uint32_t mode : seen) {
    EXPECT_EQ(mode & 0177, 0u) << "a socket was visible with mode 0" << std::oct << mode;
    if (mode & 0177) break;
  }
}

INSTANTIATE_IMPLEMENTATIONS(Unix, UnixOnly);

}  // namespace
}  // namespace pipecheck::suites

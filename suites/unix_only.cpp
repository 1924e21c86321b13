// Unix-only behaviour (label `unix`): endpoint directory and socket modes, refusal of insecure
// endpoint directories, peer-credential checks against another uid, and how a full backlog is
// reported (EAGAIN on Linux; ECONNREFUSED on BSD/macOS). Skipped with the reason on Windows agents.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/check_support.hpp"
#include "support/planted_files.hpp"

namespace pipecheck::suites {
namespace {

namespace fs = std::filesystem;

constexpr uid_t kNobody = 65534;

class UnixOnly : public AgentCheck {
 protected:
  std::unique_ptr<SuiteAgent> start_unix_agent(AgentOptions options) {
    auto agent = start_agent(std::move(options));
    if (agent->platform() == "windows") unix_platform = false;
    return agent;
  }
  fs::path endpoint_dir(const fs::path& root, uid_t uid = ::geteuid()) {
    return root / ("pipecheck-" + std::to_string(uid));
  }
  bool unix_platform = true;
};

mode_t mode_of(const fs::path& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) return 0;
  return info.st_mode & 07777;
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
  if (::geteuid() != 0) PIPECHECK_SKIP("starting a client as uid 65534 needs root");
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

INSTANTIATE_IMPLEMENTATIONS(Unix, UnixOnly);

}  // namespace
}  // namespace pipecheck::suites

// Discovery (label `discovery`): in a scratch root, discovery finds exactly the live endpoints of
// its own hash and reports everything else that carries its `{prefix}-{hash}-` with a reason;
// it never connects to candidates, never follows symlinks, and reclaims only its own stale
// sockets. The suite plants the adversarial entries itself (plain AF_UNIX sockets, files, ...).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/check_support.hpp"
#include "support/planted_files.hpp"

namespace pipecheck::suites {
namespace {

namespace fs = std::filesystem;

struct Found {
  std::vector<long long> live_pids;  // in reply order
  std::set<std::string> live_names;
  std::map<std::string, std::string> rejected;  // name -> reason
  std::set<std::string> reclaimed;
  json raw;
};

// The reason `name` was rejected with, or "(not reported)".
std::string reason_for(const Found& found, const std::string& name) {
  const auto entry = found.rejected.find(name);
  return entry == found.rejected.end() ? "(not reported)" : entry->second;
}

Found discover(SuiteAgent& agent, const json& handshake, bool reclaim = false) {
  json args = handshake;
  if (reclaim) args["reclaim"] = true;
  Found found;
  found.raw = agent.call("discover", args);
  for (const json& endpoint : found.raw.at("live")) {
    found.live_pids.push_back(endpoint.at("pid"));
    found.live_names.insert(endpoint.at("name"));
  }
  for (const json& rejected : found.raw.value("rejected", json::array())) {
    found.rejected[rejected.at("name")] = rejected.at("reason");
  }
  for (const json& name : found.raw.value("reclaimed", json::array())) found.reclaimed.insert(name);
  return found;
}

class Discovery : public AgentCheck {
 protected:
  // A listening agent and a second agent that discovers, sharing this check's handshake.
  void start_pair() {
    server = start_agent(agent_options("server"));
    client = start_agent(agent_options("discoverer"));
  }
  json handshake() { return handshake_args(check_fields(), scratch_root()); }
  json listen_on(SuiteAgent& agent) { return agent.call("listen", handshake()); }
  std::string name_for(long long pid) {
    json args = handshake();
    args["pid"] = pid;
    return client->call("hash", args).at("name");
  }
  fs::path directory() { return scratch_root() / ("pipecheck-" + std::to_string(suite_uid())); }
  bool unix_agents() const {
    return server->platform() != "windows" && client->platform() != "windows";
  }

  std::unique_ptr<SuiteAgent> server, client;
};

PIPECHECK_CHECK(Discovery, FindsExactlyTheLiveEndpointsOfItsHash, "DISC-1", "DISC-2", "DISC-3") {
  start_pair();
  PIPECHECK_REQUIRE_CAPABILITIES(*server, "listen");
  PIPECHECK_REQUIRE_CAPABILITIES(*client, "discover", "discover.report", "hash.pipecheck");
  if (!unix_agents()) PIPECHECK_SKIP("plants AF_UNIX sockets next to the endpoint");
  const json listener = listen_on(*server);

  // Also live and ours: a listening socket the suite bound under its own pid. Discovery must
  // return it without connecting to it (DISC-1).
  PlantedSocket suite_endpoint = plant_socket(directory() / name_for(suite_pid()), true);
  // Other hashes and prefixes, named with live PIDs, listening: never reported.
  json other_fields = check_fields();
  other_fields["salt"] = other_fields["salt"].get<std::string>() + "-other";
  json other_args = handshake_args(other_fields, scratch_root());
  other_args["pid"] = server->pid();
  const std::string other_hash_name = client->call("hash", other_args).at("name");
  PlantedSocket other_hash = plant_socket(directory() / other_hash_name, true);
  const std::string hash = client->call("hash", handshake()).at("hash");
  const std::string other_prefix_name = "pipechecks-" + hash + "-" + std::to_string(suite_pid());
  PlantedSocket other_prefix = plant_socket(directory() / other_prefix_name, true);

  const Found found = discover(*client, handshake());
  std::vector<long long> expected{server->pid(), suite_pid()};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(found.live_pids, expected) << "live endpoints, sorted by pid: " << found.raw.dump();
  EXPECT_TRUE(found.live_names.count(listener.at("name")));
  for (const auto& name : {other_hash_name, other_prefix_name}) {
    EXPECT_FALSE(found.rejected.count(name) || found.live_names.count(name))
        << name << " is not ours and must be ignored";
  }
  EXPECT_FALSE(suite_endpoint.has_pending_connection())
      << "discovery connected to a candidate instead of only listing the directory";
  EXPECT_FALSE(other_hash.has_pending_connection());
}

// Files, directories, fifos and symlinks carrying our name (with a live PID) are
// reported as not_a_socket and never returned, even a symlink to a live socket.
PIPECHECK_CHECK(Discovery, NonSocketsAreReportedAndSymlinksNeverFollowed, "DISC-4", "SEC-5") {
  start_pair();
  PIPECHECK_REQUIRE_CAPABILITIES(*server, "listen");
  PIPECHECK_REQUIRE_CAPABILITIES(*client, "discover", "discover.report", "hash.pipecheck");
  if (!unix_agents()) PIPECHECK_SKIP("DISC-4 is unix-only");
  const json listener = listen_on(*server);
  const fs::path live_socket = listener.at("path").get<std::string>();
  const fs::path entry = directory() / name_for(suite_pid());
  const fs::path outside = scratch_root() / "outside-target";
  plant_regular_file(outside);

  const std::vector<std::pair<std::string, std::function<void()>>> kinds = {
      {"regular file", [&] { plant_regular_file(entry); }},
      {"directory", [&] { plant_directory(entry); }},
      {"fifo", [&] { plant_fifo(entry); }},
      {"symlink to the live socket", [&] { plant_symlink(live_socket, entry); }},
      {"symlink to a regular file", [&] { plant_symlink(outside, entry); }},
      {"dangling symlink", [&] { plant_symlink(scratch_root() / "nothing", entry); }},
  };
  for (const auto& [kind, plant] : kinds) {
    plant();
    const Found found = discover(*client, handshake(), /*reclaim=*/true);
    const std::string name = entry.filename().string();
    EXPECT_EQ(reason_for(found, name), "not_a_socket") << kind;
    EXPECT_FALSE(found.live_names.count(name)) << kind << " returned as live";
    EXPECT_EQ(found.live_pids, std::vector<long long>{server->pid()}) << kind;
    EXPECT_FALSE(found.reclaimed.count(name)) << kind << " was reclaimed (not ours to remove)";
    EXPECT_TRUE(fs::exists(fs::symlink_status(entry))) << kind << " was removed";
    EXPECT_TRUE(fs::exists(live_socket)) << kind << ": the symlink's target was removed";
    fs::remove_all(entry);  // our own planted entry (a symlink is removed, not followed)
  }
}

// A socket owned by another uid is foreign_owner: never returned, never reclaimed.
PIPECHECK_CHECK(Discovery, ForeignSocketsAreNeverReturnedOrRemoved, "DISC-5", "DISC-7", "SEC-5") {
  start_pair();
  PIPECHECK_REQUIRE_CAPABILITIES(*client, "discover", "discover.report", "hash.pipecheck");
  if (!unix_agents()) PIPECHECK_SKIP("DISC-5 is unix-only");
  if (!can_change_owner()) {
    PIPECHECK_SKIP("planting a socket owned by another uid needs root (lchown)");
  }
  fs::create_directories(directory());
  change_mode(directory(), 0700);
  const fs::path live_foreign = directory() / name_for(suite_pid());
  PlantedSocket foreign = plant_socket(live_foreign, true);
  change_owner(live_foreign, 65534, 65534);
  const fs::path dead_foreign = directory() / name_for(dead_pid());
  PlantedSocket dead = plant_socket(dead_foreign, false);
  change_owner(dead_foreign, 65534, 65534);

  const Found found = discover(*client, handshake(), /*reclaim=*/true);
  for (const fs::path& path : {live_foreign, dead_foreign}) {
    const std::string name = path.filename().string();
    EXPECT_EQ(reason_for(found, name), "foreign_owner") << name;
    EXPECT_FALSE(found.live_names.count(name));
    EXPECT_FALSE(found.reclaimed.count(name));
    EXPECT_TRUE(fs::exists(fs::symlink_status(path))) << name << " was removed";
  }
  EXPECT_TRUE(found.live_pids.empty()) << found.raw.dump();
}

// Our socket with a dead PID is stale; reclaim removes it and nothing else.
PIPECHECK_CHECK(Discovery, StaleEntriesAreReportedAndOnlyOursReclaimed, "DISC-6", "DISC-7",
                "SEC-5") {
  start_pair();
  PIPECHECK_REQUIRE_CAPABILITIES(*server, "listen");
  PIPECHECK_REQUIRE_CAPABILITIES(*client, "discover", "discover.report", "discover.reclaim",
                                 "hash.pipecheck");
  if (!unix_agents()) PIPECHECK_SKIP("plants AF_UNIX sockets");
  const json listener = listen_on(*server);
  const fs::path stale_socket = directory() / name_for(dead_pid());
  PlantedSocket stale = plant_socket(stale_socket, false);
  stale.close();  // as a crashed server leaves it: connect is refused
  const fs::path stale_file = directory() / name_for(dead_pid());
  plant_regular_file(stale_file);

  const Found reported = discover(*client, handshake());
  EXPECT_EQ(reason_for(reported, stale_socket.filename().string()), "stale");
  EXPECT_EQ(reason_for(reported, stale_file.filename().string()), "not_a_socket");
  EXPECT_TRUE(reported.reclaimed.empty()) << "reclaimed without being asked";
  EXPECT_TRUE(fs::exists(fs::symlink_status(stale_socket)));

  const Found reclaimed = discover(*client, handshake(), /*reclaim=*/true);
  EXPECT_EQ(reclaimed.reclaimed, std::set<std::string>{stale_socket.filename().string()});
  EXPECT_FALSE(fs::exists(fs::symlink_status(stale_socket))) << "stale socket not removed";
  EXPECT_TRUE(fs::exists(fs::symlink_status(stale_file))) << "a regular file was removed";
  EXPECT_TRUE(fs::exists(listener.at("path").get<std::string>())) << "the live socket was removed";
  EXPECT_EQ(reclaimed.live_pids, std::vector<long long>{server->pid()});
}

// Reclaim removes a dead PID's socket only after a connect to it is refused. A socket under a dead
// PID's name that still accepts connections (the suite listens on it) is never removed, while a
// refusing one beside it is: an implementation that deletes without probing fails, and one that
// never reclaims fails too.
PIPECHECK_CHECK(Discovery, ReclaimProbesBeforeDeleting, "DISC-7", "SEC-5") {
  start_pair();
  PIPECHECK_REQUIRE_CAPABILITIES(*server, "listen");
  PIPECHECK_REQUIRE_CAPABILITIES(*client, "discover", "discover.reclaim", "hash.pipecheck");
  if (!unix_agents()) PIPECHECK_SKIP("plants AF_UNIX sockets");
  listen_on(*server);  // creates the endpoint directory the way the implementation does
  const pid_t first = dead_pid(), second = dead_pid();
  const fs::path answering = directory() / name_for(first);
  const fs::path refusing = directory() / name_for(second);
  PlantedSocket still_listening = plant_socket(answering, true);
  PlantedSocket crashed = plant_socket(refusing, false);
  crashed.close();
  const Found reclaimed = discover(*client, handshake(), /*reclaim=*/true);
  EXPECT_TRUE(fs::exists(fs::symlink_status(answering)))
      << "reclaim removed a dead PID's socket that still accepts connections";
  EXPECT_FALSE(reclaimed.reclaimed.count(answering.filename().string())) << reclaimed.raw;
  EXPECT_FALSE(fs::exists(fs::symlink_status(refusing)))
      << "reclaim left a refusing socket of a dead PID";
  EXPECT_TRUE(reclaimed.reclaimed.count(refusing.filename().string())) << reclaimed.raw;
}

// No endpoint directory is an empty result; an insecure one is an error.
PIPECHECK_CHECK(Discovery, MissingDirectoryIsEmptyAndInsecureOneIsAnError, "DISC-9", "SEC-2") {
  start_pair();
  PIPECHECK_REQUIRE_CAPABILITIES(*client, "discover");
  if (!unix_agents()) PIPECHECK_SKIP("the endpoint directory is a unix notion");
  const Found empty = discover(*client, handshake());
  EXPECT_TRUE(empty.live_pids.empty() && empty.rejected.empty()) << empty.raw.dump();
  EXPECT_FALSE(fs::exists(directory())) << "discovery must not create the directory";

  fs::create_directory(directory());
  change_mode(directory(), 0777);
  const auto refused = call_expecting_error(*client, "discover", handshake());
  ASSERT_TRUE(refused.has_value()) << "a world-writable endpoint directory was listed";
  EXPECT_EQ(refused->code(), "insecure_directory") << refused->message();
  EXPECT_NE(refused->message().find(directory().string()), std::string::npos)
      << "the message must name the path: " << refused->message();
}

// Endpoints of other agent processes — of every selected implementation — are found;
// one whose listener closed is absent from the next discovery.
PIPECHECK_CHECK(Discovery, FindsOtherProcessesAndClosedOnesDisappear, "DISC-8") {
  client = start_agent(agent_options("discoverer"));
  PIPECHECK_REQUIRE_CAPABILITIES(*client, "discover");
  std::vector<std::unique_ptr<SuiteAgent>> servers;
  std::vector<std::string> server_names = selected_implementations();
  server_names.push_back(GetParam());            // at least two processes of its own kind too
  std::map<long long, std::string> listener_of;  // pid -> listener id
  for (std::size_t i = 0; i < server_names.size(); ++i) {
    harness::implementation("server-" + std::to_string(i), server_names[i]);
    auto agent = SuiteAgent::start(server_names[i], agent_options("server-" + std::to_string(i)));
    if (!agent->has("listen") || !agent->has("close") || agent->platform() != client->platform()) {
      std::cout << server_names[i] << ": cannot serve this discoverer, left out\n";
      continue;
    }
    listener_of[agent->pid()] = agent->call("listen", handshake()).at("listener");
    servers.push_back(std::move(agent));
  }
  ASSERT_GE(servers.size(), 2u);
  std::vector<long long> expected;
  for (const auto& [pid, listener] : listener_of) expected.push_back(pid);
  EXPECT_EQ(discover(*client, handshake()).live_pids, expected);

  SuiteAgent& closing = *servers.front();
  closing.call("close", {{"listener", listener_of.at(closing.pid())}});
  expected.erase(std::find(expected.begin(), expected.end(), closing.pid()));
  EXPECT_EQ(discover(*client, handshake()).live_pids, expected)
      << "a closed listener still shows up";
}

INSTANTIATE_IMPLEMENTATIONS(Discovery, Discovery);

}  // namespace
}  // namespace pipecheck::suites

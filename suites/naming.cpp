// Names and paths (label `naming`): `{prefix}-{hash}-{pid}`, PID formatting, prefixes, the
// endpoint path layout, the 104-byte path budget (refused, never truncated) and strict parsing of
// directory entries (seen through discovery). Every name is computed by an agent.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/check_support.hpp"
#include "support/planted_files.hpp"

namespace pipecheck::suites {
namespace {

namespace fs = std::filesystem;

class Naming : public AgentCheck {};

std::string uid_text() {
  return std::to_string(suite_uid());
}

json hash_with(SuiteAgent& agent, json args, long long pid) {
  args["pid"] = pid;
  return agent.call("hash", args);
}

PIPECHECK_CHECK(Naming, NameIsPrefixHashPid, "NAME-1", "NAME-3", "NAME-5") {
  auto agent = start_agent();
  PIPECHECK_REQUIRE_CAPABILITIES(*agent, "hash.pipecheck");
  if (agent->platform() == "windows") PIPECHECK_SKIP("unix path layout; see the windows suite");
  const json args = handshake_args(check_fields(), scratch_root());
  for (long long pid : {1LL, 7LL, 10LL, 4242LL, 65536LL, 2147483647LL}) {
    const json result = hash_with(*agent, args, pid);
    const std::string hash = result.at("hash");
    const std::string expected_name = "pipecheck-" + hash + "-" + std::to_string(pid);
    EXPECT_EQ(result.at("name"), expected_name) << "pid " << pid;
    EXPECT_EQ(result.at("path"),
              (scratch_root() / ("pipecheck-" + uid_text()) / expected_name).string())
        << "pid " << pid;
  }
  // Without a pid the name carries the agent's own.
  const json own = agent->call("hash", args);
  EXPECT_TRUE(own.at("name").get<std::string>().ends_with("-" + std::to_string(agent->pid())))
      << own.dump() << " (agent pid " << agent->pid() << ")";
}

PIPECHECK_CHECK(Naming, PidOutsideThePlatformRangeIsRefused, "NAME-3", "NAME-4") {
  auto agent = start_agent();
  PIPECHECK_REQUIRE_CAPABILITIES(*agent, "hash.pipecheck");
  if (agent->platform() == "windows") PIPECHECK_SKIP("POSIX PID range; Windows PIDs are DWORDs");
  const json args = handshake_args(check_fields(), scratch_root());
  for (long long pid : {0LL, -1LL, 2147483648LL}) {
    json bad = args;
    bad["pid"] = pid;
    const auto refused = call_expecting_error(*agent, "hash", bad);
    ASSERT_TRUE(refused.has_value()) << "pid " << pid << " gave a name";
    EXPECT_EQ(refused->code(), "invalid_argument") << "pid " << pid << ": " << refused->message();
  }
}

PIPECHECK_CHECK(Naming, PrefixRulesAndDefaults, "NAME-2", "HASH-23") {
  auto agent = start_agent();
  PIPECHECK_REQUIRE_CAPABILITIES(*agent, "hash.pipecheck", "hash.msbuild");
  const bool windows = agent->platform() == "windows";
  // The shortest root, so 32-character prefixes fit the path budget (NAME-6).
  const json args = handshake_args(check_fields(), "/");
  for (const std::string& prefix :
       std::vector<std::string>{"A", "My.App_2", "x._9", std::string(32, 'P')}) {
    json named = args;
    named["prefix"] = prefix;
    const json result = hash_with(*agent, named, 4);  // one digit: fits with 32 characters
    EXPECT_EQ(result.at("name"), prefix + "-" + result.at("hash").get<std::string>() + "-4");
  }
  for (const std::string& prefix :
       std::vector<std::string>{"a-b", std::string(33, 'P'), "a b", "caf\u00e9", "a/b", "a:b"}) {
    json named = args;
    named["prefix"] = prefix;
    const auto refused = call_expecting_error(*agent, "hash", named);
    ASSERT_TRUE(refused.has_value()) << "prefix \"" << prefix << "\" was accepted";
    EXPECT_EQ(refused->code(), "invalid_argument") << prefix << ": " << refused->message();
    EXPECT_EQ(refused->error().value("field", ""), "prefix") << refused->error().dump();
  }
  // Default prefixes: pipecheck, and MSBuild for the msbuild profile at {root}/{name}.
  EXPECT_TRUE(hash_with(*agent, args, 5).at("name").get<std::string>().starts_with("pipecheck-"));
  const json msbuild =
      hash_with(*agent,
                handshake_args({{"options", "8"}, {"salt", "1"}, {"version", "17.8"}},
                               scratch_root(), "msbuild"),
                5);
  const std::string name = msbuild.at("name");
  EXPECT_EQ(name, "MSBuild-" + msbuild.at("hash").get<std::string>() + "-5");
  if (!windows) {
    EXPECT_EQ(msbuild.at("path"), (scratch_root() / name).string());
  }
}

PIPECHECK_CHECK(Naming, RootIsNeverHashed, "NAME-5") {
  auto agent = start_agent();
  PIPECHECK_REQUIRE_CAPABILITIES(*agent, "hash.pipecheck");
  if (agent->platform() == "windows") PIPECHECK_SKIP("roots are a unix notion (NAME-5)");
  const fs::path other_root = scratch_root() / "other";
  const json a = hash_with(*agent, handshake_args(check_fields(), scratch_root()), 9);
  const json b = hash_with(*agent, handshake_args(check_fields(), other_root), 9);
  EXPECT_EQ(a.at("hash"), b.at("hash"));
  EXPECT_EQ(a.at("name"), b.at("name"));
  EXPECT_NE(a.at("path"), b.at("path"));

  // PIPECHECK_ROOT is the default root; an explicit root wins over it.
  AgentOptions with_env = agent_options("env-root");
  with_env.env["PIPECHECK_ROOT"] = other_root.string();
  auto env_agent = start_agent(with_env);
  const json from_env = hash_with(*env_agent, handshake_args(check_fields()), 9);
  EXPECT_EQ(from_env.at("path"),
            (other_root / ("pipecheck-" + uid_text()) / a.at("name").get<std::string>()).string());
  EXPECT_EQ(from_env.at("hash"), a.at("hash"));
  EXPECT_EQ(hash_with(*env_agent, handshake_args(check_fields(), scratch_root()), 9).at("path"),
            a.at("path"));
}

// A path of exactly 103 bytes (+ NUL = 104) works; one byte more is refused with the
// excess named, for `hash` and for `listen`, and nothing is created under a truncated name.
PIPECHECK_CHECK(Naming, PathOverTheBudgetIsRefusedNeverTruncated, "NAME-6") {
  auto agent = start_agent();
  PIPECHECK_REQUIRE_CAPABILITIES(*agent, "hash.pipecheck", "listen", "close");
  if (agent->platform() == "windows") PIPECHECK_SKIP("sun_path budget is a unix rule (NAME-6)");
  const long long pid = agent->pid();
  const json short_form = hash_with(*agent, handshake_args(check_fields(), scratch_root()), pid);
  const std::size_t tail = short_form.at("path").get<std::string>().size() -
                           scratch_root().string().size();  // "/pipecheck-0/name"
  auto root_for = [&](std::size_t path_length) {
    const std::size_t filler = path_length - tail - scratch_root().string().size() - 1;
    return scratch_root() / std::string(filler, 'r');
  };
  const fs::path fitting = root_for(103);
  fs::create_directory(fitting);
  const json fits = hash_with(*agent, handshake_args(check_fields(), fitting), pid);
  EXPECT_EQ(fits.at("path").get<std::string>().size(), 103u) << fits.dump();
  const json listener = agent->call("listen", handshake_args(check_fields(), fitting));
  EXPECT_TRUE(fs::exists(fs::symlink_status(listener.at("path").get<std::string>())));
  agent->call("close", {{"listener", listener.at("listener")}});

  for (std::size_t over : {1u, 7u}) {
    const fs::path too_long = root_for(103 + over);
    fs::create_directory(too_long);
    json refused_args = handshake_args(check_fields(), too_long);
    refused_args["pid"] = pid;
    for (const char* op : {"hash", "listen"}) {
      json args = refused_args;
      if (std::string_view(op) == "listen") args.erase("pid");
      const auto refused = call_expecting_error(*agent, op, args);
      ASSERT_TRUE(refused.has_value())
          << op << " accepted a path of " << 103 + over + 1 << " bytes";
      EXPECT_EQ(refused->code(), "path_too_long") << op << ": " << refused->message();
      EXPECT_TRUE(
          std::regex_search(refused->message(), std::regex("\\b" + std::to_string(over) + "\\b")))
          << op << ": the message should say it is " << over
          << " byte(s) over: " << refused->message();
    }
    for (const auto& entry : fs::recursive_directory_iterator(too_long)) {
      EXPECT_FALSE(entry.is_socket()) << "a socket was created at " << entry.path();
    }
  }
}

// Strict parsing of directory entries. Entries of the adversarial list are
// planted as sockets; names that must parse come back live or stale, the rest that carry our
// `{prefix}-{hash}-` are reported malformed, and other prefixes or hashes are not reported.
PIPECHECK_CHECK(Naming, DirectoryEntriesAreParsedStrictly, "NAME-4", "DISC-3") {
  auto agent = start_agent();
  PIPECHECK_REQUIRE_CAPABILITIES(*agent, "hash.pipecheck", "discover", "discover.report");
  if (agent->platform() == "windows") PIPECHECK_SKIP("plants AF_UNIX socket files");
  const json names = load_fixture("names/adversarial.json");
  const std::string where = "fixtures/names/adversarial.json";
  const std::string prefix = fixture_field(names, "prefix", where);
  const std::string hash = fixture_field(names, "hash", where);
  // The fixture's hash is golden vector pc-001's.
  const json fields{{"kind", "worker"},
                    {"version", "17.8"},
                    {"arch", "x64"},
                    {"salt", "tools-dir"},
                    {"user", "1000"}};
  const json args = handshake_args(fields, scratch_root(), "pipecheck", prefix);
  ASSERT_EQ(agent->call("hash", args).at("hash"), hash) << "fixture hash is not pc-001's";
  const fs::path directory = scratch_root() / (prefix + "-" + uid_text());
  fs::create_directory(directory);
  change_mode(directory, 0700);

  std::vector<PlantedSocket> planted;
  std::map<std::string, long long> must_parse;
  std::set<std::string> malformed, ignored;
  const std::string ours = prefix + "-" + hash + "-";
  for (const json& entry : fixture_field(names, "must_parse", where)) {
    must_parse[entry.at("name")] = entry.at("pid");
  }
  for (const json& entry : fixture_field(names, "must_not_parse", where)) {
    const std::string name = entry.at("name");
    if (name.empty() || name.find('/') != std::string::npos) continue;  // not a file name
    (name.starts_with(ours) ? malformed : ignored).insert(name);
  }
  for (const auto& [name, pid] : must_parse)
    planted.push_back(plant_socket(directory / name, false));
  for (const auto& name : malformed) planted.push_back(plant_socket(directory / name, false));
  for (const auto& name : ignored) planted.push_back(plant_socket(directory / name, false));

  const json found = agent->call("discover", args);
  std::map<std::string, std::string> reason_of;
  for (const json& rejected : found.at("rejected")) {
    reason_of[rejected.at("name")] = rejected.at("reason");
  }
  std::set<std::string> live;
  for (const json& endpoint : found.at("live")) live.insert(endpoint.at("name"));
  for (const auto& [name, pid] : must_parse) {
    const bool alive = pid_alive(pid);
    if (alive) {
      EXPECT_TRUE(live.count(name) || reason_of[name] == "stale")
          << name << " (pid " << pid << " alive) should parse";
    } else {
      EXPECT_EQ(reason_of[name], "stale") << name << " should parse (dead pid → stale)";
    }
  }
  for (const auto& name : malformed) {
    EXPECT_EQ(reason_of[name], "malformed_name") << "\"" << name << "\"";
    EXPECT_FALSE(live.count(name)) << "\"" << name << "\"";
  }
  for (const auto& name : ignored) {
    EXPECT_FALSE(reason_of.count(name) || live.count(name))
        << "\"" << name << "\" has another prefix or hash and must be ignored";
  }
  harness::measure("entries_planted", double(planted.size()));
}

INSTANTIATE_IMPLEMENTATIONS(Naming, Naming);

}  // namespace
}  // namespace pipecheck::suites

// Endpoint names (NAME-1..4): building, the prefix rule, and the strict PID parser against
// fixtures/names/adversarial.json.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "pipecheck/error.hpp"
#include "pipecheck/naming.hpp"
#include "test_users.hpp"

namespace {

using pipecheck::Errc;
using pipecheck::Error;

pipecheck::Handshake sample_handshake() {
  return pipecheck::make_handshake("pipecheck", {{"kind", "worker"},
                                                 {"version", "17.8"},
                                                 {"arch", "x64"},
                                                 {"salt", "tools-dir"},
                                                 {"user", pipecheck::test_support::kUser}});
}

nlohmann::json load_names() {
  std::ifstream in(PIPECHECK_FIXTURES_DIR "/names/adversarial.json");
  EXPECT_TRUE(in) << "cannot open " PIPECHECK_FIXTURES_DIR "/names/adversarial.json";
  return nlohmann::json::parse(in);
}

// A must_not_parse entry is refused everywhere unless it lists the platforms in `rejected_on`.
bool rejected_here(const nlohmann::json& entry) {
#ifdef _WIN32
  const std::string platform = "windows";
#else
  const std::string platform = "posix";
#endif
  if (!entry.contains("rejected_on")) return true;
  for (const auto& name : entry["rejected_on"])
    if (name == platform) return true;
  return false;
}

TEST(EndpointName, PrefixHashPid) {
  EXPECT_EQ(pipecheck::endpoint_name("pipecheck", "abc", 4242), "pipecheck-abc-4242");
  EXPECT_EQ(pipecheck::endpoint_name("p", "h", 1), "p-h-1");
}

TEST(EndpointName, RejectsPidOutOfRange) {
  for (pipecheck::ProcessId pid :
       {pipecheck::ProcessId{0}, pipecheck::ProcessId{-1}, pipecheck::max_process_id() + 1}) {
    try {
      pipecheck::endpoint_name("pipecheck", "abc", pid);
      ADD_FAILURE() << "accepted pid " << pid;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Errc::invalid_field);
      EXPECT_EQ(e.field(), "pid");
      EXPECT_EQ(std::string(e.what()).rfind("field 'pid': ", 0), 0u) << e.what();
    }
  }
}

TEST(EndpointName, DefaultAndCustomPrefix) {
  auto hs = sample_handshake();
  auto ep = pipecheck::endpoint_for(hs, 4242, {.root = "/tmp", .prefix = ""});
  EXPECT_EQ(ep.name, "pipecheck-" + hs.hash + "-4242");
  EXPECT_EQ(ep.pid, 4242);
  ep = pipecheck::endpoint_for(hs, 7, {.root = "/tmp", .prefix = "My.App_2"});
  EXPECT_EQ(ep.name, "My.App_2-" + hs.hash + "-7");
  auto msbuild = pipecheck::make_handshake(
      "msbuild", {{"options", "16777352"}, {"salt", "1"}, {"version", "17.8"}});
  EXPECT_EQ(pipecheck::endpoint_for(msbuild, 9, {.root = "/tmp", .prefix = ""}).name,
            "MSBuild-" + msbuild.hash + "-9");
}

TEST(EndpointName, PrefixRule) {
  auto hs = sample_handshake();
  // 32 characters is the longest prefix (its endpoint path may still be over budget: NAME-6).
  EXPECT_NO_THROW(
      pipecheck::endpoint_directory(hs, {.root = "/tmp", .prefix = std::string(32, 'P')}));
  for (const std::string& bad :
       {std::string(33, 'P'), std::string("a-b"), std::string("a/b"), std::string("a b"),
        std::string("caf\xc3\xa9"), std::string("..\x01")}) {
    try {
      pipecheck::endpoint_for(hs, 1, {.root = "/tmp", .prefix = bad});
      ADD_FAILURE() << "accepted prefix " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Errc::invalid_field);
      EXPECT_EQ(e.field(), "prefix");
      EXPECT_EQ(std::string(e.what()).rfind("field 'prefix': ", 0), 0u) << e.what();
      EXPECT_NE(std::string(e.what()).find("NAME-2"), std::string::npos) << e.what();
    }
  }
}

TEST(ParseEndpointPid, RoundTripsBuiltNames) {
  for (pipecheck::ProcessId pid :
       {pipecheck::ProcessId{1}, pipecheck::ProcessId{4242}, pipecheck::max_process_id()}) {
    EXPECT_EQ(
        pipecheck::parse_endpoint_pid(pipecheck::endpoint_name("pc", "hash", pid), "pc", "hash"),
        pid);
  }
}

TEST(ParseEndpointPid, AdversarialFixture) {
  auto names = load_names();
  ASSERT_GE(names["must_not_parse"].size(), 20u);
  const std::string prefix = names["prefix"], hash = names["hash"];
  for (const auto& entry : names["must_parse"]) {
    EXPECT_EQ(pipecheck::parse_endpoint_pid(entry["name"].get<std::string>(), prefix, hash),
              entry["pid"].get<pipecheck::ProcessId>())
        << entry["why"];
  }
  for (const auto& entry : names["must_not_parse"]) {
    const auto parsed =
        pipecheck::parse_endpoint_pid(entry["name"].get<std::string>(), prefix, hash);
    if (rejected_here(entry)) {
      EXPECT_EQ(parsed, std::nullopt) << entry["why"] << ": " << entry["name"];
    } else {
      EXPECT_EQ(parsed, entry.at("pid_elsewhere").get<pipecheck::ProcessId>())
          << entry["why"] << ": " << entry["name"];
    }
  }
  const std::string msbuild_prefix = names["msbuild_prefix"], msbuild_hash = names["msbuild_hash"];
  for (const auto& entry : names["msbuild_must_parse"]) {
    EXPECT_EQ(pipecheck::parse_endpoint_pid(entry["name"].get<std::string>(), msbuild_prefix,
                                            msbuild_hash),
              entry["pid"].get<pipecheck::ProcessId>())
        << entry["why"];
  }
  for (const auto& entry : names["msbuild_must_not_parse"]) {
    EXPECT_EQ(pipecheck::parse_endpoint_pid(entry["name"].get<std::string>(), msbuild_prefix,
                                            msbuild_hash),
              std::nullopt)
        << entry["why"];
  }
}

}  // namespace

// Hash stability (label `hash`): golden vectors, reject rules, independence from the agent's
// environment, field sensitivity, `*` architecture, alphabet, cross-implementation agreement.
// Every hash is computed by an agent through the `hash` op.
#include <unistd.h>

#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/check_support.hpp"

namespace pipecheck::suites {
namespace {

using harness::measure;

class HashStability : public AgentCheck {};

// The golden vectors of one profile that apply to `agent`: SID users only on Windows, uid users
// elsewhere, and `*` only where it resolves to the architecture the vector was computed for.
struct ApplicableVectors {
  std::vector<json> vectors;
  std::vector<std::string> not_applicable;  // "pc-045: SID user, agent is linux"
};

ApplicableVectors applicable_vectors(const json& file, const SuiteAgent& agent) {
  ApplicableVectors result;
  const bool windows = agent.platform() == "windows";
  for (const json& vector : fixture_field(file, "vectors", "fixtures/vectors")) {
    const std::string id = fixture_field(vector, "id", "fixtures/vectors: a vector");
    const std::string user_form = vector.value("user_form", "");
    if (!user_form.empty() && (user_form == "sid") != windows) {
      result.not_applicable.push_back(id + ": user form " + user_form + ", agent runs on " +
                                      agent.platform());
      continue;
    }
    if (vector.contains("resolved_arch") && vector["resolved_arch"] != agent.arch()) {
      result.not_applicable.push_back(id + ": '*' was resolved as " +
                                      vector["resolved_arch"].get<std::string>() +
                                      ", agent arch is " + agent.arch());
      continue;
    }
    result.vectors.push_back(vector);
  }
  return result;
}

json vector_args(const json& vector, std::string_view profile, long long pid) {
  // The shortest root keeps long prefixes inside the path budget; the root is never hashed.
  json args = handshake_args(vector.at("fields"), "/", profile, vector.value("prefix", ""));
  args["pid"] = pid;
  return args;
}

struct VectorHash {
  json result;
  long long pid = 0;  // the pid the name was computed with
  std::string note;   // why another pid than the vector's was used
};

// Hashes a golden vector. When its name does not fit the unix path budget even under "/" (a
// 32-character prefix and a 5-digit pid), the agent must refuse it (NAME-6); the hash is then
// checked with pid 1, which fits.
VectorHash hash_vector(SuiteAgent& agent, const json& vector, std::string_view profile) {
  const long long pid = vector.at("pid");
  json result;
  const auto refused =
      call_expecting_error(agent, "hash", vector_args(vector, profile, pid), &result);
  if (!refused) return {result, pid, ""};
  if (refused->code() != "path_too_long") throw *refused;
  return {agent.call("hash", vector_args(vector, profile, 1)), 1,
          "path over budget with pid " + std::to_string(pid) + " (" + refused->message() +
              "); checked with pid 1"};
}

std::string name_with_pid(const json& vector, long long pid) {
  return vector.value("prefix", "") + "-" + vector.at("hash").get<std::string>() + "-" +
         std::to_string(pid);
}

void expect_golden_vectors(SuiteAgent& agent, std::string_view profile) {
  const json file = load_fixture("vectors/" + std::string(profile) + ".json");
  const ApplicableVectors chosen = applicable_vectors(file, agent);
  ASSERT_FALSE(chosen.vectors.empty()) << "no vector of " << profile << " applies";
  for (const json& vector : chosen.vectors) {
    const std::string what =
        vector.at("id").get<std::string>() + " (" + vector.value("description", "") + ")";
    VectorHash hashed;
    try {
      hashed = hash_vector(agent, vector, profile);
    } catch (const harness::AgentReplyError& refused) {
      ADD_FAILURE() << what << ": refused with " << refused.code() << ": " << refused.message();
      continue;
    }
    if (!hashed.note.empty()) std::cout << what << ": " << hashed.note << "\n";
    EXPECT_EQ(hashed.result.value("key", ""), vector.at("key").get<std::string>()) << what;
    EXPECT_EQ(hashed.result.value("hash", ""), vector.at("hash").get<std::string>()) << what;
    const std::string expected_name = hashed.pid == vector.at("pid").get<long long>()
                                          ? vector.at("name").get<std::string>()
                                          : name_with_pid(vector, hashed.pid);
    EXPECT_EQ(hashed.result.value("name", ""), expected_name) << what;
  }
  measure(std::string(profile) + "_vectors_checked", double(chosen.vectors.size()));
  for (const auto& reason : chosen.not_applicable) {
    std::cout << "not applicable here: " << reason << "\n";
  }
}

// True when `bytes` can travel in the protocol's JSON (nlohmann refuses to dump invalid UTF-8).
bool valid_utf8(const std::string& bytes) {
  try {
    (void)json(bytes).dump();
    return true;
  } catch (const json::type_error&) {
    return false;
  }
}

// A reject's field values as JSON strings. {"hex": ...} holds raw bytes; those that are not
// valid UTF-8 cannot travel as JSON strings (nullopt): InvalidUtf8IsRefused sends them in the
// protocol's `fields_hex` form instead.
std::optional<json> sendable_fields(const json& fields) {
  json out = json::object();
  for (const auto& [name, value] : fields.items()) {
    if (!value.is_object()) {
      out[name] = value;
      continue;
    }
    const std::string hex = value.at("hex");
    std::string bytes;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
      bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    }
    if (!valid_utf8(bytes)) return std::nullopt;
    out[name] = bytes;
  }
  return out;
}

PIPECHECK_CHECK(HashStability, PipecheckGoldenVectors, "HASH-1", "HASH-2", "HASH-3", "HASH-4",
                "HASH-5", "HASH-6", "HASH-7", "HASH-8", "NAME-1", "NAME-2", "NAME-3") {
  auto agent = start_agent();
  PIPECHECK_REQUIRE_CAPABILITIES(*agent, "hash.pipecheck");
  expect_golden_vectors(*agent, "pipecheck");
}

PIPECHECK_CHECK(HashStability, MsbuildGoldenVectors, "HASH-20", "HASH-21", "HASH-22", "HASH-23") {
  auto agent = start_agent();
  PIPECHECK_REQUIRE_CAPABILITIES(*agent, "hash.msbuild");
  expect_golden_vectors(*agent, "msbuild");
}

// Every reject vector is refused with invalid_argument naming the field; no hash comes back.
PIPECHECK_CHECK(HashStability, EveryRejectRuleIsEnforced, "HASH-30", "HASH-1", "HASH-2", "HASH-3",
                "HASH-4", "HASH-5", "HASH-6", "HASH-20") {
  auto agent = start_agent();
  PIPECHECK_REQUIRE_CAPABILITIES(*agent, "hash.pipecheck", "hash.msbuild");
  const json file = load_fixture("vectors/rejects.json");
  int checked = 0, raw_bytes = 0;
  for (const json& reject : fixture_field(file, "rejects", "fixtures/vectors/rejects.json")) {
    const std::string id = reject.at("id");
    const std::string what = id + " (" + reject.value("description", "") + ")";
    const std::string profile = reject.at("profile");
    const std::optional<json> fields = sendable_fields(reject.at("fields"));
    if (!fields) {
      ++raw_bytes;  // HashStability.InvalidUtf8IsRefused sends these
      continue;
    }
    json result;
    const auto refused =
        call_expecting_error(*agent, "hash", handshake_args(*fields, {}, profile), &result);
    ++checked;
    if (!refused) {
      ADD_FAILURE() << what << ": accepted and hashed to " << result.dump();
      continue;
    }
    EXPECT_EQ(refused->code(), reject.at("error")) << what << ": " << refused->message();
    const json& error = refused->error();
    // A field rule names the field; an unknown profile names the `profile` argument.
    const std::string expected_field = reject.at("field");
    EXPECT_EQ(error.value("field", ""), expected_field) << what << ": " << error.dump();
    EXPECT_FALSE(error.contains("hash")) << what;
    EXPECT_FALSE(refused->message().empty()) << what << ": the message must name the rule";
  }
  measure("rejects_checked", checked);
  measure("rejects_sent_as_hex_elsewhere", raw_bytes);
}

// Every reject vector whose bytes are not valid UTF-8 is sent in the protocol's `fields_hex` form
// and refused naming its field. A valid salt sent the same way hashes like the same salt sent as a
// string, so the form itself is known to work.
PIPECHECK_CHECK(HashStability, InvalidUtf8IsRefused, "HASH-5", "HASH-30") {
  auto agent = start_agent();
  PIPECHECK_REQUIRE_CAPABILITIES(*agent, "hash.pipecheck", "fields.hex");
  const json plain = {
      {"kind", "worker"}, {"version", "1"}, {"arch", "x64"}, {"salt", "\xc3\xa9t\xc3\xa9"}};
  json hexed = plain;
  hexed.erase("salt");
  json args = handshake_args(hexed);
  args["fields_hex"] = {{"salt", "c3a974c3a9"}};
  EXPECT_EQ(agent->call("hash", args).at("hash"),
            agent->call("hash", handshake_args(plain)).at("hash"))
      << "the salt \"été\" sent as hex hashes differently from the same salt as a string";
  const json file = load_fixture("vectors/rejects.json");
  int checked = 0;
  for (const json& reject : fixture_field(file, "rejects", "fixtures/vectors/rejects.json")) {
    if (sendable_fields(reject.at("fields"))) continue;  // EveryRejectRuleIsEnforced's
    const std::string what =
        reject.at("id").get<std::string>() + " (" + reject.value("description", "") + ")";
    json strings = json::object(), hex = json::object();
    for (const auto& [name, value] : reject.at("fields").items()) {
      (value.is_object() ? hex[name] : strings[name]) = value.is_object() ? value.at("hex") : value;
    }
    json request = handshake_args(strings, {}, reject.at("profile").get<std::string>());
    request["fields_hex"] = hex;
    json result;
    const auto refused = call_expecting_error(*agent, "hash", request, &result);
    ++checked;
    if (!refused) {
      ADD_FAILURE() << what << ": accepted and hashed to " << result.dump();
      continue;
    }
    EXPECT_EQ(refused->code(), "invalid_argument") << what << ": " << refused->message();
    EXPECT_EQ(refused->error().value("field", ""), reject.value("field", ""))
        << what << ": " << refused->error().dump();
  }
  measure("rejects_checked", checked);
  EXPECT_GE(checked, 1) << "no reject vector holds invalid UTF-8: the check proved nothing";
}

// The hashes of every vector are the same in agents started in other environments,
// and the same as in the golden files (computed in another run, by another program).
PIPECHECK_CHECK(HashStability, SameHashInEveryEnvironment, "HASH-9") {
  const json environments = load_fixture("environments/hash-stability.json");
  const json vectors_file = load_fixture("vectors/pipecheck.json");
  const json msbuild_file = load_fixture("vectors/msbuild.json");

  // Hashes that depend on the agent itself (user and arch default to the agent's own).
  const std::vector<json> local_requests = {
      handshake_args({{"kind", "stable"}, {"version", "1"}, {"arch", "*"}, {"salt", "İıIi"}}),
      handshake_args({{"kind", "stable"}, {"version", "02.10"}, {"arch", "x86"}, {"salt", ""}}),
      handshake_args({{"options", "-7"}, {"salt", "0042"}, {"version", "17.8"}}, {}, "msbuild"),
  };
  auto hashes_of = [&](SuiteAgent& agent) {
    std::map<std::string, std::string> hashes;
    for (const auto& [file, profile] :
         {std::pair{&vectors_file, "pipecheck"}, std::pair{&msbuild_file, "msbuild"}}) {
      for (const json& vector : applicable_vectors(*file, agent).vectors) {
        hashes[vector.at("id")] = hash_vector(agent, vector, profile).result.at("hash");
      }
    }
    for (std::size_t i = 0; i < local_requests.size(); ++i) {
      hashes["local-" + std::to_string(i)] = agent.call("hash", local_requests[i]).at("hash");
    }
    return hashes;
  };

  auto baseline_agent = start_agent(agent_options("baseline"));
  PIPECHECK_REQUIRE_CAPABILITIES(*baseline_agent, "hash.pipecheck", "hash.msbuild");
  const auto baseline = hashes_of(*baseline_agent);
  for (const auto& [file, profile] :
       {std::pair{&vectors_file, "pipecheck"}, std::pair{&msbuild_file, "msbuild"}}) {
    for (const json& vector : applicable_vectors(*file, *baseline_agent).vectors) {
      EXPECT_EQ(baseline.at(vector.at("id")), vector.at("hash").get<std::string>())
          << vector.at("id") << ": differs from the golden file's run";
    }
  }
  baseline_agent.reset();

  int environments_checked = 0;
  for (const json& environment :
       fixture_field(environments, "environments", "fixtures/environments/hash-stability.json")) {
    const std::string name = environment.at("name");
    AgentOptions options = agent_options("env-" + name);
    const json variables = environment.value("env", json::object());
    for (const auto& [variable, value] : variables.items()) {
      options.env[variable] = value.get<std::string>();
    }
    const std::string cwd = environment.value("cwd", "");
    if (cwd == "scratch") {
      options.working_dir = scratch_root();
    } else if (!cwd.empty()) {
      options.working_dir = cwd;
    }
    if (environment.contains("umask")) options.umask = environment["umask"].get<std::string>();
    options.new_session = environment.value("new_session", false);
    options.via_shell = environment.value("via_shell", false);

    std::string locale_note;
    if (environment.contains("locale")) {
      const std::string locale = environment["locale"];
      measure("locale_exists." + locale, locale_available(locale) ? 1 : 0);
      locale_note = " (locale " + locale +
                    (locale_available(locale) ? " exists on this machine)"
                                              : " is NOT generated on this machine: only the "
                                                "environment variables were varied)");
    }
    auto agent = start_agent(options);
    if (options.via_shell) {
      EXPECT_NE(agent->pid(), agent->process_pid())
          << name << ": the agent should be a child of the shell, not of the suite";
    }
    const auto hashes = hashes_of(*agent);
    for (const auto& [id, hash] : baseline) {
      const auto found = hashes.find(id);
      if (found == hashes.end()) {
        ADD_FAILURE() << name << locale_note << ": no hash for " << id;
      } else {
        EXPECT_EQ(found->second, hash) << id << " differs in environment " << name << locale_note;
      }
    }
    std::cout << "environment " << name << locale_note << ": " << hashes.size()
              << " hashes equal the baseline\n";
    ++environments_checked;
  }
  measure("environments_checked", environments_checked);
}

// Changing any one canonical value changes the hash; canonically equal spellings do not.
PIPECHECK_CHECK(HashStability, EveryFieldChangesTheHash, "HASH-10", "HASH-3", "HASH-5", "HASH-20") {
  auto agent = start_agent();
  PIPECHECK_REQUIRE_CAPABILITIES(*agent, "hash.pipecheck", "hash.msbuild");
  auto hash_of = [&](const json& fields, std::string_view profile) {
    return agent->call("hash", handshake_args(fields, {}, profile)).at("hash").get<std::string>();
  };
  // HASH-6: the user is a decimal uid on Unix and a SID string on Windows.
  const bool windows = agent->platform() == "windows";
  const std::string sid = "S-1-5-21-3623811015-3361044348-30300820-";
  const json base{{"kind", "worker"},
                  {"version", "17.8"},
                  {"arch", "x64"},
                  {"salt", "tools"},
                  {"user", windows ? sid + "1000" : "1000"}};
  const std::vector<std::string> other_users =
      windows ? std::vector<std::string>{sid + "1001", "S-1-5-18", sid + "10000", sid + "100"}
              : std::vector<std::string>{"1001", "0", "10000", "100"};
  const std::map<std::string, std::vector<std::string>> changes = {
      {"kind", {"worker2", "workers", "w", "worker-"}},
      {"version", {"17.8.0.1", "17.8.1", "18.8", "7.18", "17.80"}},
      {"arch", {"x86", "arm", "arm64"}},
      {"salt", {"tools ", "Tools", "", "tools\t", "toolş", "tool\u0131s"}},
      {"user", other_users},
  };
  std::map<std::string, std::string> seen{{hash_of(base, "pipecheck"), "base"}};
  for (const auto& [field, values] : changes) {
    for (const auto& value : values) {
      json fields = base;
      fields[field] = value;
      const std::string hash = hash_of(fields, "pipecheck");
      const auto [where, fresh] = seen.emplace(hash, field + "=" + value);
      EXPECT_TRUE(fresh) << field << "=\"" << value << "\" hashes like " << where->second;
    }
  }
  // Canonically equal spellings hash the same; NFC and NFD of the same text do not (HASH-5).
  json same = base;
  same["version"] = "017.08.0.000";
  EXPECT_EQ(hash_of(same, "pipecheck"), hash_of(base, "pipecheck")) << "17.8 vs 017.08.0.000";
  json nfc = base, nfd = base;
  nfc["salt"] = "caf\u00e9";
  nfd["salt"] = "cafe\u0301";
  EXPECT_NE(hash_of(nfc, "pipecheck"), hash_of(nfd, "pipecheck")) << "NFC and NFD salts";

  const json msbuild_base{
      {"options", "16777352"}, {"salt", "-5"}, {"version", "17.8.3.1"}, {"session", "0"}};
  const std::map<std::string, std::vector<std::string>> msbuild_changes = {
      {"options", {"16777353", "-16777352", "0"}},
      {"salt", {"5", "-6", "0"}},
      {"version", {"17.8.3.2", "17.8.4.1", "17.9.3.1", "18.8.3.1"}},
      {"session", {"1", "-1", "2147483647"}},
  };
  std::map<std::string, std::string> msbuild_seen{{hash_of(msbuild_base, "msbuild"), "base"}};
  for (const auto& [field, values] : msbuild_changes) {
    for (const auto& value : values) {
      json fields = msbuild_base;
      fields[field] = value;
      const auto [where, fresh] =
          msbuild_seen.emplace(hash_of(fields, "msbuild"), field + "=" + value);
      EXPECT_TRUE(fresh) << "msbuild " << field << "=\"" << value << "\" hashes like "
                         << where->second;
    }
  }
  json msbuild_same = msbuild_base;
  msbuild_same["salt"] = "-05";
  msbuild_same.erase("session");  // omitted session is 0
  EXPECT_EQ(hash_of(msbuild_same, "msbuild"), hash_of(msbuild_base, "msbuild"));
}

// `*` is the agent's own architecture (hello `arch`), for the key and the hash.
PIPECHECK_CHECK(HashStability, StarArchitectureIsTheCurrentOne, "HASH-4") {
  auto agent = start_agent();
  PIPECHECK_REQUIRE_CAPABILITIES(*agent, "hash.pipecheck");
  const std::set<std::string> known{"x86", "x64", "arm", "arm64"};
  ASSERT_TRUE(known.count(agent->arch())) << "hello arch '" << agent->arch() << "' is not one of "
                                          << "x86, x64, arm, arm64";
  json star{{"kind", "taskhost"}, {"version", "17.8"}, {"arch", "*"}, {"salt", "s"}};
  json explicit_arch = star;
  explicit_arch["arch"] = agent->arch();
  const json a = agent->call("hash", handshake_args(star));
  const json b = agent->call("hash", handshake_args(explicit_arch));
  EXPECT_EQ(a.at("hash"), b.at("hash"));
  EXPECT_EQ(a.at("key"), b.at("key"));
  EXPECT_NE(a.at("key").get<std::string>().find("\narch=" + agent->arch() + "\n"),
            std::string::npos)
      << "key does not carry the resolved arch: " << a.at("key");
  for (const auto& other : known) {
    if (other == agent->arch()) continue;
    explicit_arch["arch"] = other;
    EXPECT_NE(agent->call("hash", handshake_args(explicit_arch)).at("hash"), a.at("hash"))
        << "'*' hashes like " << other << " on a " << agent->arch() << " agent";
  }
}

// An omitted user is the agent's effective uid (checked from a second uid when
// the suite runs as root).
PIPECHECK_CHECK(HashStability, OmittedUserIsTheAgentsOwn, "HASH-1", "HASH-6") {
  auto agent = start_agent();
  PIPECHECK_REQUIRE_CAPABILITIES(*agent, "hash.pipecheck");
  if (agent->platform() == "windows") {
    PIPECHECK_SKIP(
        "the Windows user is a SID the suite cannot compute; golden SID vectors cover "
        "the form");
  }
  const json fields{{"kind", "worker"}, {"version", "1"}, {"arch", "x64"}, {"salt", "u"}};
  auto expect_own_user = [&](SuiteAgent& subject, unsigned uid) {
    json with_user = fields;
    with_user["user"] = std::to_string(uid);
    const json omitted = subject.call("hash", handshake_args(fields));
    EXPECT_EQ(omitted.at("hash"), subject.call("hash", handshake_args(with_user)).at("hash"))
        << "omitted user should be uid " << uid;
    EXPECT_NE(omitted.at("key").get<std::string>().find("\nuser=" + std::to_string(uid) + "\n"),
              std::string::npos)
        << omitted.at("key");
  };
  expect_own_user(*agent, suite_uid());
  if (!suite_is_root()) {
    std::cout << "not root: the second-uid part is skipped\n";
    return;
  }
  std::string why;
  auto nobody = start_as_uid(GetParam(), 65534, "nobody", why);
  if (!nobody) PIPECHECK_SKIP("uid " + std::to_string(suite_uid()) + " part passed; " + why);
  expect_own_user(*nobody, 65534);
}

// Hashes use only the profile's alphabet and length.
PIPECHECK_CHECK(HashStability, HashUsesOnlyTheProfilesAlphabet, "HASH-8", "HASH-22") {
  auto agent = start_agent();
  PIPECHECK_REQUIRE_CAPABILITIES(*agent, "hash.pipecheck", "hash.msbuild");
  const std::regex base32("^[a-z2-7]{32}$");
  const std::regex base64url("^[A-Za-z0-9+_]{43}$");
  bool saw_plus = false, saw_underscore = false;
  for (int i = 0; i < 200; ++i) {
    const json pc = agent->call(
        "hash", handshake_args({{"kind", "k" + std::to_string(i)},
                                {"version", std::to_string(i) + ".1"},
                                {"arch", "*"},
                                {"salt", std::string(std::size_t(i % 7), 'x') + "\u00fc"}}));
    EXPECT_TRUE(std::regex_match(pc.at("hash").get<std::string>(), base32)) << pc.dump();
    const json ms = agent->call("hash", handshake_args({{"options", std::to_string(i * 7919)},
                                                        {"salt", std::to_string(-i)},
                                                        {"version", "17." + std::to_string(i)}},
                                                       {}, "msbuild"));
    const std::string hash = ms.at("hash");
    EXPECT_TRUE(std::regex_match(hash, base64url)) << ms.dump();
    saw_plus |= hash.find('+') != std::string::npos;
    saw_underscore |= hash.find('_') != std::string::npos;
  }
  // 200 random-looking base64 strings of 43 characters all but surely contain both.
  EXPECT_TRUE(saw_plus && saw_underscore) << "msbuild hashes never used '+' or '_'";
}

INSTANTIATE_IMPLEMENTATIONS(Hash, HashStability);

class CrossImplementation : public testing::Test {};

// Every selected implementation computes the same hash for every golden vector.
PIPECHECK_CHECK(CrossImplementation, AllImplementationsAgreeOnEveryVector, "HASH-31") {
  const auto names = selected_implementations();
  if (names.size() < 2) {
    PIPECHECK_SKIP("only one implementation is selected (" + names.front() +
                   "); select several with PIPECHECK_IMPLS=a,b to compare them");
  }
  std::map<std::string, std::map<std::string, std::string>> hash_by_vector;  // id -> impl -> hash
  int compared_implementations = 0;
  for (const auto& name : names) {
    harness::implementation("agent-" + std::to_string(compared_implementations), name);
    auto agent = SuiteAgent::start(name);
    if (!agent->has("hash.pipecheck") || !agent->has("hash.msbuild")) {
      std::cout << name << " lacks hash.pipecheck or hash.msbuild: not compared\n";
      continue;
    }
    ++compared_implementations;
    for (const char* profile : {"pipecheck", "msbuild"}) {
      const json file = load_fixture(std::string("vectors/") + profile + ".json");
      for (const json& vector : applicable_vectors(file, *agent).vectors) {
        hash_by_vector[vector.at("id")][name] =
            hash_vector(*agent, vector, profile).result.at("hash");
      }
    }
  }
  if (compared_implementations < 2) {
    PIPECHECK_UNSUPPORTED("fewer than two selected implementations declare both hash profiles");
  }
  for (const auto& [id, by_impl] : hash_by_vector) {
    std::set<std::string> distinct;
    std::string listing;
    for (const auto& [impl, hash] : by_impl) {
      distinct.insert(hash);
      listing += " " + impl + "=" + hash;
    }
    EXPECT_EQ(distinct.size(), 1u) << id << ":" << listing;
  }
  measure("implementations_compared", compared_implementations);
}

}  // namespace
}  // namespace pipecheck::suites

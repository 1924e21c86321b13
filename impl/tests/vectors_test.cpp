// Golden vectors (HASH-31): every vector and every reject in fixtures/vectors/, which
// ci/tools/make_vectors.py computed independently (Python hashlib/base64 from the spec text).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "pipecheck/error.hpp"
#include "pipecheck/identity.hpp"
#include "pipecheck/naming.hpp"

namespace {

using nlohmann::json;

#ifdef _WIN32
constexpr const char* kNativeUserForm = "sid";
#else
constexpr const char* kNativeUserForm = "uid";
#endif

json load(const std::string& name) {
  const std::string path = PIPECHECK_FIXTURES_DIR "/vectors/" + name;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  return json::parse(in);
}

std::string from_hex(const std::string& hex) {
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return bytes;
}

// Field values are strings, or {"hex": "..."} for bytes that are not valid UTF-8.
pipecheck::FieldMap to_fields(const json& fields) {
  pipecheck::FieldMap map;
  for (const auto& [name, value] : fields.items()) {
    map[name] = value.is_string() ? value.get<std::string>() : from_hex(value.at("hex"));
  }
  return map;
}

void check_vectors(const std::string& file, const std::string& profile) {
  json document = load(file);
  ASSERT_EQ(document["profile"], profile);
  const json& vectors = document["vectors"];
  ASSERT_GE(vectors.size(), 40u) << file << " must hold at least 40 vectors (HASH-31)";
  std::size_t compared = 0;
  for (const json& vector : vectors) {
    SCOPED_TRACE(vector["id"].get<std::string>() + ": " + vector["description"].get<std::string>());
    pipecheck::FieldMap fields = to_fields(vector["fields"]);
    if (vector.contains("resolved_arch") && pipecheck::current_arch().empty()) {
      // No HASH-4 name for this architecture (s390x): `*` is refused naming the field.
      try {
        pipecheck::make_handshake(profile, fields);
        ADD_FAILURE() << "arch '*' accepted on an architecture HASH-4 has no name for";
      } catch (const pipecheck::Error& e) {
        EXPECT_EQ(e.field(), "arch") << e.what();
      }
      continue;
    }
    if (vector.contains("user_form") && vector["user_form"] != kNativeUserForm) {
      // A user of the other platform's form is refused here (HASH-6).
      try {
        pipecheck::make_handshake(profile, fields);
        ADD_FAILURE() << "accepted a " << vector["user_form"] << " user on this platform";
      } catch (const pipecheck::Error& e) {
        EXPECT_EQ(std::string(e.what()).rfind("field 'user': ", 0), 0u) << e.what();
      }
      continue;
    }
    if (vector.contains("resolved_arch") && vector["resolved_arch"] != pipecheck::current_arch()) {
      // `*` was resolved for another architecture: compare with the vector of the same fields
      // and our explicit architecture when there is one, else with our own explicit hash.
      json explicit_fields = vector["fields"];
      explicit_fields["arch"] = pipecheck::current_arch();
      std::string expected = pipecheck::make_handshake(profile, to_fields(explicit_fields)).hash;
      for (const json& other : vectors) {
        if (other["fields"] == explicit_fields) expected = other["hash"].get<std::string>();
      }
      const std::string wildcard = pipecheck::make_handshake(profile, fields).hash;
      EXPECT_EQ(wildcard, expected);
      // The vector's `*` stood for another architecture, so ours must hash differently (HASH-4).
      EXPECT_NE(wildcard, vector["hash"].get<std::string>());
      continue;
    }
    pipecheck::Handshake hs = pipecheck::make_handshake(profile, fields);
    EXPECT_EQ(hs.key, vector["key"].get<std::string>());
    EXPECT_EQ(hs.hash, vector["hash"].get<std::string>());
    EXPECT_EQ(pipecheck::endpoint_name(vector["prefix"].get<std::string>(), hs.hash,
                                       vector["pid"].get<pipecheck::ProcessId>()),
              vector["name"].get<std::string>());
    ++compared;
  }
  EXPECT_GE(compared, 40u) << "too few vectors apply to this platform";
}

TEST(GoldenVectors, PipecheckProfile) {
  check_vectors("pipecheck.json", "pipecheck");
}

TEST(GoldenVectors, MsbuildProfile) {
  check_vectors("msbuild.json", "msbuild");
}

TEST(GoldenVectors, EveryRejectIsRefusedNamingTheField) {
  json rejects = load("rejects.json")["rejects"];
  ASSERT_GE(rejects.size(), 50u);
  for (const json& reject : rejects) {
    SCOPED_TRACE(reject["id"].get<std::string>() + ": " + reject["description"].get<std::string>());
    try {
      auto hs = pipecheck::make_handshake(reject["profile"].get<std::string>(),
                                          to_fields(reject["fields"]));
      ADD_FAILURE() << "accepted, hash " << hs.hash;
    } catch (const pipecheck::Error& e) {
      // The fixture speaks the agent protocol (invalid_argument naming a field, `profile` for an
      // unknown profile); the library's codes are the two kinds of that error.
      ASSERT_EQ(reject["error"], "invalid_argument");
      const std::string field = reject["field"].get<std::string>();
      if (field == "profile") {
        EXPECT_EQ(e.code(), pipecheck::Errc::unknown_profile) << e.what();
      } else {
        EXPECT_EQ(e.code(), pipecheck::Errc::invalid_field) << e.what();
        EXPECT_EQ(std::string(e.what()).rfind("field '" + field + "': ", 0), 0u) << e.what();
      }
    }
  }
}

}  // namespace

// pipecheck/hash_profile.hpp — hash profiles: turn handshake fields into a canonical key and a
// hash.
//
// Two profiles are defined in docs/spec.md (HASH-*): `pipecheck/1` (the default) and `msbuild`.
// Fields arrive as text (from the CLI, an agent request or a fixture) and are validated here;
// any broken rule throws Error{Errc::invalid_field} naming the field and the rule. The hash names
// the endpoint (pipecheck/naming.hpp); the wire handshake (pipecheck/wire_handshake.hpp) carries
// it to the server.
//
//   pipecheck::FieldMap fields{{"kind", "worker"}, {"version", "17.8"}, {"arch", "*"},
//                              {"salt", "tools-dir"}};  // "user" defaults to the caller
//   pipecheck::Handshake hs = pipecheck::make_handshake("pipecheck", fields);
//   // hs.key  == "pipecheck/1\nkind=worker\nversion=17.8.0.0\narch=x64\nsalt=tools-dir\nuser=1000\n"
//   // hs.hash == 32 chars of [a-z2-7]
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace pipecheck {

// Field name -> raw text value, exactly as the caller supplied it.
using FieldMap = std::map<std::string, std::string, std::less<>>;

// Handshake fields hashed by a profile.
struct Handshake {
  std::string profile;         // "pipecheck" or "msbuild"
  std::string key;             // the canonical key that was hashed (UTF-8)
  std::string hash;            // the profile's encoding of SHA-256(key)
  std::string default_prefix;  // "pipecheck" or "MSBuild"
};

// Profile names accepted by make_handshake: "pipecheck" (alias "pipecheck/1") and "msbuild".
Handshake make_handshake(std::string_view profile, const FieldMap& fields);

}  // namespace pipecheck

// Hash profiles (docs/spec.md HASH-*): validate the handshake fields, build the canonical key and
// hash it. Every error names its field (Error::field(), and "field '<name>': " in the message).
#include "pipecheck/hash_profile.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "canonical_version.hpp"
#include "encoding.hpp"
#include "pipecheck/error.hpp"
#include "pipecheck/identity.hpp"
#include "target_arch.hpp"

namespace pipecheck {

namespace {

constexpr std::uint32_t kMaxVersionPart = 2147483647;

[[noreturn]] void fail(std::string_view field, const std::string& problem, std::string_view rule) {
  throw Error::bad_field(
      field, "field '" + std::string(field) + "': " + problem + " (" + std::string(rule) + ")");
}

bool is_ascii_digit(char c) {
  return c >= '0' && c <= '9';
}

bool all_ascii_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!is_ascii_digit(c)) return false;
  }
  return true;
}

// Value of a non-empty ASCII-digit string, leading zeros dropped; nullopt-like `limit + 1` when
// it exceeds `limit` (so arbitrarily long inputs never overflow).
std::uint64_t decimal_value(std::string_view digits, std::uint64_t limit) {
  std::uint64_t value = 0;
  for (char c : digits) {
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
    if (value > limit) return limit + 1;
  }
  return value;
}

constexpr std::string_view kVersionRule =
    "HASH-3: expected 1 to 4 dot-separated decimal integers 0..2147483647";

std::array<std::uint32_t, 4> parse_version(std::string_view text) {
  if (text.empty()) fail("version", "is empty", kVersionRule);
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = text.find('.', start);
    parts.push_back(text.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (parts.size() > 4) {
    fail("version", detail::quoted(text) + " has " + std::to_string(parts.size()) + " parts",
         kVersionRule);
  }
  std::array<std::uint32_t, 4> numbers{};
  for (std::size_t i = 0; i < parts.size(); ++i) {
    std::string part_label = "part " + std::to_string(i + 1);
    if (parts[i].empty())
      fail("version", part_label + " of " + detail::quoted(text) + " is empty", kVersionRule);
    if (!all_ascii_digits(parts[i])) {
      fail("version", part_label + " " + detail::quoted(parts[i]) + " is not a decimal integer",
           kVersionRule);
    }
    std::uint64_t value = decimal_value(parts[i], kMaxVersionPart);
    if (value > kMaxVersionPart) {
      fail("version", part_label + " " + detail::quoted(parts[i]) + " is over 2147483647",
           kVersionRule);
    }
    numbers[i] = static_cast<std::uint32_t>(value);
  }
  return numbers;
}

std::string join_version(const std::array<std::uint32_t, 4>& parts, char separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += separator;
    out += std::to_string(parts[i]);
  }
  return out;
}

void check_kind(std::string_view kind) {
  constexpr std::string_view kRule = "HASH-2: expected 1 to 32 characters of [a-z0-9-]";
  if (kind.empty() || kind.size() > 32) {
    fail("kind", detail::quoted(kind) + " is " + std::to_string(kind.size()) + " characters long",
         kRule);
  }
  for (std::size_t i = 0; i < kind.size(); ++i) {
    char c = kind[i];
    bool allowed = (c >= 'a' && c <= 'z') || is_ascii_digit(c) || c == '-';
    if (!allowed) {
      fail("kind",
           detail::quoted(kind) + " has a forbidden character " +
               detail::quoted(kind.substr(i, 1)) + " at offset " + std::to_string(i),
           kRule);
    }
  }
}

std::string resolve_arch(std::string_view arch) {
  if (arch == "*") {
    std::string current = current_arch();
    if (current.empty()) {
      fail("arch",
           "\"*\" cannot be resolved: this process runs on " + std::string(detail::kMachine) +
               ", which has no name in HASH-4",
           "HASH-4: give x86, x64, arm or arm64 explicitly here");
    }
    return current;
  }
  for (std::string_view known : {"x86", "x64", "arm", "arm64"}) {
    if (arch == known) return std::string(arch);
  }
  fail("arch", detail::quoted(arch) + " is not a known architecture",
       "HASH-4: expected x86, x64, arm, arm64 or *");
}

struct Utf8Problem {
  std::size_t offset = 0;  // where the bad sequence (or byte) starts
  std::size_t length = 0;  // how many bytes to show
  std::string what;        // empty: the text is valid
};

// Why `text` is not valid UTF-8 (Unicode Table 3-7: no overlongs, no surrogates, nothing over
// U+10FFFF).
Utf8Problem utf8_problem(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    unsigned char lead = s[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xbf;  // allowed range of the second byte
    if (lead >= 0xc2 && lead <= 0xdf) {
      length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead == 0xe0) low = 0xa0;   // below: overlong
      if (lead == 0xed) high = 0x9f;  // above: surrogates U+D800..U+DFFF
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead == 0xf0) low = 0x90;   // below: overlong
      if (lead == 0xf4) high = 0x8f;  // above: over U+10FFFF
    } else if (lead == 0xc0 || lead == 0xc1) {
      return {i, 1, "overlong encoding"};
    } else if (lead <= 0xbf) {
      return {i, 1, "unexpected continuation byte"};
    } else {
      return {i, 1, "byte that never occurs in UTF-8 (code point over U+10FFFF)"};
    }
    if (i + length > n) return {i, n - i, "truncated sequence at the end"};
    for (std::size_t k = 1; k < length; ++k) {
      if (s[i + k] < 0x80 || s[i + k] > 0xbf) return {i, k + 1, "missing continuation byte"};
    }
    if (s[i + 1] < low) return {i, length, "overlong encoding"};
    if (s[i + 1] > high) {
      return {i, length, lead == 0xed ? "surrogate code point" : "code point over U+10FFFF"};
    }
    i += length;
  }
  return {};
}

void check_salt(std::string_view salt) {
  constexpr std::string_view kRule = "HASH-5: expected valid UTF-8 without newline or NUL";
  if (Utf8Problem problem = utf8_problem(salt); !problem.what.empty()) {
    fail("salt",
         "invalid UTF-8 at byte offset " + std::to_string(problem.offset) + " " +
             detail::quoted(salt.substr(problem.offset, problem.length)) + ": " + problem.what,
         kRule);
  }
  if (auto at = salt.find('\n'); at != std::string_view::npos) {
    fail("salt", "contains a newline at byte offset " + std::to_string(at), kRule);
  }
  if (auto at = salt.find('\0'); at != std::string_view::npos) {
    fail("salt", "contains NUL at byte offset " + std::to_string(at), kRule);
  }
}

bool is_canonical_decimal(std::string_view text, std::uint64_t limit) {
  if (!all_ascii_digits(text)) return false;
  if (text.size() > 1 && text[0] == '0') return false;
  return decimal_value(text, limit) <= limit;
}

#ifdef _WIN32
// A SID string as ConvertSidToStringSid writes it: S-1-{authority}(-{sub-authority}){0,15}.
void check_user(std::string_view user) {
  constexpr std::string_view kRule =
      "HASH-6: expected a SID string S-1-{authority}-{sub-authority}... in canonical decimal";
  if (user.substr(0, 4) != "S-1-")
    fail("user", detail::quoted(user) + " does not start with S-1-", kRule);
  std::string_view rest = user.substr(4);
  int index = 0;
  while (true) {
    std::size_t dash = rest.find('-');
    std::string_view number = rest.substr(0, dash);
    std::uint64_t limit = index == 0 ? 0xffffffffffffULL : 0xffffffffULL;
    if (!is_canonical_decimal(number, limit)) {
      fail("user", detail::quoted(user) + " has a bad component " + detail::quoted(number), kRule);
    }
    if (dash == std::string_view::npos) break;
    rest = rest.substr(dash + 1);
    if (++index > 15)
      fail("user", detail::quoted(user) + " has more than 15 sub-authorities", kRule);
  }
}
#else
void check_user(std::string_view user) {
  if (!is_canonical_decimal(user, 0xffffffffULL)) {
    fail("user", detail::quoted(user) + " is not a canonical uid",
         "HASH-6: expected the uid in decimal, no sign, no leading zero, at most 4294967295");
  }
}
#endif

// Missing and unknown fields, in a stable order, before any value is looked at.
void check_field_set(std::string_view profile, const FieldMap& fields,
                     std::initializer_list<std::string_view> required,
                     std::initializer_list<std::string_view> optional) {
  std::string expected;
  for (auto name : required) expected += (expected.empty() ? "" : ", ") + std::string(name);
  for (auto name : optional) expected += ", " + std::string(name) + " (optional)";
  std::string rule = std::string(profile == "msbuild" ? "HASH-20" : "HASH-1") + ": profile " +
                     std::string(profile) + " takes " + expected;
  for (const auto& [name, value] : fields) {
    bool known = false;
    for (auto candidate : required) known = known || candidate == name;
    for (auto candidate : optional) known = known || candidate == name;
    if (!known) fail(name, "unknown field", rule);
  }
  for (auto name : required) {
    if (!fields.contains(name)) fail(name, "missing", rule);
  }
}

std::int32_t parse_int32(std::string_view field, std::string_view text) {
  constexpr std::string_view kRule =
      "HASH-20: expected an optional '-' and ASCII digits, -2147483648..2147483647";
  bool negative = !text.empty() && text[0] == '-';
  std::string_view digits = negative ? text.substr(1) : text;
  if (!all_ascii_digits(digits))
    fail(field, detail::quoted(text) + " is not a decimal integer", kRule);
  std::uint64_t limit = negative ? 2147483648ULL : 2147483647ULL;
  std::uint64_t magnitude = decimal_value(digits, limit);
  if (magnitude > limit) fail(field, detail::quoted(text) + " is out of range", kRule);
  return static_cast<std::int32_t>(negative ? -static_cast<std::int64_t>(magnitude)
                                            : static_cast<std::int64_t>(magnitude));
}

Handshake pipecheck_profile(const FieldMap& fields) {
  check_field_set("pipecheck", fields, {"kind", "version", "arch", "salt"}, {"user"});
  const std::string& kind = fields.find("kind")->second;
  check_kind(kind);
  std::string version = detail::canonical_version(fields.find("version")->second);
  std::string arch = resolve_arch(fields.find("arch")->second);
  const std::string& salt = fields.find("salt")->second;
  check_salt(salt);
  std::string user;
  if (auto it = fields.find("user"); it != fields.end()) {
    check_user(it->second);
    user = it->second;
  } else {
    user = current_user();
  }
  Handshake hs;
  hs.profile = "pipecheck";
  hs.key = "pipecheck/1\nkind=" + kind + "\nversion=" + version + "\narch=" + arch +
           "\nsalt=" + salt + "\nuser=" + user + "\n";
  hs.hash = detail::base32_lower_nopad(detail::sha256(hs.key)).substr(0, 32);
  hs.default_prefix = "pipecheck";
  return hs;
}

Handshake msbuild_profile(const FieldMap& fields) {
  check_field_set("msbuild", fields, {"options", "salt", "version"}, {"session"});
  std::int32_t options = parse_int32("options", fields.find("options")->second);
  std::int32_t salt = parse_int32("salt", fields.find("salt")->second);
  auto version = parse_version(fields.find("version")->second);
  std::int32_t session = 0;
  if (auto it = fields.find("session"); it != fields.end())
    session = parse_int32("session", it->second);
  Handshake hs;
  hs.profile = "msbuild";
  hs.key = std::to_string(options) + " " + std::to_string(salt) + " " + join_version(version, ' ') +
           " " + std::to_string(session);
  hs.hash = detail::base64_standard(detail::sha256(hs.key));
  for (char& c : hs.hash) {
    if (c == '/') c = '_';
  }
  while (!hs.hash.empty() && hs.hash.back() == '=') hs.hash.pop_back();
  hs.default_prefix = "MSBuild";
  return hs;
}

}  // namespace

std::string detail::canonical_version(std::string_view version) {
  return join_version(parse_version(version), '.');
}

Handshake make_handshake(std::string_view profile, const FieldMap& fields) {
  if (profile == "pipecheck" || profile == "pipecheck/1") return pipecheck_profile(fields);
  if (profile == "msbuild") return msbuild_profile(fields);
  throw Error(Errc::unknown_profile,
              "profile " + detail::quoted(profile) +
                  " is unknown (HASH-30: expected pipecheck, pipecheck/1 or msbuild)");
}

}  // namespace pipecheck

// Handshake fields (HASH-3 field rules, HASH-20 versions, ...): any text either hashes or is
// rejected with Error{invalid_field / unknown_profile} naming the field. Input: lines of
// `name=value`; the first line is the profile. A hashed key is deterministic and the hash's
// alphabet is the profile's.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "canonical_version.hpp"
#include "pipecheck/error.hpp"
#include "pipecheck/hash_profile.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t end = input.find('\n');
  const std::string_view profile = input.substr(0, end);
  pipecheck::FieldMap fields;
  std::string_view rest = end == std::string_view::npos ? "" : input.substr(end + 1);
  while (!rest.empty()) {
    const std::size_t line_end = rest.find('\n');
    const std::string_view line = rest.substr(0, line_end);
    const std::size_t equals = line.find('=');
    if (equals != std::string_view::npos)
      fields[std::string(line.substr(0, equals))] = std::string(line.substr(equals + 1));
    rest = line_end == std::string_view::npos ? "" : rest.substr(line_end + 1);
  }
  try {
    const pipecheck::Handshake first = pipecheck::make_handshake(profile, fields);
    const pipecheck::Handshake again = pipecheck::make_handshake(profile, fields);
    if (first.key != again.key || first.hash != again.hash || first.hash.empty()) std::abort();
  } catch (const pipecheck::Error& e) {
    if (e.code() != pipecheck::Errc::invalid_field && e.code() != pipecheck::Errc::unknown_profile)
      std::abort();
  }
  try {
    (void)pipecheck::detail::canonical_version(profile);
  } catch (const pipecheck::Error&) {
  }
  return 0;
}

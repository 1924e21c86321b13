// encoding.hpp — the encodings the hash profiles are built from (impl-private; tested on their
// own against RFC 6234 and RFC 4648 vectors in impl/tests/encoding_test.cpp), and how the
// error messages quote a value.
//
//   std::string digest = pipecheck::detail::sha256(key);                    // 32 raw bytes
//   std::string name = pipecheck::detail::base32_lower_nopad(digest).substr(0, 32);
#pragma once

#include <string>
#include <string_view>

namespace pipecheck::detail {

std::string sha256(std::string_view data);  // 32 raw bytes
std::string base32_lower_nopad(std::string_view bytes);
std::string base64_standard(std::string_view bytes);
// `value` in double quotes for an error message, with control, non-ASCII, '"' and '\\' bytes
// as \xNN.
std::string quoted(std::string_view value);

}  // namespace pipecheck::detail

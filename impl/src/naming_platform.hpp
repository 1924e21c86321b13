// naming_platform.hpp — the few platform-specific pieces of endpoint naming (NAME-5..7, HASH-23).
//
// naming.cpp builds and checks names; naming_posix.cpp / naming_windows.cpp say where a name lives:
//   std::string dir  = detail::platform_endpoint_directory(hs, "pipecheck", resolve_root(opts));
//   std::string path = detail::platform_endpoint_path(dir, name);  // throws path_too_long
#pragma once

#include <string>
#include <string_view>

#include "pipecheck/hash_profile.hpp"

namespace pipecheck::detail {

// The directory endpoints of this profile and prefix live in under `root` (POSIX:
// `{root}/{prefix}-{euid}` for pipecheck, `{root}` for msbuild); empty where there is none.
std::string platform_endpoint_directory(const Handshake& handshake, std::string_view prefix,
                                        const std::string& root);

// What a client dials for `name` in `directory`. Throws Error{path_too_long} over the budget.
std::string platform_endpoint_path(const std::string& directory, const std::string& name);

// Windows: the namespace every named pipe lives in (NAME-7: `\\.\pipe\{name}`).
inline constexpr std::string_view kPipeNamespace = "\\\\.\\pipe\\";

}  // namespace pipecheck::detail

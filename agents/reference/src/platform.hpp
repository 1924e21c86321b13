// platform.hpp — the few OS-specific things the agent needs (platform_posix.cpp /
// platform_windows.cpp).
//
//   prepare_stdio();                        // binary stdout, no SIGPIPE death
//   if (auto n = open_descriptor_count()) result["open_fds"] = *n;
//   bool gone = !endpoint_exists(ep.path);
//   naming.root = native_root("/tmp/pc-x1");  // Windows under Wine: "Z:\tmp\pc-x1"
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pipecheck::agent {

// What the agent runs on, as docs/formats/agent-protocol.md names it (a Windows build under Wine
// says "windows").
constexpr std::string_view platform_name() {
#if defined(_WIN32)
  return "windows";
#elif defined(__APPLE__)
  return "darwin";
#elif defined(__FreeBSD__)
  return "freebsd";
#else
  return "linux";
#endif
}

// POSIX: a peer closing a socket must not kill the agent with SIGPIPE. Windows: stdin/stdout in
// binary mode, so lines end in "\n" and never "\r\n".
void prepare_stdio();

// Open file descriptors (POSIX) / handles (Windows) of this process; nullopt if the OS will not
// say.
std::optional<std::int64_t> open_descriptor_count();

// Whether anything is at the endpoint path (a socket file; a pipe with at least one instance).
// Never follows a symlink.
bool endpoint_exists(const std::string& path);

// The `root` argument as this OS names it. POSIX: unchanged. Windows: the Linux harness drives
// the agent under Wine and passes its own scratch paths, so a path starting with '/' is mapped to
// Wine's Z: drive (the host's /); any other path is used as given.
std::string native_root(const std::string& root);

}  // namespace pipecheck::agent

// pipecheck/naming.hpp — endpoint names `{prefix}-{hash}-{pid}`, their paths and the path budget.
//
// Names are built and parsed strictly (NAME-*): the PID is decimal, no sign, no leading zero,
// fits the platform's PID range, and nothing follows it. Paths never get truncated: a path that
// does not fit kPathBudget bytes (including the NUL) throws Error{Errc::path_too_long}.
//
//   auto hs = pipecheck::make_handshake("pipecheck", fields);
//   pipecheck::Endpoint ep = pipecheck::endpoint_for(hs, pipecheck::current_pid(), {});
//   // ep.name == "pipecheck-<hash>-4242"
//   // ep.path == "/tmp/pipecheck-1000/pipecheck-<hash>-4242"   (POSIX)
//   // ep.path == "\\\\.\\pipe\\pipecheck-<hash>-4242"          (Windows)
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "pipecheck/hash_profile.hpp"
#include "pipecheck/identity.hpp"

namespace pipecheck {

// macOS sun_path is 104 bytes (Linux 108); the portable budget includes the terminating NUL.
inline constexpr std::size_t kPathBudget = 104;

struct NamingOptions {
  std::string root;    // empty: $PIPECHECK_ROOT if set, else "/tmp" (POSIX only; never hashed)
  std::string prefix;  // empty: the profile's default prefix
};

struct Endpoint {
  std::string name;       // {prefix}-{hash}-{pid}
  std::string directory;  // where endpoints of this prefix live (POSIX); empty on Windows
  std::string path;       // what a client dials
  ProcessId pid = 0;
};

// Throws Error{invalid_field} for a bad prefix, Error{path_too_long} for a path over budget.
Endpoint endpoint_for(const Handshake& handshake, ProcessId pid, const NamingOptions& options);

std::string endpoint_name(std::string_view prefix, std::string_view hash, ProcessId pid);

// The PID of `entry` if it is exactly `{prefix}-{hash}-{pid}` with a strictly valid PID.
std::optional<ProcessId> parse_endpoint_pid(std::string_view entry, std::string_view prefix,
                                            std::string_view hash);

// The directory discovery lists for this handshake (POSIX); the resolved root is included.
std::string endpoint_directory(const Handshake& handshake, const NamingOptions& options);

// The root actually used: options.root, else $PIPECHECK_ROOT, else "/tmp".
std::string resolve_root(const NamingOptions& options);

}  // namespace pipecheck

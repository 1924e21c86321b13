// pipecheck/discovery.hpp — find live compatible servers by listing one directory (DISC-*).
//
// Lists the endpoint directory for `{prefix}-{hash}-*`, parses each PID strictly and keeps only
// sockets owned by the effective user whose PID is alive. Everything else that carries our
// `{prefix}-{hash}-` is reported with a reason instead of silently dropped; names of other
// hashes or prefixes are ignored. Never follows symlinks. Optionally reclaims stale entries that
// are ours (dead PID and connect refused) — never anyone else's.
//
// DiscoveryMethod::legacy is the baseline the listing replaces (what MSBuild does today): every
// socket of ours in the endpoint directory is a candidate whatever its hash, and candidates are
// probed in PID order — connect, then the wire handshake with our hash — until one accepts.
// Its result holds that one endpoint (or none) and no rejected entries; it cannot reclaim.
//
//   auto found = pipecheck::discover(hs, {});
//   for (const auto& ep : found.live) std::cout << ep.pid << " " << ep.path << "\n";
//   for (const auto& r : found.rejected) std::cerr << r.name << ": " << pipecheck::to_string(r.reason);
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pipecheck/hash_profile.hpp"
#include "pipecheck/naming.hpp"

namespace pipecheck {

enum class Rejection {
  malformed_name,  // our prefix and hash, but the PID part breaks the strict rule
  not_a_socket,    // regular file, directory, symlink, fifo ...
  foreign_owner,   // a socket owned by another uid
  stale,           // our socket, but the PID is dead (or connect is refused)
};

std::string_view to_string(Rejection reason);

struct RejectedEntry {
  std::string name;
  Rejection reason;
  std::string detail;
};

enum class DiscoveryMethod {
  listing,  // list the directory for `{prefix}-{hash}-*` (DISC-1)
  markers,  // Windows, where the pipe namespace cannot be listed: the marker files (WIN-1);
            // what `listing` falls back to, so a result may say it; requesting it means listing
  legacy,   // connect + handshake every candidate until one accepts (benchmark baseline)
};

std::string_view to_string(DiscoveryMethod method);  // "listing", "markers", "legacy"

struct DiscoveryOptions {
  NamingOptions naming;
  DiscoveryMethod method = DiscoveryMethod::listing;
  bool reclaim_stale = false;  // unlink our stale sockets (dead PID and connect refused)
};

struct DiscoveryResult {
  std::vector<Endpoint> live;           // sorted by pid, unique
  std::vector<RejectedEntry> rejected;  // sorted by name
  std::vector<std::string> reclaimed;   // names removed by reclaim_stale
  // Which method ran (WIN-1): listing (the endpoint directory, or on Windows the pipe
  // namespace), markers (Windows, where the pipe namespace cannot be listed) or legacy.
  DiscoveryMethod method = DiscoveryMethod::listing;
};

// A missing endpoint directory is an empty result; an insecure one throws insecure_directory.
// Legacy with reclaim_stale throws Error{unsupported}.
DiscoveryResult discover(const Handshake& handshake, const DiscoveryOptions& options);

}  // namespace pipecheck

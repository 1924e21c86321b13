// endpoint_marker.hpp — marker files that make Windows endpoints discoverable (WIN-2..5).
//
// Wine cannot list `\\.\pipe\` (FindFirstFile fails with error 66), so every listener also holds
// an empty marker file named like its pipe in a per-user directory, opened with
// FILE_FLAG_DELETE_ON_CLOSE and without FILE_SHARE_DELETE: it vanishes with the listener (also
// when the process is killed) and nobody else can delete it while it is held.
//
//   std::string dir = pipecheck::detail::marker_directory(hs, opts.naming);
//   pipecheck::detail::UniqueHandle marker = pipecheck::detail::create_marker(dir, ep.name);
//   ...                                        // listening
//   marker.reset();                            // the marker file is gone
#pragma once

#include <string>

#include "pipecheck/hash_profile.hpp"
#include "pipecheck/naming.hpp"
#include "windows_handle.hpp"

namespace pipecheck::detail {

// `{base}\{prefix}-{user SID}`; base is options.root, else %PIPECHECK_ROOT%, else
// %LOCALAPPDATA%\pipecheck. Never hashed.
std::string marker_directory(const Handshake& handshake, const NamingOptions& options);

// Creates the directory (owner-only DACL) if needed and the marker `name` in it; a stale marker of
// the same name that nobody holds is replaced. Throws insecure_directory if the directory or an
// existing marker is a reparse point (never followed), address_in_use if a live holder has it.
UniqueHandle create_marker(const std::string& directory, const std::string& name);

// Vets an existing marker directory: a real directory, not a reparse point. False if missing;
// throws Error{insecure_directory} otherwise.
bool marker_directory_exists(const std::string& directory);

}  // namespace pipecheck::detail

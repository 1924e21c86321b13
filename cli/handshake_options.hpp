// handshake_options.hpp — the handshake and naming options every subcommand shares.
//
// `--profile pipecheck` takes --kind --version --arch --salt [--user]; `--profile msbuild` takes
// --options --salt --version [--session]. Only the field options given on the command line are
// passed to make_handshake, so a missing or foreign field is reported by the profile itself.
//
//   auto specs = with_handshake_options({{"json", "", "machine-readable output"}});
//   auto options = parse_options(args, specs);
//   pipecheck::Handshake hs = handshake_from(options);
//   pipecheck::NamingOptions naming = naming_from(options);
#pragma once

#include <vector>

#include "options.hpp"
#include "pipecheck/hash_profile.hpp"
#include "pipecheck/naming.hpp"

namespace pipecheck::cli {

// The shared options (profile, fields, --prefix, --root, --json, --help) followed by `extra`.
std::vector<OptionSpec> with_handshake_options(std::vector<OptionSpec> extra);

Handshake handshake_from(const ParsedOptions& options);
NamingOptions naming_from(const ParsedOptions& options);

}  // namespace pipecheck::cli

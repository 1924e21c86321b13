// pipecheck/harness/registry.hpp — the registry of implementations under test
// (fixtures/impls.json): stable names, agent commands, expected capabilities.
//
//   Registry registry = load_registry(source_dir / "fixtures/impls.json", default_registry_vars());
//   std::vector<Implementation> impls =
//       select_implementations(registry, selection_from_env());  // PIPECHECK_IMPLS or "reference"
//   AgentSpec spec = impls[0].agent_spec("server-0", log_dir / "server-0.log");
//
// File format (validated before anything starts; errors name the file, the JSON path, and what
// was expected):
//   {"implementations": [{"name": "reference", "description": "...",
//     "command": ["${BUILD_DIR}/agents/reference/pipecheck-agent"],
//     "platforms": ["linux"], "capabilities": ["listen", "dial"], "env": {"K": "V"}}]}
// Placeholders ${NAME} in command and env values are expanded from the vars map; an unknown
// placeholder is an error. An entry using a variable whose value is empty (e.g. ${WINE} on a
// machine without Wine) loads but is unavailable: selecting it is an error that says why.
// An entry may add "windows": {"command": [...], "env": {...}}: when the harness itself runs on
// Windows, these replace command and env (a Windows user's command, without Linux launchers).
#pragma once

#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "pipecheck/harness/agent.hpp"

namespace pipecheck::harness {

struct Implementation {
  std::string name{};
  std::string description{};
  std::vector<std::string> command{};        // placeholders expanded
  std::vector<std::string> platforms{};      // what its hello may report: linux, windows, ...
  std::vector<std::string> capabilities{};   // expected; a missing one is reported by the suites
  std::map<std::string, std::string> env{};  // placeholders expanded
  std::string unavailable_reason{};          // non-empty: cannot run here (e.g. "${WINE} is empty")

  bool available() const { return unavailable_reason.empty(); }
  // An AgentSpec running this implementation (command and env filled in).
  AgentSpec agent_spec(std::string agent_name, std::filesystem::path log_path = {}) const;
};

struct Registry {
  std::filesystem::path source{};
  std::vector<Implementation> implementations{};

  const Implementation* find(std::string_view name) const;
  std::vector<std::string> names() const;
};

// Bad registry file or selection: the message names the file, JSON path and expectation.
class RegistryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// SOURCE_DIR and BUILD_DIR (compiled-in, overridable by PIPECHECK_SOURCE_DIR /
// PIPECHECK_BUILD_DIR), WINE (PIPECHECK_WINE, else /usr/lib/wine/wine64 or `wine64` when present,
// else empty), WINDOWS_BUILD_DIR (PIPECHECK_WINDOWS_BUILD_DIR, else ${BUILD_DIR}/../windows).
std::map<std::string, std::string> default_registry_vars();

// The registry to use: $PIPECHECK_REGISTRY if set, else {SOURCE_DIR}/fixtures/impls.json.
std::filesystem::path registry_path(const std::map<std::string, std::string>& vars);

Registry load_registry(const std::filesystem::path& path,
                       const std::map<std::string, std::string>& vars);
Registry parse_registry(const nlohmann::json& document, const std::filesystem::path& source,
                        const std::map<std::string, std::string>& vars);

// `selection` is a comma list of names ("reference,node"); whitespace around names is ignored,
// duplicates are dropped. An unknown name is an error listing the known names; an unavailable
// one is an error giving the reason.
std::vector<Implementation> select_implementations(const Registry& registry,
                                                   std::string_view selection);
// $PIPECHECK_IMPLS, or "reference" when unset or empty.
std::string selection_from_env();

}  // namespace pipecheck::harness

#include "pipecheck/harness/registry.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>

#include "host.hpp"
#include "pipecheck/harness/json_schema.hpp"
#include "pipecheck/harness/outside_input.hpp"

namespace pipecheck::harness {
namespace {

constexpr std::string_view kRegistrySchema = R"({
  "type": "object",
  "required": ["implementations"],
  "properties": {
    "$comment": {"type": "string"},
    "implementations": {
      "type": "array",
      "minItems": 1,
      "items": {
        "type": "object",
        "required": ["name", "command"],
        "properties": {
          "name": {"type": "string", "pattern": "^[a-z][a-z0-9_-]{0,31}$"},
          "description": {"type": "string"},
          "command": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
          "platforms": {"type": "array", "items": {"enum": ["linux", "darwin", "freebsd", "windows"]}},
          "capabilities": {"type": "array", "items": {"type": "string", "minLength": 1}},
          "env": {"type": "object", "additionalProperties": {"type": "string"}},
          "windows": {
            "type": "object",
            "required": ["command"],
            "properties": {
              "command": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
              "env": {"type": "object", "additionalProperties": {"type": "string"}}
            },
            "additionalProperties": false
          }
        },
        "additionalProperties": false
      }
    }
  },
  "additionalProperties": false
})";

const SchemaSet& registry_schema() {
  static const SchemaSet schemas = [] {
    SchemaSet set;
    set.add("impls.schema.json", nlohmann::json::parse(kRegistrySchema));
    return set;
  }();
  return schemas;
}

std::string env_or(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::string(value) : std::move(fallback);
}

// Expands ${NAME}; an unknown NAME is an error naming `where`; an empty value is noted in
// `empty_vars`.
std::string expand(const std::string& text, const std::map<std::string, std::string>& vars,
                   const std::string& where, std::set<std::string>& empty_vars) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto start = text.find("${", pos);
    if (start == std::string::npos) {
      out.append(text, pos);
      break;
    }
    out.append(text, pos, start - pos);
    auto end = text.find('}', start);
    if (end == std::string::npos) {
      throw RegistryError(where + ": unterminated placeholder in \"" + text +
                          "\" (expected ${NAME})");
    }
    std::string name = text.substr(start + 2, end - start - 2);
    auto found = vars.find(name);
    if (found == vars.end()) {
      std::string known;
      for (const auto& [key, unused] : vars)
        known += (known.empty() ? "" : ", ") + ("${" + key + "}");
      throw RegistryError(where + ": unknown placeholder ${" + name + "} (known: " + known + ")");
    }
    if (found->second.empty()) empty_vars.insert(name);
    out += found->second;
    pos = end + 1;
  }
  return out;
}

}  // namespace

AgentSpec Implementation::agent_spec(std::string agent_name, std::filesystem::path log_path) const {
  AgentSpec spec;
  spec.name = std::move(agent_name);
  spec.command = command;
  spec.env = env;
  spec.log_path = std::move(log_path);
  return spec;
}

const Implementation* Registry::find(std::string_view name) const {
  for (const auto& impl : implementations) {
    if (impl.name == name) return &impl;
  }
  return nullptr;
}

std::vector<std::string> Registry::names() const {
  std::vector<std::string> out;
  for (const auto& impl : implementations) out.push_back(impl.name);
  return out;
}

std::map<std::string, std::string> default_registry_vars() {
  std::map<std::string, std::string> vars;
  vars["SOURCE_DIR"] = env_or("PIPECHECK_SOURCE_DIR", PIPECHECK_SOURCE_DIR);
  vars["BUILD_DIR"] = env_or("PIPECHECK_BUILD_DIR", PIPECHECK_BUILD_DIR);
  std::string wine = env_or("PIPECHECK_WINE", "");
  if (wine.empty() && host::executable("/usr/lib/wine/wine64")) wine = "/usr/lib/wine/wine64";
  vars["WINE"] = wine;
  vars["WINDOWS_BUILD_DIR"] =
      env_or("PIPECHECK_WINDOWS_BUILD_DIR",
             (std::filesystem::path(vars["BUILD_DIR"]).parent_path() / "windows").string());
  return vars;
}

std::filesystem::path registry_path(const std::map<std::string, std::string>& vars) {
  const std::string chosen = env_or("PIPECHECK_REGISTRY", "");
  if (!chosen.empty()) return chosen;
  return std::filesystem::path(vars.at("SOURCE_DIR")) / "fixtures" / "impls.json";
}

Registry parse_registry(const nlohmann::json& document, const std::filesystem::path& source,
                        const std::map<std::string, std::string>& vars) {
  const std::string file = source.string();
  if (auto errors = registry_schema().validate(document, "impls.schema.json"); !errors.empty()) {
    std::string text = file + ": not a valid implementation registry:";
    for (const auto& e : errors) text += "\n  " + e.to_string();
    throw RegistryError(text);
  }
  Registry registry;
  registry.source = source;
  std::set<std::string> seen;
  const auto& entries = document["implementations"];
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& entry = entries[i];
    const std::string where = file + ": /implementations/" + std::to_string(i);
    Implementation impl;
    impl.name = entry["name"].get<std::string>();
    if (!seen.insert(impl.name).second) {
      throw RegistryError(where + "/name: duplicate implementation name \"" + impl.name +
                          "\" (expected unique names)");
    }
    impl.description = entry.value("description", "");
    std::set<std::string> empty_vars;
    // On a Windows host, `windows` (when given) replaces command and env: the command as a
    // Windows user writes it (pipecheck-agent.exe, node.exe), without Linux launchers.
    const bool windows_form = host::is_windows() && entry.contains("windows");
    const auto& launch = windows_form ? entry["windows"] : entry;
    const std::string launch_where = windows_form ? where + "/windows" : where;
    const auto& command = launch["command"];
    for (std::size_t j = 0; j < command.size(); ++j) {
      impl.command.push_back(expand(command[j].get<std::string>(), vars,
                                    launch_where + "/command/" + std::to_string(j), empty_vars));
    }
    impl.platforms = entry.value("platforms", std::vector<std::string>{});
    impl.capabilities = entry.value("capabilities", std::vector<std::string>{});
    if (launch.contains("env")) {
      for (const auto& [key, value] : launch["env"].items()) {
        impl.env[key] =
            expand(value.get<std::string>(), vars, launch_where + "/env/" + key, empty_vars);
      }
    }
    for (const auto& name : empty_vars) {
      impl.unavailable_reason += (impl.unavailable_reason.empty() ? "" : "; ") +
                                 ("${" + name + "} is empty on this machine");
    }
    registry.implementations.push_back(std::move(impl));
  }
  return registry;
}

Registry load_registry(const std::filesystem::path& path,
                       const std::map<std::string, std::string>& vars) {
  if (!std::ifstream(path))
    throw RegistryError(path.string() + ": cannot open the implementation registry");
  nlohmann::json document;
  try {
    document = read_outside_json_file(path);
  } catch (const OutsideJsonError& e) {
    throw RegistryError(e.what());
  }
  return parse_registry(document, path, vars);
}

std::vector<Implementation> select_implementations(const Registry& registry,
                                                   std::string_view selection) {
  std::vector<Implementation> out;
  std::set<std::string> chosen;
  std::size_t pos = 0;
  while (pos <= selection.size()) {
    auto comma = selection.find(',', pos);
    if (comma == std::string_view::npos) comma = selection.size();
    std::string_view item = selection.substr(pos, comma - pos);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front())))
      item.remove_prefix(1);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back())))
      item.remove_suffix(1);
    pos = comma + 1;
    if (item.empty()) continue;
    const Implementation* impl = registry.find(item);
    if (!impl) {
      std::string known;
      for (const auto& name : registry.names()) known += (known.empty() ? "" : ", ") + name;
      throw RegistryError("PIPECHECK_IMPLS: unknown implementation \"" + std::string(item) +
                          "\" (known in " + registry.source.string() + ": " + known + ")");
    }
    if (!impl->available()) {
      throw RegistryError("PIPECHECK_IMPLS: implementation \"" + impl->name +
                          "\" cannot run here: " + impl->unavailable_reason);
    }
    if (chosen.insert(impl->name).second) out.push_back(*impl);
  }
  if (out.empty()) {
    throw RegistryError(
        "PIPECHECK_IMPLS: no implementation selected (expected a comma list of "
        "names)");
  }
  return out;
}

std::string selection_from_env() {
  return env_or("PIPECHECK_IMPLS", "reference");
}

}  // namespace pipecheck::harness

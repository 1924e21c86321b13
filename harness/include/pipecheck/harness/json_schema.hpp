// pipecheck/harness/json_schema.hpp — a small JSON Schema (draft 2020-12 subset) validator whose
// errors name the JSON path and the rule broken.
//
//   pipecheck::harness::SchemaSet schemas;
//   schemas.add_file("docs/formats/agent-protocol/dial.schema.json");
//   auto errors = schemas.validate(reply, "dial.schema.json#/$defs/result");
//   for (const auto& e : errors) std::cerr << e.to_string() << "\n";
//   // -> "/outcomes/busy: expected integer >= 0, got -1"
//
// Keywords: type, required, properties, additionalProperties (bool or schema), items, enum,
// const, minimum, maximum, minLength, maxLength (in code points), pattern (ECMAScript regex via
// std::regex, searched not anchored, as JSON Schema says), minItems, maxItems, oneOf, anyOf,
// allOf, $ref to "#/..." in the same document or "other.schema.json#/..." in the same SchemaSet.
// Unknown keywords (title, description, $comment, ...) are ignored. A malformed schema is
// reported by SchemaError exceptions at load time, not at validation time.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace pipecheck::harness {

// One validation failure: where in the instance (JSON pointer, "" for the root) and what rule.
struct SchemaViolation {
  std::string path;     // "/result/outcomes/busy"
  std::string message;  // "expected integer >= 0, got -1"
  std::string to_string() const { return (path.empty() ? "/" : path) + ": " + message; }
};

// Joins violations as "path: message; path: message".
std::string to_string(const std::vector<SchemaViolation>& violations);

// A schema document that cannot be used (bad JSON, bad keyword value, unresolved $ref).
class SchemaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A set of schema documents, each known by a name ("dial.schema.json"). Immutable after
// loading; validate() is safe to call from many threads at once.
class SchemaSet {
 public:
  SchemaSet();
  ~SchemaSet();
  SchemaSet(SchemaSet&&) noexcept;
  SchemaSet& operator=(SchemaSet&&) noexcept;

  // Adds a document under `name`. Throws SchemaError naming `name` when it is not a schema.
  void add(std::string name, nlohmann::json document);
  // Adds a file under its file name (path.filename()). Throws SchemaError naming the file.
  void add_file(const std::filesystem::path& path);
  // Adds every *.schema.json in `dir`.
  void add_directory(const std::filesystem::path& dir);
  bool contains(std::string_view reference) const;

  // Validates `instance` against the schema at `reference`: "name" or "name#/json/pointer".
  // `base_path` is prepended to every violation path (e.g. "/result").
  // Throws SchemaError when `reference` does not resolve.
  std::vector<SchemaViolation> validate(const nlohmann::json& instance, std::string_view reference,
                                        std::string_view base_path = "") const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The agent protocol schemas (docs/formats/agent-protocol/*.schema.json), compiled into the
// harness.
const SchemaSet& protocol_schemas();

}  // namespace pipecheck::harness

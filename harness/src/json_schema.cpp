// JSON Schema subset validator: see json_schema.hpp for the keywords.
#include "pipecheck/harness/json_schema.hpp"

#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>

#include "embedded_files.hpp"
#include "pipecheck/harness/outside_input.hpp"

namespace pipecheck::harness {
namespace {

using nlohmann::json;

std::string escape_pointer_token(std::string_view token) {
  std::string out;
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string json_type_name(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "integer";
    case json::value_t::number_float:
      return "number";
    case json::value_t::string:
      return "string";
    case json::value_t::array:
      return "array";
    case json::value_t::object:
      return "object";
    default:
      return "unknown";
  }
}

// A short, single-line rendering of a value for error messages.
std::string brief(const json& value) {
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

bool has_type(const json& value, std::string_view type) {
  if (type == "integer") {
    if (value.is_number_integer()) return true;
    if (value.is_number_float()) {
      double d = value.get<double>();
      return d == static_cast<double>(static_cast<long long>(d));
    }
    return false;
  }
  if (type == "number") return value.is_number();
  if (type == "string") return value.is_string();
  if (type == "boolean") return value.is_boolean();
  if (type == "null") return value.is_null();
  if (type == "array") return value.is_array();
  if (type == "object") return value.is_object();
  return false;
}

std::size_t utf8_length(const std::string& text) {
  std::size_t count = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++count;
  }
  return count;
}

std::string number_text(const json& number) {
  return number.dump();
}

}  // namespace

std::string to_string(const std::vector<SchemaViolation>& violations) {
  std::string out;
  for (const auto& v : violations) {
    if (!out.empty()) out += "; ";
    out += v.to_string();
  }
  return out;
}

struct SchemaSet::Impl {
  std::map<std::string, json, std::less<>> documents;
  // Patterns are compiled once at load time; std::regex::search is const and thread-safe.
  std::map<std::string, std::regex, std::less<>> patterns;

  void check_schema(const json& schema, const std::string& where) {
    if (schema.is_boolean()) return;
    if (!schema.is_object()) {
      throw SchemaError(where + ": a schema must be an object or a boolean, got " + brief(schema));
    }
    auto expect_kind = [&](const char* keyword, bool ok, const char* what) {
      if (schema.contains(keyword) && !ok) {
        throw SchemaError(where + "/" + keyword + ": expected " + what + ", got " +
                          brief(schema[keyword]));
      }
    };
    expect_kind(
        "type",
        schema.contains("type") && (schema["type"].is_string() || schema["type"].is_array()),
        "a type name or an array of type names");
    expect_kind("required", schema.contains("required") && schema["required"].is_array(),
                "an array of property names");
    expect_kind("properties", schema.contains("properties") && schema["properties"].is_object(),
                "an object of schemas");
    expect_kind("enum", schema.contains("enum") && schema["enum"].is_array(), "an array");
    expect_kind("pattern", schema.contains("pattern") && schema["pattern"].is_string(),
                "a regular expression string");
    expect_kind("$ref", schema.contains("$ref") && schema["$ref"].is_string(),
                "a reference string");
    for (const char* keyword : {"minimum", "maximum"}) {
      expect_kind(keyword, schema.contains(keyword) && schema[keyword].is_number(), "a number");
    }
    for (const char* keyword :
         {"minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"}) {
      expect_kind(keyword,
                  schema.contains(keyword) && schema[keyword].is_number_integer() &&
                      schema[keyword].get<long long>() >= 0,
                  "a non-negative integer");
    }
    for (const char* keyword : {"oneOf", "anyOf", "allOf"}) {
      expect_kind(
          keyword,
          schema.contains(keyword) && schema[keyword].is_array() && !schema[keyword].empty(),
          "a non-empty array of schemas");
      if (schema.contains(keyword)) {
        for (std::size_t i = 0; i < schema[keyword].size(); ++i) {
          check_schema(schema[keyword][i], where + "/" + keyword + "/" + std::to_string(i));
        }
      }
    }
    if (schema.contains("pattern")) {
      const std::string& pattern = schema["pattern"].get_ref<const std::string&>();
      try {
        patterns.emplace(pattern, std::regex(pattern, std::regex::ECMAScript));
      } catch (const std::regex_error& e) {
        throw SchemaError(where + "/pattern: not a valid regular expression: " + e.what());
      }
    }
    if (schema.contains("properties")) {
      for (const auto& [name, sub] : schema["properties"].items()) {
        check_schema(sub, where + "/properties/" + escape_pointer_token(name));
      }
    }
    for (const char* keyword : {"additionalProperties", "items", "not"}) {
      if (schema.contains(keyword)) check_schema(schema[keyword], where + "/" + keyword);
    }
    if (schema.contains("$defs")) {
      expect_kind("$defs", schema["$defs"].is_object(), "an object of schemas");
      for (const auto& [name, sub] : schema["$defs"].items()) {
        check_schema(sub, where + "/$defs/" + escape_pointer_token(name));
      }
    }
  }

  // Resolves "name#/pointer" or "#/pointer" (relative to `current_document`).
  std::pair<const json*, std::string> resolve(std::string_view reference,
                                              std::string_view current_document) const {
    auto hash = reference.find('#');
    std::string document(hash == std::string_view::npos ? reference : reference.substr(0, hash));
    if (document.empty()) document = std::string(current_document);
    std::string pointer(hash == std::string_view::npos ? "" : reference.substr(hash + 1));
    auto found = documents.find(document);
    if (found == documents.end()) {
      throw SchemaError("schema reference \"" + std::string(reference) +
                        "\": no schema document named \"" + document + "\" is loaded");
    }
    try {
      return {&found->second.at(json::json_pointer(pointer)), document};
    } catch (const json::exception& e) {
      throw SchemaError("schema reference \"" + std::string(reference) + "\" does not resolve in " +
                        document + ": " + e.what());
    }
  }

  void validate(const json& value, const json& schema, const std::string& document,
                const std::string& path, std::vector<SchemaViolation>& out) const {
    if (schema.is_boolean()) {
      if (!schema.get<bool>()) out.push_back({path, "no value is allowed here"});
      return;
    }
    auto fail = [&](std::string message) { out.push_back({path, std::move(message)}); };

    if (auto ref = schema.find("$ref"); ref != schema.end()) {
      auto [target, target_document] = resolve(ref->get_ref<const std::string&>(), document);
      validate(value, *target, target_document, path, out);
    }

    if (auto type = schema.find("type"); type != schema.end()) {
      std::vector<std::string> types;
      if (type->is_string()) {
        types.push_back(type->get<std::string>());
      } else {
        for (const auto& t : *type) types.push_back(t.get<std::string>());
      }
      bool matched = false;
      for (const auto& t : types) matched = matched || has_type(value, t);
      if (!matched) {
        std::string expected;
        for (const auto& t : types) expected += (expected.empty() ? "" : " or ") + t;
        fail("expected " + expected + ", got " + json_type_name(value) + " " + brief(value));
        return;  // the other keywords would only repeat the type error
      }
    }

    if (auto constant = schema.find("const"); constant != schema.end() && value != *constant) {
      fail("expected " + brief(*constant) + ", got " + brief(value));
    }
    if (auto allowed = schema.find("enum"); allowed != schema.end()) {
      bool found = false;
      for (const auto& candidate : *allowed) found = found || candidate == value;
      if (!found) {
        std::string list;
        for (const auto& candidate : *allowed)
          list += (list.empty() ? "" : ", ") + brief(candidate);
        fail("expected one of " + list + ", got " + brief(value));
      }
    }

    if (value.is_number()) {
      std::string kind = value.is_number_integer() ? "integer" : "number";
      if (auto minimum = schema.find("minimum");
          minimum != schema.end() && value.get<double>() < minimum->get<double>()) {
        fail("expected " + kind + " >= " + number_text(*minimum) + ", got " + brief(value));
      }
      if (auto maximum = schema.find("maximum");
          maximum != schema.end() && value.get<double>() > maximum->get<double>()) {
        fail("expected " + kind + " <= " + number_text(*maximum) + ", got " + brief(value));
      }
    }

    if (value.is_string()) {
      const auto& text = value.get_ref<const std::string&>();
      std::size_t length = utf8_length(text);
      if (auto min_length = schema.find("minLength");
          min_length != schema.end() && length < min_length->get<std::size_t>()) {
        fail("expected a string of at least " + min_length->dump() + " characters, got " +
             std::to_string(length));
      }
      if (auto max_length = schema.find("maxLength");
          max_length != schema.end() && length > max_length->get<std::size_t>()) {
        fail("expected a string of at most " + max_length->dump() + " characters, got " +
             std::to_string(length));
      }
      if (auto pattern = schema.find("pattern"); pattern != schema.end()) {
        const auto& source = pattern->get_ref<const std::string&>();
        if (!std::regex_search(text, patterns.at(source))) {
          fail("expected a string matching /" + source + "/, got " + brief(value));
        }
      }
    }

    if (value.is_array()) {
      if (auto min_items = schema.find("minItems");
          min_items != schema.end() && value.size() < min_items->get<std::size_t>()) {
        fail("expected at least " + min_items->dump() + " items, got " +
             std::to_string(value.size()));
      }
      if (auto max_items = schema.find("maxItems");
          max_items != schema.end() && value.size() > max_items->get<std::size_t>()) {
        fail("expected at most " + max_items->dump() + " items, got " +
             std::to_string(value.size()));
      }
      if (auto items = schema.find("items"); items != schema.end()) {
        for (std::size_t i = 0; i < value.size(); ++i) {
          validate(value[i], *items, document, path + "/" + std::to_string(i), out);
        }
      }
    }

    if (value.is_object()) {
      if (auto required = schema.find("required"); required != schema.end()) {
        for (const auto& name : *required) {
          const auto& key = name.get_ref<const std::string&>();
          if (!value.contains(key)) {
            out.push_back({path + "/" + escape_pointer_token(key), "required property is missing"});
          }
        }
      }
      if (auto min_properties = schema.find("minProperties");
          min_properties != schema.end() && value.size() < min_properties->get<std::size_t>()) {
        fail("expected at least " + min_properties->dump() + " properties, got " +
             std::to_string(value.size()));
      }
      if (auto max_properties = schema.find("maxProperties");
          max_properties != schema.end() && value.size() > max_properties->get<std::size_t>()) {
        fail("expected at most " + max_properties->dump() + " properties, got " +
             std::to_string(value.size()));
      }
      auto properties = schema.find("properties");
      auto additional = schema.find("additionalProperties");
      for (const auto& [key, member] : value.items()) {
        std::string member_path = path + "/" + escape_pointer_token(key);
        if (properties != schema.end() && properties->contains(key)) {
          validate(member, (*properties)[key], document, member_path, out);
        } else if (additional != schema.end()) {
          if (additional->is_boolean() && !additional->get<bool>()) {
            std::string allowed;
            if (properties != schema.end()) {
              for (const auto& [name, unused] : properties->items()) {
                allowed += (allowed.empty() ? "" : ", ") + name;
              }
            }
            out.push_back({member_path, "unexpected property (allowed: " +
                                            (allowed.empty() ? "none" : allowed) + ")"});
          } else {
            validate(member, *additional, document, member_path, out);
          }
        }
      }
    }

    if (auto all_of = schema.find("allOf"); all_of != schema.end()) {
      for (const auto& sub : *all_of) validate(value, sub, document, path, out);
    }
    for (const char* keyword : {"anyOf", "oneOf"}) {
      auto alternatives = schema.find(keyword);
      if (alternatives == schema.end()) continue;
      std::vector<std::vector<SchemaViolation>> failures;
      std::size_t matched = 0;
      for (const auto& sub : *alternatives) {
        std::vector<SchemaViolation> errors;
        validate(value, sub, document, path, errors);
        if (errors.empty()) {
          ++matched;
        } else {
          failures.push_back(std::move(errors));
        }
      }
      bool one_of = std::string_view(keyword) == "oneOf";
      if (matched == 0) {
        std::string why;
        for (std::size_t i = 0; i < failures.size(); ++i) {
          why += (i ? "; " : "") + std::string("[") + std::to_string(i + 1) + "] " +
                 failures[i].front().to_string();
        }
        fail("expected a value matching " + std::string(one_of ? "exactly one" : "at least one") +
             " of " + std::to_string(alternatives->size()) + " alternatives, none matched: " + why);
      } else if (one_of && matched > 1) {
        fail("expected a value matching exactly one of " + std::to_string(alternatives->size()) +
             " alternatives, " + std::to_string(matched) + " matched");
      }
    }
  }
};

SchemaSet::SchemaSet() : impl_(std::make_unique<Impl>()) {}
SchemaSet::~SchemaSet() = default;
SchemaSet::SchemaSet(SchemaSet&&) noexcept = default;
SchemaSet& SchemaSet::operator=(SchemaSet&&) noexcept = default;

void SchemaSet::add(std::string name, nlohmann::json document) {
  impl_->check_schema(document, name + "#");
  impl_->documents[std::move(name)] = std::move(document);
}

void SchemaSet::add_file(const std::filesystem::path& path) {
  if (!std::ifstream(path)) throw SchemaError(path.string() + ": cannot open the schema file");
  nlohmann::json document;
  try {
    document = read_outside_json_file(path);
  } catch (const OutsideJsonError& e) {
    throw SchemaError(e.what());
  }
  add(path.filename().string(), std::move(document));
}

void SchemaSet::add_directory(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && name.ends_with(".schema.json")) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) add_file(file);
}

bool SchemaSet::contains(std::string_view reference) const {
  try {
    impl_->resolve(reference, "");
    return true;
  } catch (const SchemaError&) {
    return false;
  }
}

std::vector<SchemaViolation> SchemaSet::validate(const nlohmann::json& instance,
                                                 std::string_view reference,
                                                 std::string_view base_path) const {
  auto [schema, document] = impl_->resolve(reference, "");
  std::vector<SchemaViolation> violations;
  impl_->validate(instance, *schema, document, std::string(base_path), violations);
  return violations;
}

const SchemaSet& protocol_schemas() {
  static const SchemaSet schemas = [] {
    SchemaSet set;
    for (const auto& [name, text] : detail::embedded_protocol_schemas()) {
      set.add(std::string(name), nlohmann::json::parse(text));
    }
    return set;
  }();
  return schemas;
}

}  // namespace pipecheck::harness

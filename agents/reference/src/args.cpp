#include "args.hpp"

#include "pipecheck/identity.hpp"
#include "platform.hpp"
#include "protocol_error.hpp"

namespace pipecheck::agent {

namespace {

std::string type_name(const nlohmann::json& value) {
  return value.type_name();
}

ProtocolError wrong_type(const std::string& name, const char* expected,
                         const nlohmann::json& value) {
  return ProtocolError::bad_request("arg '" + name + "': expected " + expected + ", got " +
                                    type_name(value));
}

}  // namespace

Args::Args(const nlohmann::json& args) : args_(args) {
  if (!args_.is_object()) throw wrong_type("args", "an object", args_);
}

bool Args::has(const std::string& name) const {
  return args_.contains(name);
}

const nlohmann::json* Args::raw(const std::string& name) {
  read_.insert(name);
  const auto it = args_.find(name);
  return it == args_.end() ? nullptr : &*it;
}

std::int64_t Args::integer(const std::string& name, std::int64_t fallback, std::int64_t min,
                           std::int64_t max) {
  const nlohmann::json* value = raw(name);
  if (value == nullptr) return fallback;
  if (!value->is_number_integer()) throw wrong_type(name, "an integer", *value);
  if (value->is_number_unsigned() && value->get<std::uint64_t>() > static_cast<std::uint64_t>(max))
    throw ProtocolError::invalid_argument(name, "arg '" + name + "': must be at most " +
                                                    std::to_string(max) + ", got " + value->dump());
  const auto number = value->get<std::int64_t>();
  if (number < min || number > max)
    throw ProtocolError::invalid_argument(
        name, "arg '" + name + "': must be " + std::to_string(min) + ".." + std::to_string(max) +
                  ", got " + std::to_string(number));
  return number;
}

bool Args::boolean(const std::string& name, bool fallback) {
  const nlohmann::json* value = raw(name);
  if (value == nullptr) return fallback;
  if (!value->is_boolean()) throw wrong_type(name, "a boolean", *value);
  return value->get<bool>();
}

std::optional<std::string> Args::string(const std::string& name) {
  const nlohmann::json* value = raw(name);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) throw wrong_type(name, "a string", *value);
  return value->get<std::string>();
}

void Args::finish() const {
  std::string unknown;
  for (const auto& [name, value] : args_.items()) {
    if (read_.count(name) != 0) continue;
    unknown += (unknown.empty() ? "'" : ", '") + name + "'";
  }
  if (!unknown.empty())
    throw ProtocolError::bad_request("unknown arg(s) " + unknown + " for this op");
}

namespace {

// The bytes of an even-length string of hex digits (either case).
std::string bytes_from_hex(const std::string& arg, const std::string& hex) {
  const auto nibble = [&](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw ProtocolError::bad_request("arg '" + arg + "': '" + hex +
                                     "' is not hex (pairs of [0-9a-fA-F])");
  };
  if (hex.size() % 2 != 0)
    throw ProtocolError::bad_request("arg '" + arg + "': odd number of hex digits");
  std::string bytes;
  for (std::size_t i = 0; i < hex.size(); i += 2)
    bytes += static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1]));
  return bytes;
}

}  // namespace

HandshakeArgs read_handshake_args(Args& args) {
  const std::string profile = args.string("profile").value_or("pipecheck");
  const nlohmann::json* fields_json = args.raw("fields");
  if (fields_json == nullptr)
    throw ProtocolError::bad_request("arg 'fields': required (an object of strings)");
  if (!fields_json->is_object()) throw wrong_type("fields", "an object", *fields_json);
  pipecheck::FieldMap fields;
  for (const auto& [name, value] : fields_json->items()) {
    if (!value.is_string()) throw wrong_type("fields." + name, "a string", value);
    fields.emplace(name, value.get<std::string>());
  }
  // `fields_hex` carries raw bytes JSON strings cannot (invalid UTF-8 for HASH-5).
  if (const nlohmann::json* hex_json = args.raw("fields_hex")) {
    if (!hex_json->is_object()) throw wrong_type("fields_hex", "an object", *hex_json);
    for (const auto& [name, value] : hex_json->items()) {
      if (!value.is_string()) throw wrong_type("fields_hex." + name, "a string", value);
      if (fields.count(name) != 0)
        throw ProtocolError::bad_request("field '" + name +
                                         "' is given in both 'fields' and 'fields_hex'");
      fields.emplace(name, bytes_from_hex("fields_hex." + name, value.get<std::string>()));
    }
  }
  HandshakeArgs out;
  out.naming.prefix = args.string("prefix").value_or("");
  out.naming.root = native_root(args.string("root").value_or(""));
  if (args.has("prefix") && out.naming.prefix.empty())
    throw ProtocolError::invalid_argument("prefix",
                                          "prefix: must be 1-32 of [A-Za-z0-9._], got ''");
  out.handshake = mapping_impl_errors([&] { return pipecheck::make_handshake(profile, fields); });
  return out;
}

pipecheck::ProcessId read_pid(Args& args) {
  return args.integer("pid", pipecheck::current_pid(), 1, pipecheck::max_process_id());
}

}  // namespace pipecheck::agent

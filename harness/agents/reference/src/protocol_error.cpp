#include "protocol_error.hpp"

#include <regex>

namespace pipecheck::agent {

ProtocolError ProtocolError::bad_request(const std::string& message) {
  return ProtocolError("bad_request", message);
}

ProtocolError ProtocolError::unsupported(const std::string& message) {
  return ProtocolError("unsupported", message);
}

ProtocolError ProtocolError::invalid_argument(const std::string& field,
                                              const std::string& message) {
  ProtocolError error("invalid_argument", message);
  error.field = field;
  return error;
}

nlohmann::json ProtocolError::to_json() const {
  nlohmann::json out{{"code", code_}, {"message", what()}, {"definite", definite_}};
  if (field) out["field"] = *field;
  if (pid) out["pid"] = *pid;
  return out;
}

namespace {

std::optional<std::string> field_in_message(const std::string& message,
                                            const std::vector<std::string>& candidates) {
  static const std::regex named(R"(field ['"]([^'"]+)['"])", std::regex::icase);
  std::smatch match;
  if (std::regex_search(message, match, named)) return match[1].str();
  std::optional<std::string> earliest;
  std::size_t earliest_at = std::string::npos;
  for (const auto& candidate : candidates) {
    for (const char quote : {'\'', '"', '`'}) {
      const std::string quoted = quote + candidate + quote;
      const std::size_t at = message.find(quoted);
      if (at < earliest_at) {
        earliest_at = at;
        earliest = candidate;
      }
    }
  }
  if (earliest) return earliest;
  for (const auto& candidate : candidates) {
    if (message.rfind(candidate + ":", 0) == 0 || message.rfind(candidate + " ", 0) == 0)
      return candidate;
  }
  return std::nullopt;
}

std::optional<std::int64_t> pid_in_message(const std::string& message) {
  static const std::regex pid(R"(\bpid[ =:]*([0-9]+))", std::regex::icase);
  std::smatch match;
  if (!std::regex_search(message, match, pid)) return std::nullopt;
  try {
    return std::stoll(match[1].str());
  } catch (const std::out_of_range&) {
    return std::nullopt;
  }
}

}  // namespace

ProtocolError from_impl_error(const pipecheck::Error& error,
                              const std::vector<std::string>& candidates) {
  const std::string message = error.what();
  switch (error.code()) {
    case Errc::invalid_field: {
      ProtocolError out("invalid_argument", message);
      out.field = field_in_message(message, candidates).value_or("fields");
      return out;
    }
    case Errc::unknown_profile:
      return ProtocolError::invalid_argument("profile", message);
    case Errc::path_too_long:
      return ProtocolError("path_too_long", message);
    case Errc::insecure_directory:
      return ProtocolError("insecure_directory", message);
    case Errc::address_in_use: {
      ProtocolError out("address_in_use", message);
      out.pid = pid_in_message(message);
      return out;
    }
    case Errc::unsupported:
      return ProtocolError::unsupported(message);
    case Errc::system_error:
      return ProtocolError("internal", message, false);
  }
  return ProtocolError("internal", message, false);
}

}  // namespace pipecheck::agent

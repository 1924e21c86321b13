#include "protocol_error.hpp"

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

ProtocolError from_impl_error(const pipecheck::Error& error) {
  const std::string message = error.what();
  switch (error.code()) {
    case Errc::invalid_field: {
      ProtocolError out("invalid_argument", message);
      out.field = error.field().empty() ? "fields" : error.field();
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
      out.pid = error.holder_pid();
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

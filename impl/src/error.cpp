#include "pipecheck/error.hpp"

namespace pipecheck {

std::string_view to_string(Errc code) {
  switch (code) {
    case Errc::invalid_field:
      return "invalid_field";
    case Errc::unknown_profile:
      return "unknown_profile";
    case Errc::path_too_long:
      return "path_too_long";
    case Errc::insecure_directory:
      return "insecure_directory";
    case Errc::address_in_use:
      return "address_in_use";
    case Errc::system_error:
      return "system_error";
    case Errc::unsupported:
      return "unsupported";
  }
  return "unknown";
}

Error Error::bad_field(std::string_view field, const std::string& message) {
  Error error(Errc::invalid_field, message);
  error.field_ = field;
  return error;
}

Error Error::in_use_by(std::int64_t holder, const std::string& message) {
  Error error(Errc::address_in_use, message);
  error.holder_pid_ = holder;
  return error;
}

}  // namespace pipecheck

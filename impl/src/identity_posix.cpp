// Who and what this process is, for the hash (HASH-4, HASH-6): the effective uid and the
// compiler's target architecture.
#include <unistd.h>

#include <string>

#include "pipecheck/identity.hpp"
#include "target_arch.hpp"

namespace pipecheck {

std::string current_user() {
  return std::to_string(::geteuid());
}

std::string current_arch() {
  return std::string(detail::kTargetArch);
}

}  // namespace pipecheck

// windows_identity.hpp — user SIDs of processes and a security descriptor for the current user.
//
// SEC-4 compares the SID string of the peer process's token user with ours; SEC-8 gives pipes
// and marker files a protected DACL that grants access to the current user only.
//
//   std::optional<std::string> peer = pipecheck::detail::process_user_sid(client_pid);
//   if (!peer || *peer != pipecheck::detail::current_user_sid()) { /* drop it */ }
//   pipecheck::detail::OwnerOnlySecurity security;   // lives as long as the create call
//   ::CreateNamedPipeW(..., security.attributes());
#pragma once

#include <windows.h>

#include <optional>
#include <string>

namespace pipecheck::detail {

// The SID string (S-1-5-21-...) of the user of the current process token; cached.
const std::string& current_user_sid();

// The SID string of the token user of process `pid`; nullopt if the process cannot be opened
// (gone, or not ours to query).
std::optional<std::string> process_user_sid(DWORD pid);

// A SECURITY_ATTRIBUTES whose DACL is protected and admits only the current user (GENERIC_ALL).
class OwnerOnlySecurity {
 public:
  OwnerOnlySecurity();
  ~OwnerOnlySecurity();
  OwnerOnlySecurity(const OwnerOnlySecurity&) = delete;
  OwnerOnlySecurity& operator=(const OwnerOnlySecurity&) = delete;
  SECURITY_ATTRIBUTES* attributes() { return &attributes_; }

 private:
  PSECURITY_DESCRIPTOR descriptor_ = nullptr;
  SECURITY_ATTRIBUTES attributes_{};
};

}  // namespace pipecheck::detail

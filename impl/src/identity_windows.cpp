// Who and what this process is (HASH-4, HASH-6, SEC-4, SEC-8): the token user's SID string, the
// compiler's target architecture, and an owner-only security descriptor.
#include <windows.h>

#include <sddl.h>

#include <memory>
#include <vector>

#include "pipecheck/identity.hpp"
#include "target_arch.hpp"
#include "windows_handle.hpp"
#include "windows_identity.hpp"

namespace pipecheck {

namespace detail {

namespace {

std::optional<std::string> token_user_sid(HANDLE token) {
  DWORD size = 0;
  ::GetTokenInformation(token, TokenUser, nullptr, 0, &size);
  if (size == 0) return std::nullopt;
  std::vector<unsigned char> buffer(size);
  if (!::GetTokenInformation(token, TokenUser, buffer.data(), size, &size)) return std::nullopt;
  const auto* user = reinterpret_cast<const TOKEN_USER*>(buffer.data());
  wchar_t* text = nullptr;
  if (!::ConvertSidToStringSidW(user->User.Sid, &text)) return std::nullopt;
  std::string sid = to_utf8(text);
  ::LocalFree(text);
  return sid;
}

}  // namespace

const std::string& current_user_sid() {
  static const std::string sid = [] {
    HANDLE raw = nullptr;
    if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &raw)) {
      throw_win_error("OpenProcessToken", "current process");
    }
    UniqueHandle token(raw);
    auto text = token_user_sid(token.get());
    if (!text) throw_win_error("GetTokenInformation(TokenUser)", "current process");
    return *text;
  }();
  return sid;
}

std::optional<std::string> process_user_sid(DWORD pid) {
  UniqueHandle process(::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid));
  if (!process) return std::nullopt;
  HANDLE raw = nullptr;
  if (!::OpenProcessToken(process.get(), TOKEN_QUERY, &raw)) return std::nullopt;
  UniqueHandle token(raw);
  return token_user_sid(token.get());
}

OwnerOnlySecurity::OwnerOnlySecurity() {
  // Protected DACL (no inherited entries) with one entry: full access for the current user.
  const std::wstring sddl = L"D:P(A;;GA;;;" + to_wide(current_user_sid()) + L")";
  if (!::ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.c_str(), SDDL_REVISION_1,
                                                              &descriptor_, nullptr)) {
    throw_win_error("ConvertStringSecurityDescriptorToSecurityDescriptorW", to_utf8(sddl));
  }
  attributes_.nLength = sizeof attributes_;
  attributes_.lpSecurityDescriptor = descriptor_;
  attributes_.bInheritHandle = FALSE;
}

OwnerOnlySecurity::~OwnerOnlySecurity() {
  if (descriptor_ != nullptr) ::LocalFree(descriptor_);
}

}  // namespace detail

std::string current_user() {
  return detail::current_user_sid();
}

std::string current_arch() {
  return std::string(detail::kTargetArch);
}

}  // namespace pipecheck

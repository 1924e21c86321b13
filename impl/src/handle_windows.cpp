// Win32 error text and UTF-8 <-> UTF-16 conversion for the Windows backend.
#include <algorithm>
#include <string>

#include "windows_handle.hpp"

namespace pipecheck::detail {

std::wstring to_wide(std::string_view utf8) {
  if (utf8.empty()) return {};
  const int length = ::MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(),
                                           static_cast<int>(utf8.size()), nullptr, 0);
  if (length <= 0) {
    throw Error(Errc::invalid_field, "not valid UTF-8: \"" + std::string(utf8) + "\"");
  }
  std::wstring wide(static_cast<std::size_t>(length), L'\0');
  ::MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(), static_cast<int>(utf8.size()),
                        wide.data(), length);
  return wide;
}

std::string to_utf8(std::wstring_view wide) {
  if (wide.empty()) return {};
  const int length = ::WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()),
                                           nullptr, 0, nullptr, nullptr);
  std::string utf8(static_cast<std::size_t>(std::max(length, 0)), '\0');
  ::WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()), utf8.data(), length,
                        nullptr, nullptr);
  return utf8;
}

std::string win_error_text(std::string_view call, DWORD error) {
  wchar_t* message = nullptr;
  const DWORD length = ::FormatMessageW(
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
      nullptr, error, 0, reinterpret_cast<wchar_t*>(&message), 0, nullptr);
  std::string text;
  if (length > 0 && message != nullptr) {
    text = to_utf8(std::wstring_view(message, length));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
      text.pop_back();
    }
  }
  if (message != nullptr) ::LocalFree(message);
  if (text.empty()) text = "unknown error";
  return std::string(call) + ": " + text + " (error " + std::to_string(error) + ")";
}

void throw_win_error(std::string_view call, const std::string& subject, DWORD error) {
  throw Error(Errc::system_error, win_error_text(call, error) + " (" + subject + ")");
}

}  // namespace pipecheck::detail

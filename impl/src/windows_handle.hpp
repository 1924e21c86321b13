// windows_handle.hpp — a move-only owner of one Win32 HANDLE, error text, and UTF-8 <-> UTF-16.
//
//   pipecheck::detail::UniqueHandle pipe(::CreateFileW(wide.c_str(), ...));
//   if (!pipe) throw_last_error("CreateFileW", path);
//   std::wstring wide = pipecheck::detail::to_wide("\\\\.\\pipe\\pipecheck-abc-42");
#pragma once

#include <windows.h>

#include <string>
#include <string_view>
#include <utility>

#include "pipecheck/error.hpp"

namespace pipecheck::detail {

class UniqueHandle {
 public:
  UniqueHandle() = default;
  explicit UniqueHandle(HANDLE handle)
      : handle_(handle == INVALID_HANDLE_VALUE ? nullptr : handle) {}
  UniqueHandle(UniqueHandle&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  UniqueHandle& operator=(UniqueHandle&& other) noexcept {
    if (this != &other) reset(std::exchange(other.handle_, nullptr));
    return *this;
  }
  UniqueHandle(const UniqueHandle&) = delete;
  UniqueHandle& operator=(const UniqueHandle&) = delete;
  ~UniqueHandle() { reset(); }

  HANDLE get() const { return handle_; }
  HANDLE release() { return std::exchange(handle_, nullptr); }
  void reset(HANDLE handle = nullptr) {
    if (handle_ != nullptr) ::CloseHandle(handle_);
    handle_ = handle == INVALID_HANDLE_VALUE ? nullptr : handle;
  }
  explicit operator bool() const { return handle_ != nullptr; }

 private:
  HANDLE handle_ = nullptr;
};

std::wstring to_wide(std::string_view utf8);
std::string to_utf8(std::wstring_view wide);

// "CreateFileW: All pipe instances are busy. (error 231)" for the call name and an error code.
std::string win_error_text(std::string_view call, DWORD error);

[[noreturn]] void throw_win_error(std::string_view call, const std::string& subject,
                                  DWORD error = ::GetLastError());

}  // namespace pipecheck::detail

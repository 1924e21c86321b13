// Windows host functions (host.hpp). Directories get the default ACL of the user's temporary
// directory (the user, SYSTEM and administrators), which is what "private" means there.
#include <windows.h>

#include <atomic>
#include <random>
#include <stdexcept>
#include <system_error>

#include "host.hpp"

namespace pipecheck::harness::host {

bool is_windows() {
  return true;
}

std::int64_t pid() {
  return static_cast<std::int64_t>(::GetCurrentProcessId());
}

bool executable(const std::filesystem::path& file) {
  const DWORD attributes = ::GetFileAttributesW(file.c_str());
  return attributes != INVALID_FILE_ATTRIBUTES && !(attributes & FILE_ATTRIBUTE_DIRECTORY);
}

std::filesystem::path make_unique_directory(const std::filesystem::path& base,
                                            const std::string& prefix) {
  static constexpr char kLetters[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  static std::atomic<unsigned> counter{0};
  std::mt19937 random(static_cast<unsigned>(::GetTickCount64()) ^ ::GetCurrentProcessId() ^
                      (counter.fetch_add(1) << 16));
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string suffix(6, 'x');
    for (char& c : suffix) c = kLetters[random() % (sizeof(kLetters) - 1)];
    const std::filesystem::path dir = base / (prefix + "-" + suffix);
    if (::CreateDirectoryW(dir.c_str(), nullptr)) return dir;
    if (::GetLastError() != ERROR_ALREADY_EXISTS) {
      throw std::system_error(static_cast<int>(::GetLastError()), std::system_category(),
                              "cannot create a scratch directory " + dir.string());
    }
  }
  throw std::runtime_error("cannot create a scratch directory under " + base.string() +
                           ": 100 names taken");
}

void make_private_directory(const std::filesystem::path& dir) {
  if (!::CreateDirectoryW(dir.c_str(), nullptr) && ::GetLastError() != ERROR_ALREADY_EXISTS) {
    throw std::system_error(static_cast<int>(::GetLastError()), std::system_category(),
                            "cannot create " + dir.string());
  }
  const DWORD attributes = ::GetFileAttributesW(dir.c_str());
  if (attributes == INVALID_FILE_ATTRIBUTES || !(attributes & FILE_ATTRIBUTE_DIRECTORY) ||
      (attributes & FILE_ATTRIBUTE_REPARSE_POINT)) {
    throw std::runtime_error(dir.string() + " exists and is not a directory");
  }
}

std::filesystem::path default_scratch_base() {
  // %TEMP%, short enough for the 256-character pipe paths (they do not contain it anyway).
  wchar_t buffer[MAX_PATH + 1] = {};
  const DWORD length = ::GetTempPathW(MAX_PATH + 1, buffer);
  if (length == 0 || length > MAX_PATH) return std::filesystem::current_path();
  return std::filesystem::path(std::wstring(buffer, length)).lexically_normal();
}

}  // namespace pipecheck::harness::host

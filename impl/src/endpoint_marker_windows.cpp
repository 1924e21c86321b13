// Marker files for discovery where pipes cannot be listed (WIN-2..4, SEC-5, SEC-8).
#include <cstdlib>

#include "endpoint_marker.hpp"
#include "windows_identity.hpp"

namespace pipecheck::detail {

namespace {

std::string environment(const wchar_t* name) {
  const wchar_t* value = ::_wgetenv(name);
  return value != nullptr ? to_utf8(value) : std::string();
}

// Creates `path` as a directory unless it exists; an existing one must be a real directory.
void ensure_directory(const std::string& path, SECURITY_ATTRIBUTES* security) {
  if (::CreateDirectoryW(to_wide(path).c_str(), security)) return;
  const DWORD error = ::GetLastError();
  if (error != ERROR_ALREADY_EXISTS) throw_win_error("CreateDirectoryW", path, error);
  if (!marker_directory_exists(path)) throw_win_error("CreateDirectoryW", path, error);
}

}  // namespace

std::string marker_directory(const Handshake& handshake, const NamingOptions& options) {
  std::string base = options.root;
  if (base.empty()) base = environment(L"PIPECHECK_ROOT");
  if (base.empty()) {
    const std::string local = environment(L"LOCALAPPDATA");
    if (local.empty()) {
      throw Error(Errc::system_error,
                  "marker directory: neither NamingOptions.root, %PIPECHECK_ROOT% nor "
                  "%LOCALAPPDATA% is set");
    }
    base = local + "\\pipecheck";
  }
  while (base.size() > 3 && (base.back() == '\\' || base.back() == '/')) base.pop_back();
  const std::string prefix = options.prefix.empty() ? handshake.default_prefix : options.prefix;
  return base + "\\" + prefix + "-" + current_user_sid();
}

bool marker_directory_exists(const std::string& directory) {
  const DWORD attributes = ::GetFileAttributesW(to_wide(directory).c_str());
  if (attributes == INVALID_FILE_ATTRIBUTES) {
    const DWORD error = ::GetLastError();
    if (error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND) return false;
    throw_win_error("GetFileAttributesW", directory, error);
  }
  if ((attributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0 ||
      (attributes & FILE_ATTRIBUTE_DIRECTORY) == 0) {
    throw Error(Errc::insecure_directory,
                "marker directory '" + directory + "' is " +
                    ((attributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0
                         ? "a reparse point (symlink or junction); it is never followed"
                         : "not a directory") +
                    " (SEC-5, WIN-2)");
  }
  return true;
}

UniqueHandle create_marker(const std::string& directory, const std::string& name) {
  OwnerOnlySecurity security;
  const auto slash = directory.find_last_of('\\');
  if (slash != std::string::npos && slash > 2) {
    // %LOCALAPPDATA%\pipecheck is ours to create; an explicit root must exist already.
    const std::string base = directory.substr(0, slash);
    if (::GetFileAttributesW(to_wide(base).c_str()) == INVALID_FILE_ATTRIBUTES &&
        base == environment(L"LOCALAPPDATA") + "\\pipecheck") {
      ensure_directory(base, nullptr);
    }
  }
  ensure_directory(directory, security.attributes());

  const std::string path = directory + "\\" + name;
  const std::wstring wide = to_wide(path);
  for (int attempt = 0; attempt < 2; ++attempt) {
    // No FILE_SHARE_DELETE: while we hold it, nobody can delete or rename the marker.
    UniqueHandle marker(::CreateFileW(
        wide.c_str(), GENERIC_WRITE | DELETE, FILE_SHARE_READ, security.attributes(), CREATE_NEW,
        FILE_ATTRIBUTE_TEMPORARY | FILE_FLAG_DELETE_ON_CLOSE | FILE_FLAG_OPEN_REPARSE_POINT,
        nullptr));
    if (marker) return marker;
    const DWORD error = ::GetLastError();
    if (error != ERROR_FILE_EXISTS && error != ERROR_ALREADY_EXISTS) {
      throw_win_error("CreateFileW", "marker '" + path + "'", error);
    }
    // The caller owns the pipe name (FILE_FLAG_FIRST_PIPE_INSTANCE), so a marker of that name
    // is left over. It is removed only if it is a plain file nobody holds.
    const DWORD attributes = ::GetFileAttributesW(wide.c_str());
    if (attributes != INVALID_FILE_ATTRIBUTES &&
        (attributes & (FILE_ATTRIBUTE_REPARSE_POINT | FILE_ATTRIBUTE_DIRECTORY)) != 0) {
      throw Error(Errc::address_in_use, "marker '" + path +
                                            "' exists and is a directory or reparse point, not "
                                            "a marker of ours; left untouched");
    }
    if (!::DeleteFileW(wide.c_str())) {
      const DWORD delete_error = ::GetLastError();
      if (delete_error != ERROR_FILE_NOT_FOUND) {
        throw Error(Errc::address_in_use, "marker '" + path + "' is held by a live listener (" +
                                              win_error_text("DeleteFileW", delete_error) + ")");
      }
    }
  }
  throw Error(Errc::address_in_use, "marker '" + path + "' was created again while reclaiming it");
}

}  // namespace pipecheck::detail

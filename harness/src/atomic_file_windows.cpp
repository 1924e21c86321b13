// Windows: atomic file replacement (tmp + FlushFileBuffers + MoveFileExW with
// MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH).
#include <windows.h>

#include <algorithm>
#include <string>

#include "pipecheck/harness/atomic_file.hpp"
#include "pipecheck/harness/report.hpp"

namespace pipecheck::harness {
namespace {

[[noreturn]] void throw_last_error(const std::string& what, const std::filesystem::path& file) {
  throw ReportError(file.string() + ": " + what + ": Windows error " +
                    std::to_string(GetLastError()));
}

}  // namespace

void write_file_atomically(const std::filesystem::path& file, std::string_view text) {
  const std::filesystem::path directory =
      file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) throw ReportError(directory.string() + ": cannot create directory: " + ec.message());

  std::filesystem::path temporary = file;
  temporary += ".tmp";
  HANDLE handle = CreateFileW(temporary.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_ALWAYS,
                              FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
  if (handle == INVALID_HANDLE_VALUE) throw_last_error("cannot open for writing", temporary);
  std::size_t done = 0;
  while (done < text.size()) {
    DWORD written = 0;
    const DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(text.size() - done, 1 << 20));
    if (!WriteFile(handle, text.data() + done, chunk, &written, nullptr)) {
      CloseHandle(handle);
      throw_last_error("write failed", temporary);
    }
    done += written;
  }
  if (!FlushFileBuffers(handle)) {
    CloseHandle(handle);
    throw_last_error("flush failed", temporary);
  }
  CloseHandle(handle);
  if (!MoveFileExW(temporary.c_str(), file.c_str(),
                   MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
    throw_last_error("rename failed", file);
}

}  // namespace pipecheck::harness

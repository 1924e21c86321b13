// POSIX: atomic file replacement (tmp + fsync + rename + fsync of the directory).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#include "pipecheck/harness/atomic_file.hpp"
#include "pipecheck/harness/report.hpp"

namespace pipecheck::harness {
namespace {

[[noreturn]] void throw_errno(const std::string& what, const std::filesystem::path& file) {
  throw ReportError(file.string() + ": " + what + ": " + std::strerror(errno));
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
  // O_NOFOLLOW: never write through a symlink someone else planted at our temporary name.
  const int fd =
      open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) throw_errno("cannot open for writing", temporary);
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      close(fd);
      throw_errno("write failed", temporary);
    }
    done += static_cast<std::size_t>(n);
  }
  if (fsync(fd) != 0) {
    close(fd);
    throw_errno("fsync failed", temporary);
  }
  close(fd);
  if (rename(temporary.c_str(), file.c_str()) != 0) throw_errno("rename failed", file);
  // Make the rename itself durable.
  const int dir_fd = open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    fsync(dir_fd);
    close(dir_fd);
  }
}

}  // namespace pipecheck::harness

// POSIX host functions (host.hpp).
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include "host.hpp"

namespace pipecheck::harness::host {
namespace {

// Longest $TMPDIR we accept as a scratch base: endpoint paths under it must stay within the
// 104-byte sun_path budget (NAME-6) with room for "/pc-XXXXXX/pipecheck-{uid}/{name}".
constexpr std::size_t kMaxBaseLength = 40;

}  // namespace

bool is_windows() {
  return false;
}

std::int64_t pid() {
  return ::getpid();
}

bool executable(const std::filesystem::path& file) {
  return ::access(file.c_str(), X_OK) == 0;
}

std::filesystem::path make_unique_directory(const std::filesystem::path& base,
                                            const std::string& prefix) {
  std::string pattern = (base / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(),
                            "cannot create a scratch directory " + pattern);
  }
  return pattern;
}

void make_private_directory(const std::filesystem::path& dir) {
  if (::mkdir(dir.c_str(), 0700) < 0 && errno != EEXIST) {
    throw std::system_error(errno, std::generic_category(), "cannot create " + dir.string());
  }
  struct stat info {};
  if (::lstat(dir.c_str(), &info) < 0 || !S_ISDIR(info.st_mode)) {
    throw std::runtime_error(dir.string() + " exists and is not a directory");
  }
}

std::filesystem::path default_scratch_base() {
  const char* tmpdir = std::getenv("TMPDIR");
  if (tmpdir && *tmpdir && std::string_view(tmpdir).size() <= kMaxBaseLength) return tmpdir;
  return "/tmp";
}

}  // namespace pipecheck::harness::host

#include "pipecheck/harness/scratch.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <system_error>
#include <utility>

namespace pipecheck::harness {
namespace {

// Longest $TMPDIR we accept as a scratch base: endpoint paths under it must stay within the
// 104-byte sun_path budget (NAME-6) with room for "/pc-XXXXXX/pipecheck-{uid}/{name}".
constexpr std::size_t kMaxBaseLength = 40;

std::filesystem::path default_base() {
  const char* tmpdir = std::getenv("TMPDIR");
  if (tmpdir && *tmpdir && std::string_view(tmpdir).size() <= kMaxBaseLength) return tmpdir;
  return "/tmp";
}

}  // namespace

ScratchDir ScratchDir::create(std::string_view prefix, std::filesystem::path base) {
  if (base.empty()) base = default_base();
  std::string pattern = (base / (std::string(prefix) + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(),
                            "cannot create a scratch directory " + pattern);
  }
  return ScratchDir(pattern);
}

ScratchDir::~ScratchDir() {
  remove();
}

ScratchDir::ScratchDir(ScratchDir&& other) noexcept
    : path_(std::exchange(other.path_, {})), keep_(other.keep_) {}

ScratchDir& ScratchDir::operator=(ScratchDir&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::exchange(other.path_, {});
    keep_ = other.keep_;
  }
  return *this;
}

std::filesystem::path ScratchDir::subdir(std::string_view name) const {
  std::filesystem::path dir = path_ / name;
  if (::mkdir(dir.c_str(), 0700) < 0 && errno != EEXIST) {
    throw std::system_error(errno, std::generic_category(), "cannot create " + dir.string());
  }
  struct stat info {};
  if (::lstat(dir.c_str(), &info) < 0 || !S_ISDIR(info.st_mode)) {
    throw std::runtime_error(dir.string() + " exists and is not a directory");
  }
  return dir;
}

void ScratchDir::remove() noexcept {
  if (!path_.empty() && !keep_) remove_tree_nofollow(path_);
  path_.clear();
}

std::uintmax_t remove_tree_nofollow(const std::filesystem::path& path) noexcept {
  // std::filesystem::remove_all unlinks symlinks without following them.
  std::error_code ec;
  auto removed = std::filesystem::remove_all(path, ec);
  return removed == static_cast<std::uintmax_t>(-1) ? 0 : removed;
}

}  // namespace pipecheck::harness

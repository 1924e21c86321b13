#include "pipecheck/harness/scratch.hpp"

#include <system_error>
#include <utility>

#include "host.hpp"

namespace pipecheck::harness {

ScratchDir ScratchDir::create(std::string_view prefix, std::filesystem::path base) {
  if (base.empty()) base = host::default_scratch_base();
  return ScratchDir(host::make_unique_directory(base, std::string(prefix)));
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
  host::make_private_directory(dir);
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

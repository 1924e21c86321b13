// pipecheck/harness/scratch.hpp — short-lived scratch directories with short paths.
//
//   ScratchDir root = ScratchDir::create();         // e.g. /tmp/pc-Ab12Cd, mode 0700
//   std::filesystem::path run = root.subdir("r1");  // /tmp/pc-Ab12Cd/r1
//   // ~ScratchDir removes the tree; symlinks inside are removed, never followed.
//
// Roots stay short because endpoint paths must fit the 104-byte sun_path budget (NAME-6):
// $TMPDIR is used only when it is at most 40 bytes long, else /tmp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace pipecheck::harness {

class ScratchDir {
 public:
  // mkdtemp("{base}/{prefix}-XXXXXX"); base as above unless given.
  static ScratchDir create(std::string_view prefix = "pc", std::filesystem::path base = {});
  ~ScratchDir();
  ScratchDir(ScratchDir&& other) noexcept;
  ScratchDir& operator=(ScratchDir&& other) noexcept;
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Creates (mode 0700) and returns path()/name; an existing directory is reused.
  std::filesystem::path subdir(std::string_view name) const;
  // Keep the tree on destruction (for post-mortem logs).
  void keep() { keep_ = true; }

 private:
  explicit ScratchDir(std::filesystem::path path) : path_(std::move(path)) {}
  void remove() noexcept;
  std::filesystem::path path_;
  bool keep_ = false;
};

// Removes `path` and everything under it without following symlinks (a symlink is unlinked,
// its target untouched). Returns the number of entries removed; errors are ignored.
std::uintmax_t remove_tree_nofollow(const std::filesystem::path& path) noexcept;

}  // namespace pipecheck::harness

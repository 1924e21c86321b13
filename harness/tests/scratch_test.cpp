#include "pipecheck/harness/scratch.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

namespace pipecheck::harness {
namespace {

TEST(ScratchDir, ShortPrivateRootRemovedWithoutFollowingSymlinks) {
  std::filesystem::path outside;
  std::filesystem::path root;
  {
    ScratchDir keep_target = ScratchDir::create("pc-target");
    outside = keep_target.path() / "precious";
    std::ofstream(outside) << "keep me";
    {
      ScratchDir scratch = ScratchDir::create();
      root = scratch.path();
      EXPECT_LE(root.string().size(), 50u);
      struct stat info {};
      ASSERT_EQ(::lstat(root.c_str(), &info), 0);
      EXPECT_EQ(info.st_mode & 0777, 0700u);
      auto sub = scratch.subdir("a");
      EXPECT_EQ(scratch.subdir("a"), sub);
      std::ofstream(sub / "file") << "x";
      std::filesystem::create_symlink(outside, sub / "link");
      std::filesystem::create_directory_symlink(outside.parent_path(), sub / "dirlink");
    }
    EXPECT_FALSE(std::filesystem::exists(root));
    EXPECT_TRUE(std::filesystem::exists(outside));
  }
  EXPECT_FALSE(std::filesystem::exists(outside));
}

}  // namespace
}  // namespace pipecheck::harness

// POSIX endpoint layout (NAME-5, NAME-6, HASH-23): per-user directory by effective uid, the
// shared root for msbuild, and the 104-byte budget that is never truncated.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "pipecheck/error.hpp"
#include "pipecheck/naming.hpp"

namespace {

pipecheck::Handshake handshake_for_user(const std::string& user) {
  return pipecheck::make_handshake(
      "pipecheck",
      {{"kind", "worker"}, {"version", "17.8"}, {"arch", "x64"}, {"salt", "s"}, {"user", user}});
}

const std::string kEuid = std::to_string(::geteuid());

TEST(PosixLayout, PipecheckLivesInAPerUserDirectory) {
  auto hs = handshake_for_user(kEuid);
  auto ep = pipecheck::endpoint_for(hs, 4242, {.root = "/tmp/x", .prefix = ""});
  EXPECT_EQ(ep.directory, "/tmp/x/pipecheck-" + kEuid);
  EXPECT_EQ(ep.path, ep.directory + "/pipecheck-" + hs.hash + "-4242");
  EXPECT_EQ(pipecheck::endpoint_directory(hs, {.root = "/tmp/x", .prefix = ""}), ep.directory);
  EXPECT_EQ(pipecheck::endpoint_for(hs, 1, {.root = "/tmp/x", .prefix = "pc"}).directory,
            "/tmp/x/pc-" + kEuid);
}

TEST(PosixLayout, DirectoryUsesTheEffectiveUidNotTheHashUser) {
  auto other = handshake_for_user(kEuid == "4242" ? "4243" : "4242");
  EXPECT_EQ(pipecheck::endpoint_for(other, 1, {.root = "/r", .prefix = ""}).directory,
            "/r/pipecheck-" + kEuid);
}

TEST(PosixLayout, MsbuildLivesInTheRoot) {
  auto hs = pipecheck::make_handshake(
      "msbuild", {{"options", "16777352"}, {"salt", "0"}, {"version", "17.8"}});
  auto ep = pipecheck::endpoint_for(hs, 4242, {.root = "/tmp", .prefix = ""});
  EXPECT_EQ(ep.directory, "/tmp");
  EXPECT_EQ(ep.path, "/tmp/MSBuild-" + hs.hash + "-4242");
}

TEST(PosixLayout, PathBudgetIsExactAndNeverTruncates) {
  auto hs = handshake_for_user(kEuid);
  // Directory "/" + root + "/pipecheck-{euid}", then "/pipecheck-{hash}-7".
  const std::size_t fixed =
      std::string("/pipecheck-" + kEuid + "/pipecheck-" + hs.hash + "-7").size();
  const std::size_t fitting_root = pipecheck::kPathBudget - 1 - fixed;  // 103 bytes + NUL
  std::string root = "/" + std::string(fitting_root - 1, 'r');
  auto ep = pipecheck::endpoint_for(hs, 7, {.root = root, .prefix = ""});
  EXPECT_EQ(ep.path.size() + 1, pipecheck::kPathBudget);

  for (std::size_t over : {1u, 2u, 50u}) {
    std::string long_root = root + std::string(over, 'r');
    try {
      pipecheck::endpoint_for(hs, 7, {.root = long_root, .prefix = ""});
      ADD_FAILURE() << "accepted a path over budget by " << over;
    } catch (const pipecheck::Error& e) {
      EXPECT_EQ(e.code(), pipecheck::Errc::path_too_long);
      EXPECT_NE(
          std::string(e.what()).find(std::to_string(over) + " bytes over the 104-byte budget"),
          std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find(long_root), std::string::npos)
          << "the full path is shown";
    }
  }
}

class ResolveRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* value = std::getenv("PIPECHECK_ROOT")) saved_ = value;
  }
  void TearDown() override {
    if (saved_) {
      ::setenv("PIPECHECK_ROOT", saved_->c_str(), 1);
    } else {
      ::unsetenv("PIPECHECK_ROOT");
    }
  }
  std::optional<std::string> saved_;
};

TEST_F(ResolveRoot, OptionThenEnvironmentThenTmp) {
  ::unsetenv("PIPECHECK_ROOT");
  EXPECT_EQ(pipecheck::resolve_root({}), "/tmp");
  ::setenv("PIPECHECK_ROOT", "/var/run/pc", 1);
  EXPECT_EQ(pipecheck::resolve_root({}), "/var/run/pc");
  EXPECT_EQ(pipecheck::resolve_root({.root = "/opt/x", .prefix = ""}), "/opt/x");
  EXPECT_EQ(pipecheck::resolve_root({.root = "/opt/x/", .prefix = ""}), "/opt/x");
}

TEST_F(ResolveRoot, RootIsNeverHashed) {
  auto hs = handshake_for_user(kEuid);
  ::setenv("PIPECHECK_ROOT", "/somewhere/else", 1);
  EXPECT_EQ(handshake_for_user(kEuid).hash, hs.hash);
  EXPECT_EQ(pipecheck::endpoint_for(hs, 5, {}).name,
            pipecheck::endpoint_for(hs, 5, {.root = "/tmp", .prefix = ""}).name);
}

}  // namespace

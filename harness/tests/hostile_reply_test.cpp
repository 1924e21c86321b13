// Replies no agent should send: nested 400,000 deep, invalid UTF-8. Each is a protocol violation
// (the check becomes `error`) whose report is printable; nothing crashes. Against a scripted
// transport here; agent_test.cpp has the same replies from real processes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pipecheck/harness/agent.hpp"
#include "pipecheck/harness/outside_input.hpp"
#include "pipecheck/harness/protocol_client.hpp"

namespace pipecheck::harness {
namespace {

using namespace std::chrono_literals;
using ::testing::AllOf;
using ::testing::HasSubstr;

class OneReply : public LineTransport, public Clock {
 public:
  explicit OneReply(std::string line) : line_(std::move(line)) {}
  WriteResult write_line(std::string_view, Clock::time_point) override {
    return WriteResult::written;
  }
  LineEvent read_line(Clock::time_point) override { return {LineEvent::Kind::line, line_}; }
  time_point now() const override { return time_point{}; }

 private:
  std::string line_;
};

AgentFailure failure_for(const std::string& reply) {
  OneReply agent(reply);
  ProtocolClient client("hostile", agent, agent);
  try {
    client.request("listen", nlohmann::json::object(), 2s);
  } catch (const AgentFailure& failure) {
    return failure;
  }
  ADD_FAILURE() << "the reply was accepted";
  return AgentFailure({});
}

TEST(HostileReply, NestedTooDeepIsAProtocolViolationNamingTheLimit) {
  const std::size_t depth = 400000;
  const std::string reply = R"({"id": 1, "ok": true, "result": )" + std::string(depth, '[') +
                            std::string(depth, ']') + "}";
  const AgentFailure failure = failure_for(reply);
  EXPECT_EQ(failure.kind(), AgentFailure::Kind::protocol_violation);
  EXPECT_THAT(failure.what(), AllOf(HasSubstr("hostile"), HasSubstr("nested deeper than 128")));
  EXPECT_LE(failure.offending_line().size(), 520u);  // the start of the line, not all of it
  EXPECT_NO_THROW(failure.to_json().dump());
}

TEST(HostileReply, InvalidUtf8IsAProtocolViolationWithTheLineEscaped) {
  const AgentFailure failure = failure_for(
      "{\"id\": 1, \"ok\": true, \"result\": {\"listener\": \"L\xff\xfe"
      "1\"}}");
  EXPECT_EQ(failure.kind(), AgentFailure::Kind::protocol_violation);
  EXPECT_THAT(failure.what(), HasSubstr("not valid UTF-8 (byte 0xff at offset 47)"));
  EXPECT_THAT(failure.offending_line(), HasSubstr(R"("L\xff\xfe1")"));
  // What the suites put in the report: dump() with the strict handler must not throw.
  EXPECT_NO_THROW(failure.to_json().dump());
}

TEST(HostileReply, InvalidUtf8InStderrAndDetailsIsEscaped) {
  AgentFailure::Details details;
  details.agent = "hostile";
  details.detail = "bad \xc0";
  details.offending_line = "line \xff";
  details.stderr_tail = "tail \xfe";
  const AgentFailure failure(details);
  EXPECT_EQ(failure.stderr_tail(), "tail \\xfe");
  EXPECT_EQ(failure.offending_line(), "line \\xff");
  EXPECT_TRUE(valid_utf8(failure.what()));
  EXPECT_NO_THROW(failure.to_json().dump());
}

// The same replies from real agent processes: `error` material with the stderr tail.
const std::string kBrokenAgent = std::string(PIPECHECK_TEST_DOUBLES) + "/broken_agent.py";

AgentFailure failure_of_broken(const std::string& mode) {
  auto agent =
      Agent::start(AgentSpec{.name = "broken-" + mode, .command = {"python3", kBrokenAgent, mode}},
                   Deadline::after(10s));
  try {
    agent->request("listen", {{"profile", "pipecheck"}, {"fields", nlohmann::json::object()}}, 10s);
  } catch (const AgentFailure& failure) {
    return failure;
  }
  ADD_FAILURE() << mode << ": the reply was accepted";
  return AgentFailure({});
}

TEST(HostileReply, RealAgentsDeepAndInvalidUtf8RepliesAreErrorsWithTheStderrTail) {
  const AgentFailure deep = failure_of_broken("deep-json");
  EXPECT_EQ(deep.kind(), AgentFailure::Kind::protocol_violation) << deep.what();
  EXPECT_THAT(deep.what(), HasSubstr("nested deeper than 128"));
  EXPECT_THAT(deep.stderr_tail(), HasSubstr("deep-json: got listen"));
  const AgentFailure utf8 = failure_of_broken("bad-utf8");
  EXPECT_EQ(utf8.kind(), AgentFailure::Kind::protocol_violation) << utf8.what();
  EXPECT_THAT(utf8.offending_line(), HasSubstr(R"(L\xff\xfe1)"));
  EXPECT_THAT(utf8.stderr_tail(), HasSubstr("bad-utf8: got listen"));
  EXPECT_NO_THROW(utf8.to_json().dump());
}

// Found by the long fuzz run (fixtures/fuzz/fuzz_agent_reply/regression-line-cut-inside-a-character):
// the offending line in the message is cut at 200 bytes, never inside a character.
TEST(HostileReply, LongOffendingLineIsCutAtACharacterBoundary) {
  for (std::size_t pad = 195; pad <= 200; ++pad) {
    AgentFailure::Details details;
    details.agent = "a";
    details.op = "hello";
    details.offending_line = std::string(pad, 'x') + "\xf0\xb3\xb3\xb3\xf0\xb3\xb3\xb3tail";
    const AgentFailure failure(details);
    EXPECT_TRUE(valid_utf8(failure.what())) << "pad " << pad;
    EXPECT_TRUE(valid_utf8(failure.to_json().dump())) << "pad " << pad;
  }
}

}  // namespace
}  // namespace pipecheck::harness

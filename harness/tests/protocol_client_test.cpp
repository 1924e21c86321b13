// The protocol client against a mocked transport and clock: no process involved.
#include "pipecheck/harness/protocol_client.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace pipecheck::harness {
namespace {

using nlohmann::json;
using ::testing::_;
using ::testing::HasSubstr;
using ::testing::Return;

class MockTransport : public LineTransport {
 public:
  MOCK_METHOD(WriteResult, write_line, (std::string_view line, Clock::time_point deadline),
              (override));
  MOCK_METHOD(LineEvent, read_line, (Clock::time_point deadline), (override));
};

class MockClock : public Clock {
 public:
  MOCK_METHOD(time_point, now, (), (const, override));
};

constexpr auto kT0 = Clock::time_point{} + std::chrono::hours(1);

class ProtocolClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ON_CALL(clock_, now()).WillByDefault(Return(kT0));
    ON_CALL(transport_, write_line(_, _))
        .WillByDefault(Return(LineTransport::WriteResult::written));
  }
  static LineEvent line(const json& value) { return {LineEvent::Kind::line, value.dump()}; }

  ::testing::NiceMock<MockTransport> transport_;
  ::testing::NiceMock<MockClock> clock_;
  ProtocolClient client_{"agent-x", transport_, clock_};
};

AgentFailure expect_failure(const std::function<void()>& body) {
  try {
    body();
  } catch (const AgentFailure& failure) {
    return failure;
  }
  ADD_FAILURE() << "no AgentFailure";
  return AgentFailure({});
}

TEST_F(ProtocolClientTest, SendsRequestAndReturnsTheResultOfTheMatchingId) {
  EXPECT_CALL(transport_,
              write_line(std::string_view(R"({"args":{"listener":"L1"},"id":1,"op":"counters"})"),
                         kT0 + std::chrono::seconds(2)))
      .WillOnce(Return(LineTransport::WriteResult::written));
  EXPECT_CALL(transport_, read_line(kT0 + std::chrono::seconds(2)))
      .WillOnce(Return(line({{"id", 1}, {"ok", true}, {"result", {{"accepted", 5}}}})));
  json result = client_.request("counters", {{"listener", "L1"}}, std::chrono::seconds(2));
  EXPECT_EQ(result["accepted"], 5);
  EXPECT_EQ(client_.last_id(), 1);
}

TEST_F(ProtocolClientTest, MismatchedIdIsAProtocolViolation) {
  EXPECT_CALL(transport_, read_line(_))
      .WillOnce(Return(line({{"id", 9}, {"ok", true}, {"result", json::object()}})));
  auto failure =
      expect_failure([&] { client_.request("exit", json::object(), std::chrono::seconds(1)); });
  EXPECT_EQ(failure.kind(), AgentFailure::Kind::protocol_violation);
  EXPECT_THAT(failure.what(), HasSubstr("reply id 9 does not match request id 1"));
  EXPECT_THAT(failure.offending_line(), HasSubstr("\"id\":9"));
  EXPECT_TRUE(client_.broken());
}

TEST_F(ProtocolClientTest, TimeoutFromTheTransportAndFromTheClock) {
  EXPECT_CALL(transport_, read_line(kT0 + std::chrono::milliseconds(250)))
      .WillOnce(Return(LineEvent{LineEvent::Kind::timeout, {}}));
  auto failure = expect_failure(
      [&] { client_.request("hash", json::object(), std::chrono::milliseconds(250)); });
  EXPECT_EQ(failure.kind(), AgentFailure::Kind::timeout);
  EXPECT_THAT(failure.what(), HasSubstr("no reply within 250 ms"));

  // The clock alone decides as well: after the write the deadline has passed, nothing is read.
  ::testing::NiceMock<MockTransport> transport;
  ::testing::NiceMock<MockClock> clock;
  EXPECT_CALL(clock, now())
      .WillOnce(Return(kT0))
      .WillRepeatedly(Return(kT0 + std::chrono::seconds(3)));
  EXPECT_CALL(transport, write_line(_, _)).WillOnce(Return(LineTransport::WriteResult::written));
  EXPECT_CALL(transport, read_line(_)).Times(0);
  ProtocolClient client("agent-y", transport, clock);
  auto late =
      expect_failure([&] { client.request("hash", json::object(), std::chrono::seconds(2)); });
  EXPECT_EQ(late.kind(), AgentFailure::Kind::timeout);
}

TEST_F(ProtocolClientTest, ErrorReplyThrowsAgentReplyErrorAndKeepsTheClientUsable) {
  EXPECT_CALL(transport_, read_line(_))
      .WillOnce(Return(line(
          {{"id", 1},
           {"ok", false},
           {"error",
            {{"code", "address_in_use"}, {"message", "held"}, {"definite", true}, {"pid", 42}}}})))
      .WillOnce(Return(line({{"id", 2}, {"ok", true}, {"result", json::object()}})));
  try {
    client_.request("listen", json::object(), std::chrono::seconds(1));
    FAIL() << "no AgentReplyError";
  } catch (const AgentReplyError& e) {
    EXPECT_EQ(e.code(), "address_in_use");
    EXPECT_EQ(e.message(), "held");
    EXPECT_TRUE(e.definite());
    EXPECT_EQ(e.error()["pid"], 42);
    EXPECT_EQ(e.op(), "listen");
  }
  EXPECT_FALSE(client_.broken());
  EXPECT_NO_THROW(client_.request("exit", json::object(), std::chrono::seconds(1)));
}

TEST_F(ProtocolClientTest, GarbageSchemaBreaksLongLinesAndEofAreFailures) {
  EXPECT_CALL(transport_, read_line(_))
      .WillOnce(Return(LineEvent{LineEvent::Kind::line, "hello there"}));
  EXPECT_EQ(expect_failure([&] { client_.request("hash", {}, std::chrono::seconds(1)); }).kind(),
            AgentFailure::Kind::protocol_violation);

  auto run = [](LineEvent event, std::string_view op = "dial") {
    ::testing::NiceMock<MockTransport> transport;
    ::testing::NiceMock<MockClock> clock;
    ON_CALL(clock, now()).WillByDefault(Return(kT0));
    ON_CALL(transport, write_line(_, _)).WillByDefault(Return(LineTransport::WriteResult::written));
    EXPECT_CALL(transport, read_line(_)).WillOnce(Return(event));
    ProtocolClient client("a", transport, clock);
    return expect_failure([&] { client.request(op, json::object(), std::chrono::seconds(1)); });
  };
  auto schema =
      run(line({{"id", 1},
                {"ok", true},
                {"result", {{"attempts", 1}, {"outcomes", {{"busy", -1}}}, {"elapsed_ms", 1}}}}));
  EXPECT_EQ(schema.kind(), AgentFailure::Kind::schema_violation);
  EXPECT_THAT(to_string(schema.schema_errors()),
              HasSubstr("/result/outcomes/busy: expected integer >= 0, got -1"));
  EXPECT_EQ(run(line(json::array({1}))).kind(), AgentFailure::Kind::protocol_violation);
  EXPECT_EQ(run({LineEvent::Kind::too_long, "xxxx"}).kind(),
            AgentFailure::Kind::protocol_violation);
  EXPECT_EQ(run({LineEvent::Kind::eof, ""}).kind(), AgentFailure::Kind::stdout_closed);
  EXPECT_EQ(run(line({{"id", 1}, {"ok", true}})).kind(), AgentFailure::Kind::schema_violation);
}

TEST_F(ProtocolClientTest, AfterAFailureEveryRequestFailsAtOnce) {
  EXPECT_CALL(transport_, read_line(_)).WillOnce(Return(LineEvent{LineEvent::Kind::eof, ""}));
  expect_failure([&] { client_.request("hash", {}, std::chrono::seconds(1)); });
  EXPECT_CALL(transport_, write_line(_, _)).Times(0);
  auto dead = expect_failure([&] { client_.request("exit", {}, std::chrono::seconds(1)); });
  EXPECT_EQ(dead.kind(), AgentFailure::Kind::dead);
  EXPECT_EQ(dead.op(), "exit");
}

TEST_F(ProtocolClientTest, ClosedStdinIsAFailure) {
  EXPECT_CALL(transport_, write_line(_, _)).WillOnce(Return(LineTransport::WriteResult::closed));
  EXPECT_EQ(expect_failure([&] { client_.request("hash", {}, std::chrono::seconds(1)); }).kind(),
            AgentFailure::Kind::stdout_closed);
}

}  // namespace
}  // namespace pipecheck::harness

#include "pipecheck/harness/json_schema.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace pipecheck::harness {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

SchemaSet one_schema(json schema) {
  SchemaSet set;
  set.add("t.schema.json", std::move(schema));
  return set;
}

TEST(JsonSchema, MinimumErrorNamesPathAndRule) {
  auto set = one_schema(json::parse(R"({"type": "object", "properties": {"outcomes": {
      "type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}}})"));
  auto errors =
      set.validate(json::parse(R"({"outcomes": {"busy": -1}})"), "t.schema.json", "/result");
  ASSERT_THAT(errors, SizeIs(1));
  EXPECT_EQ(errors[0].to_string(), "/result/outcomes/busy: expected integer >= 0, got -1");
}

TEST(JsonSchema, TypeRequiredAdditionalEnumConst) {
  auto set = one_schema(json::parse(R"({"type": "object", "required": ["a", "b"],
      "properties": {"a": {"type": "string", "minLength": 2, "maxLength": 3, "pattern": "^[a-z]+$"},
                     "b": {"enum": ["x", "y"]}, "c": {"const": 1}},
      "additionalProperties": false})"));
  EXPECT_THAT(set.validate(json::parse(R"({"a": "ab", "b": "x", "c": 1})"), "t.schema.json"),
              IsEmpty());
  auto errors = set.validate(json::parse(R"({"a": "A", "c": 2, "d": 0})"), "t.schema.json");
  std::string text = to_string(errors);
  EXPECT_THAT(text, HasSubstr("/b: required property is missing"));
  EXPECT_THAT(text, HasSubstr("/a: expected a string of at least 2 characters, got 1"));
  EXPECT_THAT(text, HasSubstr("/a: expected a string matching /^[a-z]+$/"));
  EXPECT_THAT(text, HasSubstr("/c: expected 1, got 2"));
  EXPECT_THAT(text, HasSubstr("/d: unexpected property (allowed: a, b, c)"));
  EXPECT_THAT(to_string(set.validate(json::parse(R"([1])"), "t.schema.json")),
              HasSubstr("/: expected object, got array [1]"));
}

TEST(JsonSchema, ItemsMaximumOneOfAnyOfAndRefs) {
  SchemaSet set;
  set.add("a.schema.json", json::parse(R"({"$defs": {"small": {"type": "integer", "maximum": 9}},
      "type": "array", "maxItems": 2, "items": {"$ref": "#/$defs/small"}})"));
  set.add("b.schema.json", json::parse(R"({"oneOf": [{"type": "null"},
      {"$ref": "a.schema.json"}], "anyOf": [{"type": "null"}, {"type": "array"}]})"));
  EXPECT_THAT(set.validate(json::parse("[1, 2]"), "b.schema.json"), IsEmpty());
  EXPECT_THAT(set.validate(nullptr, "b.schema.json"), IsEmpty());
  EXPECT_THAT(to_string(set.validate(json::parse("[1, 20]"), "a.schema.json")),
              HasSubstr("/1: expected integer <= 9, got 20"));
  EXPECT_THAT(to_string(set.validate(json::parse("[1, 2, 3]"), "a.schema.json")),
              HasSubstr("expected at most 2 items, got 3"));
  EXPECT_THAT(to_string(set.validate(json::parse("\"x\""), "b.schema.json")),
              HasSubstr("none matched"));
  EXPECT_TRUE(set.contains("a.schema.json#/$defs/small"));
  EXPECT_FALSE(set.contains("a.schema.json#/$defs/nope"));
  EXPECT_THROW(set.validate(1, "c.schema.json"), SchemaError);
}

TEST(JsonSchema, MalformedSchemaIsRejectedAtLoad) {
  SchemaSet set;
  EXPECT_THROW(set.add("x.schema.json", json::parse(R"({"minimum": "zero"})")), SchemaError);
  EXPECT_THROW(set.add("x.schema.json", json::parse(R"({"pattern": "("})")), SchemaError);
  try {
    set.add("x.schema.json", json::parse(R"({"properties": {"a": {"required": 3}}})"));
    FAIL() << "no SchemaError";
  } catch (const SchemaError& e) {
    EXPECT_THAT(e.what(), HasSubstr("x.schema.json#/properties/a/required"));
  }
}

TEST(ProtocolSchemas, AcceptTheExamplesOfTheProtocolDocument) {
  const SchemaSet& schemas = protocol_schemas();
  auto ok = [&](const char* text, const char* ref) {
    auto errors = schemas.validate(json::parse(text), ref);
    EXPECT_THAT(errors, IsEmpty()) << ref << ": " << to_string(errors);
  };
  ok(R"({"id": 7, "op": "dial", "args": {"path": "/tmp/x", "count": 100}})",
     "envelope.schema.json#/$defs/request");
  ok(R"({"id": 7, "ok": false, "error": {"code": "unsupported", "message": "op 'fire' is not implemented", "definite": true}})",
     "envelope.schema.json#/$defs/reply");
  ok(R"({"protocol": 1, "implementation": "reference", "version": "0.1.0", "platform": "linux",
         "arch": "x64", "pid": 4242, "capabilities": ["hash.pipecheck", "listen"]})",
     "hello.schema.json#/$defs/result");
  ok(R"({"protocol": 1, "implementation": "go-net", "version": "go1.19", "platform": "linux",
         "arch": "x64", "pid": 4242, "capabilities": ["hash.pipecheck", "listen"],
         "provided_by": {"hash.pipecheck": "agent", "listen": "library"}})",
     "hello.schema.json#/$defs/result");
  ok(R"({"attempts": 100, "outcomes": {"ok": 97, "busy": 3}, "handshake": {"accepted": 97, "failed": 0},
         "latency_us": {"p50": 41, "p90": 80, "p99": 210, "max": 900}, "elapsed_ms": 12.5, "retries": 0,
         "errors": [{"outcome": "busy", "system_error": 11, "detail": "connect: Resource temporarily unavailable"}],
         "sequence": ["ok", "ok", "busy"]})",
     "fire.schema.json#/$defs/result");
  ok(R"({"method": "listing", "live": [{"name": "pipecheck-h-4242", "pid": 4242, "path": "/p"}],
         "rejected": [{"name": "pipecheck-h-0042", "reason": "malformed_name"}], "reclaimed": []})",
     "discover.schema.json#/$defs/result");
  ok(R"({"pending_accepts": 4, "unblocked": 4, "max_unblock_ms": 0.8, "endpoint_removed": true})",
     "close.schema.json#/$defs/result");
  ok(R"({"profile": "pipecheck", "fields": {"kind": "worker", "version": "17.8", "arch": "*", "salt": "x"},
         "queue_size": 64, "accept_workers": 64})",
     "listen.schema.json#/$defs/args");
  ok(R"({"path": "/tmp/x", "retry": {"deadline_ms": 2000}, "handshake": "abc"})",
     "prepare_dial.schema.json#/$defs/args");
}

TEST(ProtocolSchemas, RejectBrokenMessages) {
  const SchemaSet& schemas = protocol_schemas();
  EXPECT_THAT(to_string(schemas.validate(json::parse(R"({"id": 1, "ok": true})"),
                                         "envelope.schema.json#/$defs/reply")),
              HasSubstr("none matched"));
  EXPECT_THAT(to_string(schemas.validate(
                  json::parse(R"({"protocol": 1, "implementation": "x", "version": "1",
                      "platform": "plan9", "arch": "x64", "pid": 1, "capabilities": []})"),
                  "hello.schema.json#/$defs/result")),
              HasSubstr("/platform: expected one of"));
  EXPECT_THAT(to_string(schemas.validate(
                  json::parse(R"({"protocol": 1, "implementation": "x", "version": "1",
                      "platform": "linux", "arch": "x64", "pid": 1, "capabilities": ["listen"],
                      "provided_by": {"listen": "partly"}})"),
                  "hello.schema.json#/$defs/result")),
              HasSubstr("/provided_by/listen: expected one of"));
  EXPECT_THAT(to_string(schemas.validate(
                  json::parse(R"({"attempts": 1, "outcomes": {"bogus": 1}, "elapsed_ms": 1})"),
                  "dial.schema.json#/$defs/result")),
              HasSubstr("/outcomes/bogus: unexpected property"));
  EXPECT_THAT(
      to_string(schemas.validate(json::parse(R"({"count": 1})"), "dial.schema.json#/$defs/args")),
      HasSubstr("none matched"));
}

}  // namespace
}  // namespace pipecheck::harness

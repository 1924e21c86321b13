// JSON and text from outside: nesting bounded before parsing, invalid UTF-8 found and escaped.
#include "pipecheck/harness/outside_input.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "pipecheck/harness/scratch.hpp"

namespace pipecheck::harness {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

std::string nested(std::size_t depth, char open = '[', char close = ']') {
  return std::string(depth, open) + std::string(depth, close);
}

TEST(OutsideJson, DepthUpToTheLimitParses) {
  EXPECT_FALSE(json_depth_exceeded_at(nested(kMaxJsonDepth)));
  EXPECT_TRUE(parse_outside_json(nested(kMaxJsonDepth)).is_array());
  EXPECT_EQ(json_depth_exceeded_at(nested(kMaxJsonDepth + 1)), kMaxJsonDepth);
}

TEST(OutsideJson, DeepInputIsRefusedBeforeParsingWithTheLimitNamed) {
  // 400,000 deep (the reply that crashed suite_hash) and 50,000 deep objects (reports).
  for (const std::string& text : {nested(400000), "{\"a\":" + nested(50000, '{', '}') + "}"}) {
    try {
      parse_outside_json(text);
      ADD_FAILURE() << "deep JSON parsed";
    } catch (const OutsideJsonError& e) {
      EXPECT_THAT(e.what(), HasSubstr("nested deeper than 128 levels"));
    }
  }
}

TEST(OutsideJson, BracketsInsideStringsDoNotCount) {
  const std::string text = R"({"a": "[[[[{{{{\"[[[", "b": [1, "]]]]"]})";
  EXPECT_FALSE(json_depth_exceeded_at(text, 2));
  EXPECT_EQ(parse_outside_json(text, 2)["b"][1], "]]]]");
  EXPECT_TRUE(json_depth_exceeded_at(R"({"a": [[1]]})", 2));
}

TEST(OutsideJson, SyntaxErrorsAreOutsideJsonErrorsAndPrintable) {
  try {
    parse_outside_json("{\"a\": \"\xff\"}");
    ADD_FAILURE() << "invalid UTF-8 parsed";
  } catch (const OutsideJsonError& e) {
    EXPECT_THAT(e.what(), HasSubstr("not valid JSON"));
    EXPECT_TRUE(valid_utf8(e.what()));
  }
}

// Found by the long fuzz run (fixtures/fuzz/fuzz_expected_findings/regression-number-overflow):
// a number past double's range is the library's out_of_range, not a parse_error.
TEST(OutsideJson, NumberPastDoublesRangeIsAnOutsideJsonError) {
  EXPECT_THROW(parse_outside_json("666666666e666"), OutsideJsonError);
  EXPECT_THROW(parse_outside_json("{\"n\": -1e400}"), OutsideJsonError);
}

TEST(OutsideJson, FileErrorsNameTheFileAndTheLimit) {
  ScratchDir scratch = ScratchDir::create();
  const auto deep = scratch.path() / "deep.json";
  std::ofstream(deep) << nested(50000);
  try {
    read_outside_json_file(deep);
    ADD_FAILURE() << "deep file parsed";
  } catch (const OutsideJsonError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr(deep.string()), HasSubstr("128")));
  }
  const auto fine = scratch.path() / "fine.json";
  std::ofstream(fine) << R"({"ok": [1, 2]})";
  EXPECT_EQ(read_outside_json_file(fine)["ok"][1], 2);
  EXPECT_THROW(read_outside_json_file(scratch.path() / "missing.json"), OutsideJsonError);
}

TEST(OutsideText, Utf8ValidationFollowsTheUnicodeTable) {
  EXPECT_TRUE(valid_utf8("plain ASCII"));
  EXPECT_TRUE(valid_utf8("\xc4\xb0stanbul \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"));
  EXPECT_EQ(invalid_utf8_at("ab\xff"), 2u);
  EXPECT_EQ(invalid_utf8_at("\xc0\xaf"), 0u);          // overlong '/'
  EXPECT_EQ(invalid_utf8_at("x\xed\xa0\x80"), 1u);     // a surrogate
  EXPECT_EQ(invalid_utf8_at("\xf4\x90\x80\x80"), 0u);  // past U+10FFFF
  EXPECT_EQ(invalid_utf8_at("ok\xe6\x97"), 2u);        // truncated at the end
}

TEST(OutsideText, EscapingKeepsValidTextAndMarksEveryInvalidByte) {
  EXPECT_EQ(escape_invalid_utf8("a\\b \xc4\xb0"), "a\\b \xc4\xb0");
  EXPECT_EQ(escape_invalid_utf8("L\xff\xfe"
                                "1 a\\b \xc4\xb0"),
            "L\\xff\\xfe1 a\\\\b \xc4\xb0");
  EXPECT_TRUE(valid_utf8(escape_invalid_utf8("\x80\xc0\xed\xa0\x80\xf5")));
}

}  // namespace
}  // namespace pipecheck::harness

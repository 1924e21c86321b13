// SHA-256 against RFC 6234 section 8.5 and padding-boundary lengths; base32/base64 against
// RFC 4648 section 10.
#include <gtest/gtest.h>

#include <string>

#include "encoding.hpp"

namespace {

std::string hex(const std::string& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xf];
  }
  return out;
}

std::string repeated(const std::string& unit, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) out += unit;
  return out;
}

TEST(Sha256, Rfc6234Test1Abc) {
  EXPECT_EQ(hex(pipecheck::detail::sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, Rfc6234Test2TwoBlocks) {
  EXPECT_EQ(
      hex(pipecheck::detail::sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, Rfc6234Test3MillionA) {
  EXPECT_EQ(hex(pipecheck::detail::sha256(std::string(1000000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, Rfc6234Test4Repeated) {
  EXPECT_EQ(hex(pipecheck::detail::sha256(repeated("01234567012345670123456701234567"
                                                   "01234567012345670123456701234567",
                                                   10))),
            "594847328451bdfa85056225462cc1d867d877fb388df0ce35f25ab5562bfbb5");
}

TEST(Sha256, EmptyInput) {
  EXPECT_EQ(hex(pipecheck::detail::sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

// Lengths around the 55/56 and 64-byte padding boundaries (values from Python's hashlib).
TEST(Sha256, PaddingBoundaries) {
  const std::pair<std::size_t, const char*> cases[] = {
      {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
      {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
      {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
      {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
      {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
      {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
      {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
  };
  for (const auto& [length, expected] : cases) {
    EXPECT_EQ(hex(pipecheck::detail::sha256(std::string(length, 'a'))), expected)
        << "length " << length;
  }
}

TEST(Sha256, DigestIsThirtyTwoRawBytes) {
  EXPECT_EQ(pipecheck::detail::sha256("x").size(), 32u);
}

// RFC 4648 section 10, lower-cased and without the '=' padding.
TEST(Base32, Rfc4648Vectors) {
  EXPECT_EQ(pipecheck::detail::base32_lower_nopad(""), "");
  EXPECT_EQ(pipecheck::detail::base32_lower_nopad("f"), "my");
  EXPECT_EQ(pipecheck::detail::base32_lower_nopad("fo"), "mzxq");
  EXPECT_EQ(pipecheck::detail::base32_lower_nopad("foo"), "mzxw6");
  EXPECT_EQ(pipecheck::detail::base32_lower_nopad("foob"), "mzxw6yq");
  EXPECT_EQ(pipecheck::detail::base32_lower_nopad("fooba"), "mzxw6ytb");
  EXPECT_EQ(pipecheck::detail::base32_lower_nopad("foobar"), "mzxw6ytboi");
}

TEST(Base32, HighBytesAndDigestLength) {
  EXPECT_EQ(pipecheck::detail::base32_lower_nopad(std::string(5, '\xff')), "77777777");
  EXPECT_EQ(pipecheck::detail::base32_lower_nopad(std::string(5, '\0')), "aaaaaaaa");
  // A 32-byte digest is 52 characters unpadded; the pipecheck profile keeps the first 32.
  EXPECT_EQ(pipecheck::detail::base32_lower_nopad(pipecheck::detail::sha256("abc")).size(), 52u);
}

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(pipecheck::detail::base64_standard(""), "");
  EXPECT_EQ(pipecheck::detail::base64_standard("f"), "Zg==");
  EXPECT_EQ(pipecheck::detail::base64_standard("fo"), "Zm8=");
  EXPECT_EQ(pipecheck::detail::base64_standard("foo"), "Zm9v");
  EXPECT_EQ(pipecheck::detail::base64_standard("foob"), "Zm9vYg==");
  EXPECT_EQ(pipecheck::detail::base64_standard("fooba"), "Zm9vYmE=");
  EXPECT_EQ(pipecheck::detail::base64_standard("foobar"), "Zm9vYmFy");
}

TEST(Base64, StandardAlphabetKeepsPlusAndSlash) {
  EXPECT_EQ(pipecheck::detail::base64_standard("\xfb\xff\xbf"), "+/+/");
  EXPECT_EQ(pipecheck::detail::base64_standard(pipecheck::detail::sha256("abc")).size(), 44u);
}

}  // namespace

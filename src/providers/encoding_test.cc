#include "src/providers/encoding.h"

#include <gtest/gtest.h>

#include <string>

namespace hookfence::providers {
namespace {

TEST(HexTest, EncodesLowerCaseAndDecodesEitherCase) {
  EXPECT_EQ(HexEncode(std::string("\x00\x7f\xab\xff", 4)), "007fabff");
  EXPECT_EQ(HexDecode("007fabff"), std::string("\x00\x7f\xab\xff", 4));
  EXPECT_EQ(HexDecode("007FABFF"), std::string("\x00\x7f\xab\xff", 4));
  EXPECT_EQ(HexDecode(""), std::string());
}

TEST(HexTest, RefusesOddLengthAndNonHex) {
  EXPECT_FALSE(HexDecode("abc"));
  EXPECT_FALSE(HexDecode("zz"));
  EXPECT_FALSE(HexDecode("ab "));
  EXPECT_FALSE(HexDecode(" ab"));
}

// RFC 4648 §10.
TEST(Base64Test, EncodesRfcVectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("\xff\xfe\xfd"), "//79");
}

TEST(Base64Test, DecodesRfcVectors) {
  for (std::string text : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\xfd"}) {
    EXPECT_EQ(Base64Decode(Base64Encode(text)), text);
  }
}

TEST(Base64Test, RefusesNonCanonicalInput) {
  EXPECT_FALSE(Base64Decode("Zg"));        // missing padding
  EXPECT_FALSE(Base64Decode("Zg="));       // short padding
  EXPECT_FALSE(Base64Decode("Zg==\n"));    // whitespace
  EXPECT_FALSE(Base64Decode(" Zm9v"));     // whitespace
  EXPECT_FALSE(Base64Decode("Zm 9v"));     // whitespace
  EXPECT_FALSE(Base64Decode("Zh=="));      // non-zero spare bits
  EXPECT_FALSE(Base64Decode("Zm9="));      // non-zero spare bits
  EXPECT_FALSE(Base64Decode("Z==="));      // too much padding
  EXPECT_FALSE(Base64Decode("Zg==Zg=="));  // padding in the middle
  EXPECT_FALSE(Base64Decode("_-8="));      // base64url alphabet
  EXPECT_FALSE(Base64Decode("===="));
}

}  // namespace
}  // namespace hookfence::providers

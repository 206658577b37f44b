#include "hookfence/keys.h"

#include <gtest/gtest.h>

namespace hookfence {
namespace {

TEST(KeysTest, SourceNamesFollowTheRule) {
  EXPECT_TRUE(ValidateSourceName("stripe").ok());
  EXPECT_TRUE(ValidateSourceName("my_shop-2").ok());
  EXPECT_TRUE(ValidateSourceName(std::string(64, 'a')).ok());
  EXPECT_FALSE(ValidateSourceName("").ok());
  EXPECT_FALSE(ValidateSourceName(std::string(65, 'a')).ok());
  EXPECT_FALSE(ValidateSourceName("Stripe").ok());
  EXPECT_FALSE(ValidateSourceName("a:b").ok());
  EXPECT_FALSE(ValidateSourceName("a b").ok());
}

TEST(KeysTest, EventIdsArePrintableAsciiUpTo256Bytes) {
  EXPECT_TRUE(ValidateEventId("evt_1NqQx2").ok());
  EXPECT_TRUE(ValidateEventId("!~").ok());
  EXPECT_TRUE(ValidateEventId(std::string(256, 'x')).ok());
  EXPECT_EQ(ValidateEventId("").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateEventId(std::string(257, 'x')).code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(ValidateEventId("a b").ok());
  EXPECT_FALSE(ValidateEventId("a\r\nX-Injected: 1").ok());
  EXPECT_FALSE(ValidateEventId(std::string("a\0b", 3)).ok());
  EXPECT_FALSE(ValidateEventId("caf\xc3\xa9").ok());
  EXPECT_FALSE(ValidateEventId("\x7f").ok());
}

TEST(KeysTest, MakeKeyJoinsValidatedParts) {
  auto key = MakeKey("stripe", "evt_1");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(*key, "stripe:evt_1");
  EXPECT_TRUE(ValidateKey(*key).ok());
  EXPECT_TRUE(ValidateKey("gh:a:b").ok());  // the id may itself contain ':'
  EXPECT_FALSE(MakeKey("Stripe", "evt_1").ok());
  EXPECT_FALSE(MakeKey("stripe", "").ok());
  EXPECT_FALSE(ValidateKey("").ok());
  EXPECT_FALSE(ValidateKey("nocolon").ok());
  EXPECT_FALSE(ValidateKey(":evt").ok());
  EXPECT_FALSE(ValidateKey("s:" + std::string(600, 'x')).ok());
}

TEST(KeysTest, PercentEncodeLeavesUnreservedBytesAlone) {
  EXPECT_EQ(PercentEncode("stripe:evt_1.a~b-c"), "stripe%3Aevt_1.a~b-c");
  EXPECT_EQ(PercentEncode("a/b?c#d e"), "a%2Fb%3Fc%23d%20e");
}

}  // namespace
}  // namespace hookfence

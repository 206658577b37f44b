#include "hookfence/fingerprint.h"

#include <gtest/gtest.h>

namespace hookfence {
namespace {

TEST(FingerprintTest, IsLowerCaseHexSha256OfTheRawBytes) {
  EXPECT_EQ(Fingerprint(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Fingerprint("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // Bytes, not text: a NUL or a changed whitespace is another fingerprint.
  EXPECT_NE(Fingerprint(std::string("a\0b", 3)), Fingerprint("ab"));
  EXPECT_NE(Fingerprint("{\"id\":1}"), Fingerprint("{\"id\": 1}"));
}

}  // namespace
}  // namespace hookfence

#include "src/store/record_codec.h"

#include <gtest/gtest.h>

namespace hookfence::store::internal {
namespace {

TEST(RecordCodecTest, RoundTripsEveryField) {
  Headers headers{
      {"content-type", "application/json"}, {"x-empty", ""}, {"bin", std::string("\0\xff", 2)}};
  auto decoded_headers = DecodeHeaders(EncodeHeaders(headers));
  ASSERT_TRUE(decoded_headers.ok());
  EXPECT_EQ(*decoded_headers, headers);

  std::vector<Attempt> log{{FromMicros(1), 1, 503, "boom", Duration(1500)},
                           {FromMicros(-5), 2, 0, "", Duration(0)}};
  auto decoded_log = DecodeAttemptLog(EncodeAttemptLog(log));
  ASSERT_TRUE(decoded_log.ok());
  EXPECT_EQ(*decoded_log, log);

  Response response{201, headers, std::string("body\0with nul", 13)};
  auto decoded_response = DecodeResponse(EncodeResponse(response));
  ASSERT_TRUE(decoded_response.ok());
  EXPECT_EQ(*decoded_response, response);
}

TEST(RecordCodecTest, CorruptBytesAreAnErrorNotACrash) {
  std::string good = EncodeResponse(Response{200, {{"a", "b"}}, "x"});
  for (std::size_t cut = 0; cut < good.size(); ++cut) {
    EXPECT_FALSE(DecodeResponse(good.substr(0, cut)).ok()) << cut;
  }
  EXPECT_FALSE(DecodeResponse(good + "trailing").ok());
  std::string huge_count = EncodeHeaders({});
  huge_count[1] = '\xff';  // a count far beyond the bytes present
  EXPECT_EQ(DecodeHeaders(huge_count).status().code(), StatusCode::kInternal);
  EXPECT_FALSE(DecodeAttemptLog("").ok());
}

}  // namespace
}  // namespace hookfence::store::internal

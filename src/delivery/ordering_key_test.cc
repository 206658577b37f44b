#include "src/delivery/ordering_key.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace hookfence::delivery {
namespace {

// The key, or "<error>" so that expectations read as one table.
std::string Key(std::string_view body, std::string_view path = "data.object.id") {
  Result<std::string> key = ExtractOrderingKey(body, path);
  if (!key.ok()) {
    EXPECT_EQ(key.status().code(), StatusCode::kInvalidArgument);
    return "<error>";
  }
  return *key;
}

TEST(ValidateOrderingPathTest, AcceptsDottedMemberNames) {
  for (const char* path :
       {"id", "data.object.id", "payload.pull_request.head.sha", "a-b.c_d.0", "x.$ref", "@type"}) {
    EXPECT_TRUE(ValidateOrderingPath(path).ok()) << path;
  }
  std::string deepest;
  for (std::size_t i = 0; i < kMaxOrderingPathSegments; ++i) {
    deepest += i == 0 ? "a" : ".a";
  }
  EXPECT_TRUE(ValidateOrderingPath(deepest).ok());
  EXPECT_FALSE(ValidateOrderingPath(deepest + ".a").ok());
  EXPECT_TRUE(ValidateOrderingPath(std::string(kMaxOrderingPathBytes, 'a')).ok());
  EXPECT_FALSE(ValidateOrderingPath(std::string(kMaxOrderingPathBytes + 1, 'a')).ok());
}

TEST(ValidateOrderingPathTest, RefusesMalformedPaths) {
  for (const char* path :
       {"", ".", ".id", "id.", "data..id", "items[0].id", "items.[0]", "items.*.id", "data object",
        "data.\tid", "caf\xc3\xa9", "$.data.id", "$"}) {
    Status status = ValidateOrderingPath(path);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << '"' << path << '"';
  }
  EXPECT_NE(ValidateOrderingPath("items[0].id").message().find("arrays are not supported"),
            std::string::npos);
}

TEST(ExtractOrderingKeyTest, ReadsStringsAndIntegers) {
  const std::string stripe = R"({"id":"evt_1","type":"invoice.paid",
      "data":{"object":{"id":"in_42","customer":"cus_9"}}})";
  EXPECT_EQ(Key(stripe), "in_42");
  EXPECT_EQ(Key(stripe, "data.object.customer"), "cus_9");
  EXPECT_EQ(Key(stripe, "id"), "evt_1");
  EXPECT_EQ(Key(R"({"data":{"object":{"id":12345}}})"), "12345");
  EXPECT_EQ(Key(R"({"data":{"object":{"id":-7}}})"), "-7");
  EXPECT_EQ(Key(R"({"data":{"object":{"id":0}}})"), "0");
  // Wider than 64 bits: kept exactly as written.
  EXPECT_EQ(Key(R"({"data":{"object":{"id":123456789012345678901234567890}}})"),
            "123456789012345678901234567890");
  EXPECT_EQ(Key(R"({"data":{"object":{"id": 42 }}})"), "42");
  EXPECT_EQ(Key(R"({"data":{"object":{"id":"42"}}})"), Key(R"({"data":{"object":{"id":42}}})"));
}

TEST(ExtractOrderingKeyTest, UnescapesNamesAndValues) {
  EXPECT_EQ(Key(R"({"data":{"object":{"\u0069d":"a\"b\u00e9"}}})"), "a\"b\xc3\xa9");
}

TEST(ExtractOrderingKeyTest, AnythingElseIsNoKey) {
  for (const char* body : {
           R"({})",
           R"({"data":{}})",
           R"({"data":{"object":{}}})",
           R"({"data":{"object":{"id":null}}})",
           R"({"data":{"object":{"id":true}}})",
           R"({"data":{"object":{"id":1.5}}})",
           R"({"data":{"object":{"id":1e3}}})",
           R"({"data":{"object":{"id":{"nested":1}}}})",
           R"({"data":{"object":{"id":["a"]}}})",
           R"({"data":{"object":{"id":""}}})",
           R"({"data":"object"})",
           R"({"data":{"object":[{"id":"in_1"}]}})",  // arrays are not walked
           R"({"data":[{"object":{"id":"in_1"}}]})",
           R"(["data"])",
           R"("data")",
           R"(42)",
       }) {
    EXPECT_EQ(Key(body), "") << body;
  }
}

TEST(ExtractOrderingKeyTest, SkipsSiblingsOfAnyShape) {
  EXPECT_EQ(Key(R"({"meta":[1,{"id":"no"},[[]]],"data":{"other":{"object":{"id":"no"}},
                "id":"no","object":{"list":[{"id":"no"}],"id":"yes","after":{"id":"no"}}},
                "tail":"x"})"),
            "yes");
}

TEST(ExtractOrderingKeyTest, RefusesAmbiguousPaths) {
  EXPECT_EQ(Key(R"({"data":{"object":{"id":"a","id":"b"}}})"), "<error>");
  EXPECT_EQ(Key(R"({"data":{"object":{"id":"a"},"object":{"id":"b"}}})"), "<error>");
  EXPECT_EQ(Key(R"({"data":{"object":{"id":"a"}},"data":{}})"), "<error>");
  // Duplicates off the path do not matter.
  EXPECT_EQ(Key(R"({"data":{"object":{"id":"a"}},"other":1,"other":2})"), "a");
}

TEST(ExtractOrderingKeyTest, RefusesMalformedJsonOnThePath) {
  for (const char* body : {"", "   ", "{", "not json", R"({"data":{"object":{"id":"a})",
                           R"({"data":{"object":{"id":})", R"({"data" {"object":{}}})",
                           "{\"data\":{\"object\":{\"id\":\"\xff\"}}}"}) {
    EXPECT_EQ(Key(body), "<error>") << body;
  }
}

TEST(ExtractOrderingKeyTest, BoundsTheKey) {
  const std::string longest(kMaxOrderingKeyBytes, 'k');
  EXPECT_EQ(Key(R"({"data":{"object":{"id":")" + longest + R"("}}})"), longest);
  EXPECT_EQ(Key(R"({"data":{"object":{"id":")" + longest + R"(k"}}})"), "<error>");
  EXPECT_EQ(Key(R"({"data":{"object":{"id":)" + std::string(kMaxOrderingKeyBytes + 1, '9') + "}}}"),
            "<error>");
}

TEST(ExtractOrderingKeyTest, RefusesAnInvalidPath) {
  EXPECT_EQ(Key(R"({"a":{"b":1}})", "a..b"), "<error>");
}

TEST(ExtractOrderingKeyTest, IsSafeFromManyThreads) {
  std::vector<std::thread> threads;
  std::vector<int> matches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &matches] {
      const std::string expected = "k" + std::to_string(t);
      const std::string body = R"({"data":{"object":{"id":")" + expected + R"("}}})";
      for (int i = 0; i < 500; ++i) {
        Result<std::string> key = ExtractOrderingKey(body, "data.object.id");
        matches[static_cast<std::size_t>(t)] += key.ok() && *key == expected ? 1 : 0;
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(matches, std::vector<int>(4, 500));
}

}  // namespace
}  // namespace hookfence::delivery

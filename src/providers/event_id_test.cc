#include "src/providers/event_id.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "src/providers/json_fields.h"

namespace hookfence::providers {
namespace {

using Kind = EventIdResult::Kind;

TEST(EventIdFromJsonBodyTest, ReadsTopLevelStringMember) {
  EventIdResult result = EventIdFromJsonBody(R"({"object":"event","id":"evt_1"})", "id");
  EXPECT_EQ(result.kind, Kind::kOk) << result.message;
  EXPECT_EQ(result.id, "evt_1");
}

TEST(EventIdFromJsonBodyTest, IgnoresNestedMembersOfTheSameName) {
  EventIdResult result = EventIdFromJsonBody(
      R"({"data":{"object":{"id":"pi_1"}},"id":"evt_1","request":{"id":"req_1"}})", "id");
  EXPECT_EQ(result.kind, Kind::kOk) << result.message;
  EXPECT_EQ(result.id, "evt_1");
}

TEST(EventIdFromJsonBodyTest, UnescapesTheIdAndTheKey) {
  EventIdResult result = EventIdFromJsonBody(R"({"\u0069d":"evt_\u0031\/x"})", "id");
  EXPECT_EQ(result.kind, Kind::kOk) << result.message;
  EXPECT_EQ(result.id, "evt_1/x");
}

TEST(EventIdFromJsonBodyTest, DuplicatedIdIsMalformed) {
  EXPECT_EQ(EventIdFromJsonBody(R"({"id":"evt_1","id":"evt_2"})", "id").kind, Kind::kMalformedBody);
  EXPECT_EQ(EventIdFromJsonBody(R"({"id":"evt_1","id":"evt_1"})", "id").kind, Kind::kMalformedBody);
  EXPECT_EQ(EventIdFromJsonBody(R"({"id":1,"x":2,"id":"evt_1"})", "id").kind, Kind::kMalformedBody);
  // The same key, spelled with an escape, is the same key to every JSON parser.
  EXPECT_EQ(EventIdFromJsonBody(R"({"id":"evt_1","\u0069d":"evt_2"})", "id").kind,
            Kind::kMalformedBody);
}

TEST(EventIdFromJsonBodyTest, NonJsonIsMalformed) {
  for (const std::string& body :
       std::vector<std::string>{"",
                                "   ",
                                "not json",
                                "id=evt_1",
                                R"(["id","evt_1"])",
                                R"("evt_1")",
                                "null",
                                R"({"id":"evt_1")",
                                R"({"id":"evt_1",})",
                                R"({"id" "evt_1"})",
                                R"({"id":"evt_1"}{"id":"evt_2"})",
                                R"({"id":"evt_1"}})",
                                R"({"id":"evt_1"} x)",
                                R"({"id":"evt_1","a":[tru]})",
                                R"({"id":"evt_1","a":[1,2}})",
                                R"({"id":"evt_1","a":nul})",
                                R"({"id":"evt_1","a":01})",
                                R"({"id":"evt_1","a":1.})",
                                R"({"id":"evt_1","a":"\x"})",
                                R"({"id":"evt_\ud800"})",
                                std::string("{\"id\":\"evt_1\",\"a\":\"\xff\"}"),
                                std::string("{\"id\":\"evt_1\",\"a\":{\"b\":\"tab\there\"}}")}) {
    EventIdResult result = EventIdFromJsonBody(body, "id");
    EXPECT_EQ(result.kind, Kind::kMalformedBody) << body << " -> " << result.message;
  }
}

TEST(EventIdFromJsonBodyTest, AcceptsAnyWellFormedObject) {
  for (
      std::string body :
      {R"({"id":"evt_1"})", "\r\n{ \"id\" : \"evt_1\" }\r\n",
       R"({"id":"evt_1","n":[-0.5e+10,0,1E3,123456789012345678901234567890],"b":[true,false,null]})",
       R"({"a":{"b":{"c":[[],{}]}},"id":"evt_1","s":"Caf\u00e9 \ud83d\ude00"})"}) {
    EventIdResult result = EventIdFromJsonBody(body, "id");
    EXPECT_EQ(result.kind, Kind::kOk) << body << " -> " << result.message;
  }
}

TEST(EventIdFromJsonBodyTest, RefusesDeepNesting) {
  std::string deep = R"({"id":"evt_1","a":)" + std::string(300, '[') + std::string(300, ']') + "}";
  EXPECT_EQ(EventIdFromJsonBody(deep, "id").kind, Kind::kMalformedBody);
}

TEST(EventIdFromJsonBodyTest, MissingOrNullIdIsMissing) {
  EXPECT_EQ(EventIdFromJsonBody(R"({})", "id").kind, Kind::kMissing);
  EXPECT_EQ(EventIdFromJsonBody(R"({"ID":"evt_1"})", "id").kind, Kind::kMissing);
  EXPECT_EQ(EventIdFromJsonBody(R"({"data":{"id":"evt_1"}})", "id").kind, Kind::kMissing);
  EXPECT_EQ(EventIdFromJsonBody(R"({"id":null})", "id").kind, Kind::kMissing);
}

TEST(EventIdFromJsonBodyTest, NonStringOrBadIdIsInvalid) {
  EXPECT_EQ(EventIdFromJsonBody(R"({"id":42})", "id").kind, Kind::kInvalid);
  EXPECT_EQ(EventIdFromJsonBody(R"({"id":{"v":"evt_1"}})", "id").kind, Kind::kInvalid);
  EXPECT_EQ(EventIdFromJsonBody(R"({"id":""})", "id").kind, Kind::kInvalid);
  EXPECT_EQ(EventIdFromJsonBody(R"({"id":"evt 1"})", "id").kind, Kind::kInvalid);
  EXPECT_EQ(EventIdFromJsonBody(R"({"id":"evt_1\r\nX-Injected: 1"})", "id").kind, Kind::kInvalid);
  EXPECT_EQ(EventIdFromJsonBody(R"({"id":"evt_\u00e9"})", "id").kind, Kind::kInvalid);
  EXPECT_EQ(EventIdFromJsonBody(R"({"id":"evt_1\u0000"})", "id").kind, Kind::kInvalid);
  std::string ten_kb = R"({"id":")" + std::string(10 * 1024, 'a') + R"("})";
  EXPECT_EQ(EventIdFromJsonBody(ten_kb, "id").kind, Kind::kInvalid);
  std::string max = R"({"id":")" + std::string(256, 'a') + R"("})";
  EXPECT_EQ(EventIdFromJsonBody(max, "id").kind, Kind::kOk);
  std::string over = R"({"id":")" + std::string(257, 'a') + R"("})";
  EXPECT_EQ(EventIdFromJsonBody(over, "id").kind, Kind::kInvalid);
}

TEST(EventIdFromHeaderTest, ReadsCaseInsensitivelyAndInOrder) {
  Headers headers = {{"X-SHOPIFY-EVENT-ID", "e1"}, {"shopify-event-id", "e2"}};
  const std::array<std::string_view, 2> names = {"x-shopify-event-id", "Shopify-Event-Id"};
  EventIdResult result = EventIdFromHeader(headers, names);
  EXPECT_EQ(result.kind, Kind::kOk);
  EXPECT_EQ(result.id, "e1");
  EXPECT_EQ(EventIdFromHeader(Headers{{"shopify-event-id", "e2"}}, names).id, "e2");
}

TEST(EventIdFromHeaderTest, MissingRepeatedAndInvalid) {
  EXPECT_EQ(EventIdFromHeader(Headers{}, "X-Id").kind, Kind::kMissing);
  EXPECT_EQ(EventIdFromHeader(Headers{{"x-id", "a"}, {"X-Id", "b"}}, "X-Id").kind, Kind::kInvalid);
  EXPECT_EQ(EventIdFromHeader(Headers{{"X-Id", ""}}, "X-Id").kind, Kind::kInvalid);
  EXPECT_EQ(EventIdFromHeader(Headers{{"X-Id", "a\r\nb"}}, "X-Id").kind, Kind::kInvalid);
  EXPECT_EQ(EventIdFromHeader(Headers{{"X-Id", "a b"}}, "X-Id").kind, Kind::kInvalid);
  EXPECT_EQ(EventIdFromHeader(Headers{{"X-Id", std::string(10 * 1024, 'a')}}, "X-Id").kind,
            Kind::kInvalid);
  // Optional whitespace around a field value is not part of it (RFC 9110 §5.5).
  EXPECT_EQ(EventIdFromHeader(Headers{{"X-Id", " \tabc "}}, "X-Id").id, "abc");
}

TEST(ReadTopLevelFieldsTest, ReportsEachNameSeparately) {
  const std::array<std::string_view, 3> names = {"type", "challenge", "missing"};
  std::array<JsonField, 3> fields;
  ASSERT_TRUE(
      ReadTopLevelFields(R"({"type":"url_verification","challenge":null,"x":1})", names, fields)
          .ok());
  EXPECT_EQ(fields[0].kind, JsonField::Kind::kString);
  EXPECT_EQ(fields[0].value, "url_verification");
  EXPECT_EQ(fields[0].count, 1);
  EXPECT_EQ(fields[1].kind, JsonField::Kind::kNull);
  EXPECT_EQ(fields[2].kind, JsonField::Kind::kAbsent);
  EXPECT_EQ(fields[2].count, 0);
}

}  // namespace
}  // namespace hookfence::providers

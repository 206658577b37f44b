#include "src/delivery/app_request.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "hookfence/providers.h"
#include "src/providers/encoding.h"
#include "src/providers/header_lookup.h"

namespace hookfence::delivery {
namespace {

// The example secret of the Standard Webhooks specification (24 bytes).
constexpr std::string_view kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const Timestamp kNow = Timestamp(std::chrono::seconds(1'700'000'000));

std::string SecretOfBytes(std::size_t bytes) {
  return "whsec_" + providers::Base64Encode(std::string(bytes, 'k'));
}

AppRequestOptions Options(Headers static_headers, std::string_view signing_secret) {
  AppRequestOptions options;
  options.static_headers = std::move(static_headers);
  options.signing_secret = signing_secret;
  return options;
}

AppRequestBuilder MakeBuilder(AppRequestOptions options) {
  Result<AppRequestBuilder> builder = AppRequestBuilder::Create(std::move(options));
  EXPECT_TRUE(builder.ok()) << builder.status();
  return std::move(builder).value();
}

// How many headers are called `name` (case-blind), and the value of the last one.
int CountOf(const Headers& headers, std::string_view name, std::string* value = nullptr) {
  int count = 0;
  for (const auto& [field, field_value] : headers) {
    if (providers::EqualsIgnoreCase(field, name)) {
      ++count;
      if (value != nullptr) {
        *value = field_value;
      }
    }
  }
  return count;
}

std::unique_ptr<Provider> Verifier(std::string_view secret) {
  ProviderConfig config;
  config.provider = "standard-webhooks";
  config.secrets = {std::string(secret)};
  Result<std::unique_ptr<Provider>> provider = MakeProvider(config);
  EXPECT_TRUE(provider.ok()) << provider.status();
  return std::move(provider).value();
}

TEST(AppRequestBuilderTest, HeadersComeInTheDocumentedOrder) {
  AppRequestBuilder builder =
      MakeBuilder(Options({{"Authorization", "Bearer app-token"}, {"X-Tenant", "acme"}}, ""));
  Payload payload{R"({"id":"evt_1"})",
                  {{"X-GitHub-Event", "push"},
                   {"content-type", "application/json; charset=utf-8"},
                   {"X-GitHub-Delivery", "d-1"}}};
  Headers expected = {{"Content-Type", "application/json; charset=utf-8"},
                      {"X-GitHub-Event", "push"},
                      {"X-GitHub-Delivery", "d-1"},
                      {"Idempotency-Key", "github:evt_1"},
                      {"Hookfence-Source", "github"},
                      {"Hookfence-Event-Id", "evt_1"},
                      {"Hookfence-Fence", "7"},
                      {"Hookfence-Attempt", "3"},
                      {"Authorization", "Bearer app-token"},
                      {"X-Tenant", "acme"}};
  EXPECT_EQ(builder.Build("github:evt_1", 7, 3, payload, kNow), expected);
}

TEST(AppRequestBuilderTest, ContentTypeDefaultsToJson) {
  AppRequestBuilder builder = MakeBuilder({});
  Headers headers = builder.Build("stripe:evt_1", 1, 1, Payload{"{}", {}}, kNow);
  ASSERT_FALSE(headers.empty());
  EXPECT_EQ(headers.front(),
            (std::pair<std::string, std::string>{"Content-Type", "application/json"}));
  EXPECT_EQ(CountOf(headers, "Content-Type"), 1);
}

TEST(AppRequestBuilderTest, OnlyTheFirstContentTypeIsSent) {
  AppRequestBuilder builder = MakeBuilder({});
  Payload payload{
      "a=1",
      {{"Content-Type", "application/x-www-form-urlencoded"}, {"Content-Type", "text/plain"}}};
  std::string value;
  EXPECT_EQ(CountOf(builder.Build("slack:e1", 1, 1, payload, kNow), "Content-Type", &value), 1);
  EXPECT_EQ(value, "application/x-www-form-urlencoded");
}

TEST(AppRequestBuilderTest, EventIdIsEverythingAfterTheFirstColon) {
  AppRequestBuilder builder = MakeBuilder({});
  Headers headers = builder.Build("hmac:a:b:c", 1, 1, Payload{"{}", {}}, kNow);
  std::string source;
  std::string event_id;
  EXPECT_EQ(CountOf(headers, "Hookfence-Source", &source), 1);
  EXPECT_EQ(CountOf(headers, "Hookfence-Event-Id", &event_id), 1);
  EXPECT_EQ(source, "hmac");
  EXPECT_EQ(event_id, "a:b:c");
}

TEST(AppRequestBuilderTest, WithoutSecretThereIsNoSignature) {
  AppRequestBuilder builder = MakeBuilder({});
  Headers headers = builder.Build("stripe:evt_1", 1, 1, Payload{"{}", {}}, kNow);
  EXPECT_EQ(CountOf(headers, "webhook-id"), 0);
  EXPECT_EQ(CountOf(headers, "webhook-timestamp"), 0);
  EXPECT_EQ(CountOf(headers, "webhook-signature"), 0);
}

TEST(AppRequestBuilderTest, SignatureHeadersComeLastAndVerify) {
  AppRequestBuilder builder = MakeBuilder(Options({{"Authorization", "Bearer t"}}, kSecret));
  Payload payload{R"({"type":"invoice.paid","id":"evt_1"})",
                  {{"Content-Type", "application/json"}}};
  Headers headers = builder.Build("stripe:evt_1", 2, 1, payload, kNow);
  ASSERT_GE(headers.size(), 3u);
  EXPECT_EQ(headers[headers.size() - 3].first, "webhook-id");
  EXPECT_EQ(headers[headers.size() - 3].second, "stripe:evt_1");
  EXPECT_EQ(headers[headers.size() - 2],
            (std::pair<std::string, std::string>{"webhook-timestamp", "1700000000"}));
  EXPECT_EQ(headers.back().first, "webhook-signature");
  EXPECT_TRUE(headers.back().second.starts_with("v1,"));
  EXPECT_EQ(headers[headers.size() - 4].first, "Authorization");

  std::unique_ptr<Provider> verifier = Verifier(kSecret);
  Verdict verdict = verifier->Verify(headers, payload.body, kNow);
  EXPECT_EQ(verdict.kind, Verdict::Kind::kValid) << verdict.message;
}

TEST(AppRequestBuilderTest, SignatureCoversBodyAndSecret) {
  AppRequestBuilder builder = MakeBuilder(Options({}, kSecret));
  Headers headers = builder.Build("stripe:evt_1", 1, 1, Payload{R"({"amount":100})", {}}, kNow);
  EXPECT_EQ(Verifier(kSecret)->Verify(headers, R"({"amount":900})", kNow).kind,
            Verdict::Kind::kBadSignature);
  EXPECT_EQ(Verifier(SecretOfBytes(32))->Verify(headers, R"({"amount":100})", kNow).kind,
            Verdict::Kind::kBadSignature);
}

TEST(AppRequestBuilderTest, WebhookIdAndIdempotencyKeyAreStableAcrossAttempts) {
  AppRequestBuilder builder = MakeBuilder(Options({}, kSecret));
  Payload payload{R"({"id":"evt_1"})", {}};
  Headers first = builder.Build("stripe:evt_1", 1, 1, payload, kNow);
  Headers retry = builder.Build("stripe:evt_1", 4, 2, payload, kNow + std::chrono::minutes(5));
  for (std::string_view name : {"webhook-id", "Idempotency-Key"}) {
    std::string a;
    std::string b;
    EXPECT_EQ(CountOf(first, name, &a), 1) << name;
    EXPECT_EQ(CountOf(retry, name, &b), 1) << name;
    EXPECT_EQ(a, "stripe:evt_1") << name;
    EXPECT_EQ(b, a) << name;
  }
  std::string fence;
  std::string attempt;
  CountOf(retry, "Hookfence-Fence", &fence);
  CountOf(retry, "Hookfence-Attempt", &attempt);
  EXPECT_EQ(fence, "4");
  EXPECT_EQ(attempt, "2");
  EXPECT_EQ(Verifier(kSecret)->Verify(retry, payload.body, kNow + std::chrono::minutes(5)).kind,
            Verdict::Kind::kValid);
}

TEST(AppRequestBuilderTest, GatewayHeadersWinOverForwardedOnes) {
  AppRequestBuilder builder = MakeBuilder(Options({{"X-Tenant", "acme"}}, kSecret));
  // A Standard Webhooks provider's own id and timestamp, and headers a library user could have
  // stored in a payload.
  Payload payload{R"({"id":"msg_1"})",
                  {{"webhook-id", "msg_1"},
                   {"Webhook-Timestamp", "1600000000"},
                   {"idempotency-key", "forged"},
                   {"hookfence-fence", "999"},
                   {"Hookfence-Replayed", "true"},
                   {"Content-Length", "5"},
                   {"Host", "elsewhere"},
                   {"Transfer-Encoding", "chunked"},
                   {"x-tenant", "other"},
                   {"X-Kept", "yes"}}};
  Headers headers = builder.Build("sw:msg_1", 3, 1, payload, kNow);
  for (std::string_view name :
       {"webhook-id", "webhook-timestamp", "Idempotency-Key", "Hookfence-Fence", "X-Tenant"}) {
    EXPECT_EQ(CountOf(headers, name), 1) << name;
  }
  for (std::string_view name :
       {"Hookfence-Replayed", "Content-Length", "Host", "Transfer-Encoding"}) {
    EXPECT_EQ(CountOf(headers, name), 0) << name;
  }
  std::string value;
  CountOf(headers, "webhook-id", &value);
  EXPECT_EQ(value, "sw:msg_1");
  CountOf(headers, "webhook-timestamp", &value);
  EXPECT_EQ(value, "1700000000");
  CountOf(headers, "Idempotency-Key", &value);
  EXPECT_EQ(value, "sw:msg_1");
  CountOf(headers, "Hookfence-Fence", &value);
  EXPECT_EQ(value, "3");
  CountOf(headers, "X-Tenant", &value);
  EXPECT_EQ(value, "acme");
  EXPECT_EQ(CountOf(headers, "X-Kept"), 1);
  EXPECT_EQ(Verifier(kSecret)->Verify(headers, payload.body, kNow).kind, Verdict::Kind::kValid);
}

TEST(AppRequestBuilderTest, WithoutSecretAProvidersWebhookHeadersPassThrough) {
  AppRequestBuilder builder = MakeBuilder({});
  Payload payload{"{}", {{"webhook-id", "msg_1"}}};
  std::string value;
  EXPECT_EQ(CountOf(builder.Build("sw:msg_1", 1, 1, payload, kNow), "webhook-id", &value), 1);
  EXPECT_EQ(value, "msg_1");
}

TEST(AppRequestBuilderTest, CopiesShareTheSigner) {
  AppRequestBuilder builder = MakeBuilder(Options({}, kSecret));
  AppRequestBuilder copy = builder;
  Payload payload{"{}", {}};
  EXPECT_EQ(copy.Build("s:e", 1, 1, payload, kNow), builder.Build("s:e", 1, 1, payload, kNow));
}

TEST(AppRequestOptionsTest, EmptyAndValidSecretsPass) {
  EXPECT_TRUE(ValidateAppRequestOptions({}).ok());
  EXPECT_TRUE(ValidateAppRequestOptions(Options({}, kSecret)).ok());
  EXPECT_TRUE(ValidateAppRequestOptions(Options({}, SecretOfBytes(24))).ok());
  EXPECT_TRUE(ValidateAppRequestOptions(Options({}, SecretOfBytes(64))).ok());
}

TEST(AppRequestOptionsTest, BadSecretsAreRefusedWithoutEchoingThem) {
  std::string no_prefix(kSecret.substr(6));
  for (const std::string& secret :
       {SecretOfBytes(23), SecretOfBytes(65), no_prefix, std::string("whsec_"),
        std::string("whsec_not base64!!"), std::string("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS"),
        std::string(kSecret) + "\n"}) {
    Status status = ValidateAppRequestOptions(Options({}, secret));
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << secret;
    std::string_view key = secret;
    if (key.starts_with("whsec_")) {
      key.remove_prefix(6);
    }
    if (!key.empty()) {
      EXPECT_EQ(status.message().find(key), std::string::npos) << status.message();
    }
    EXPECT_FALSE(AppRequestBuilder::Create(Options({}, secret)).ok()) << secret;
  }
}

TEST(AppRequestOptionsTest, StaticHeadersMustBeSafeTokens) {
  const Headers refused[] = {
      {{"", "x"}},
      {{"X Space", "x"}},
      {{"X-Colon:", "x"}},
      {{"X-Newline\n", "x"}},
      {{"X-\xc3\xa9", "x"}},
      {{"X-Value", "a\r\nX-Injected: 1"}},
      {{"X-Value", "a\nb"}},
      {{"X-Value", std::string("a\0b", 3)}},
      {{"X-Twice", "a"}, {"x-twice", "b"}},
  };
  for (const Headers& headers : refused) {
    EXPECT_EQ(ValidateAppRequestOptions(Options(headers, "")).code(), StatusCode::kInvalidArgument)
        << headers.front().first;
  }
  EXPECT_TRUE(ValidateAppRequestOptions(
                  Options({{"Authorization", "Bearer a.b-c"}, {"X-Api-Key!#$%&'*+.^_`|~", ""}}, ""))
                  .ok());
}

TEST(AppRequestOptionsTest, StaticHeadersCannotSetTheGatewaysHeaders) {
  for (std::string_view name :
       {"Idempotency-Key", "idempotency-key", "Hookfence-Source", "Hookfence-Event-Id",
        "Hookfence-Fence", "HOOKFENCE-ATTEMPT", "Hookfence-Anything", "webhook-id",
        "Webhook-Timestamp", "webhook-signature", "Content-Length", "Host", "Transfer-Encoding",
        "content-type"}) {
    Status status = ValidateAppRequestOptions(Options({{std::string(name), "v"}}, ""));
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << name;
    EXPECT_NE(status.message().find("sets this header itself"), std::string::npos) << name;
  }
  // Names that only look alike are the app's own.
  EXPECT_TRUE(
      ValidateAppRequestOptions(Options({{"X-Hookfence-Source", "v"}, {"webhook-idx", "v"}}, ""))
          .ok());
}

}  // namespace
}  // namespace hookfence::delivery

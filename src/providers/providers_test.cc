// The provider conformance test: every vector in tests/data/provider_vectors.json (produced by the
// providers' official SDKs, see shared/providers/README.md) must get its strict verdict and, when
// valid, its event id. Then the behaviours the vectors do not pin down.
#include "hookfence/providers.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "src/providers/encoding.h"

#ifndef HOOKFENCE_PROVIDER_VECTORS
#error "HOOKFENCE_PROVIDER_VECTORS must name tests/data/provider_vectors.json"
#endif

namespace hookfence {
namespace {

using std::chrono::seconds;
using VerdictKind = Verdict::Kind;
using IdKind = EventIdResult::Kind;

constexpr std::size_t kVectorCount = 124;
const Timestamp kNow = Timestamp(seconds(1735689600));

Timestamp At(std::int64_t unix_seconds) { return Timestamp(seconds(unix_seconds)); }

std::unique_ptr<Provider> Make(const ProviderConfig& config) {
  Result<std::unique_ptr<Provider>> provider = MakeProvider(config);
  EXPECT_TRUE(provider.ok()) << provider.status();
  return provider.ok() ? std::move(provider).value() : nullptr;
}

ProviderConfig Config(std::string provider, std::vector<std::string> secrets) {
  ProviderConfig config;
  config.provider = std::move(provider);
  config.secrets = std::move(secrets);
  return config;
}

// ---------------------------------------------------------------------------------------------
// The vectors.

struct Vector {
  std::string label;  // provider/name
  ProviderConfig config;
  Headers headers;
  std::string body;
  Timestamp now;
  bool want_valid = false;
  bool stale = false;  // an invalid vector whose only fault is its timestamp
  std::optional<std::string> event_id;
};

std::string ProviderNameOf(std::string_view vector_provider) {
  if (vector_provider == "standard_webhooks") {
    return "standard-webhooks";
  }
  if (vector_provider == "generic_hmac_sha256") {
    return "hmac";
  }
  return std::string(vector_provider);
}

std::string Str(simdjson::dom::element element) { return std::string(std::string_view(element)); }

std::vector<Vector> LoadVectors(std::map<std::string, std::size_t>* declared_counts) {
  simdjson::dom::parser parser;
  simdjson::dom::element document = parser.load(HOOKFENCE_PROVIDER_VECTORS);
  for (auto [provider, count] : simdjson::dom::object(document["counts"])) {
    (*declared_counts)[ProviderNameOf(provider)] = std::size_t(std::uint64_t(count));
  }
  std::vector<Vector> vectors;
  for (simdjson::dom::object v : document["vectors"]) {
    Vector vector;
    vector.label = Str(v["provider"]) + "/" + Str(v["name"]);
    vector.config.provider = ProviderNameOf(Str(v["provider"]));
    vector.config.secrets.push_back(Str(v["secret"]));
    if (simdjson::dom::array more; !v["additional_secrets"].get(more)) {
      for (simdjson::dom::element secret : more) {
        vector.config.secrets.push_back(Str(secret));
      }
    }
    if (std::int64_t tolerance; !v["tolerance_s"].get(tolerance)) {
      vector.config.tolerance = seconds(tolerance);
    }
    if (simdjson::dom::object params; !v["params"].get(params)) {
      if (std::string_view s; !params["notification_url"].get(s)) {
        vector.config.notification_url = s;
      }
      if (std::string_view s; !params["header"].get(s)) {
        vector.config.signature_header = s;
      }
      if (std::string_view s; !params["encoding"].get(s)) {
        vector.config.encoding = s;
      }
      if (std::string_view s; !params["prefix"].get(s)) {
        vector.config.prefix = s;
      }
      if (std::string_view s; !params["id_header"].get(s)) {
        vector.config.id_header = s;
      }
    }
    for (auto [name, value] : simdjson::dom::object(v["headers"])) {
      vector.headers.emplace_back(std::string(name), Str(value));
    }
    std::optional<std::string> body = providers::Base64Decode(Str(v["body_base64"]));
    EXPECT_TRUE(body) << vector.label << ": body_base64 does not decode";
    vector.body = body.value_or("");
    vector.now = At(std::int64_t(v["now"]));
    std::string_view verdict;
    if (v["strict_expect"].get(verdict)) {
      verdict = std::string_view(v["expect"]);
    }
    vector.want_valid = verdict == "valid";
    std::string name = Str(v["name"]);
    vector.stale = !vector.want_valid && (name.find("stale") != std::string::npos ||
                                          name.find("future") != std::string::npos);
    if (std::string_view id; !v["event_id"].get(id)) {
      vector.event_id = std::string(id);
    }
    vectors.push_back(std::move(vector));
  }
  return vectors;
}

TEST(ProviderVectorsTest, EveryVectorGetsItsStrictVerdictAndEventId) {
  std::map<std::string, std::size_t> declared_counts;
  std::vector<Vector> vectors = LoadVectors(&declared_counts);
  std::map<std::string, std::size_t> checked_counts;
  std::size_t checked = 0;
  for (const Vector& vector : vectors) {
    SCOPED_TRACE(vector.label);
    Result<std::unique_ptr<Provider>> provider = MakeProvider(vector.config);
    ASSERT_TRUE(provider.ok()) << provider.status();
    Verdict verdict = (*provider)->Verify(vector.headers, vector.body, vector.now);
    if (vector.want_valid) {
      EXPECT_EQ(verdict.kind, VerdictKind::kValid) << verdict.message;
      EventIdResult id = (*provider)->EventId(vector.headers, vector.body);
      if (vector.event_id) {
        EXPECT_EQ(id.kind, IdKind::kOk) << id.message;
        EXPECT_EQ(id.id, *vector.event_id);
      } else {
        EXPECT_EQ(id.kind, IdKind::kMissing) << id.message;
      }
    } else {
      // Signature problems and timestamp problems get different answers (bad_signature vs
      // stale_timestamp), so the kind is checked too, not just "not valid".
      EXPECT_EQ(verdict.kind,
                vector.stale ? VerdictKind::kStaleTimestamp : VerdictKind::kBadSignature)
          << verdict.message;
    }
    EXPECT_FALSE(verdict.message.find(vector.config.secrets.front()) != std::string::npos);
    ++checked_counts[vector.config.provider];
    ++checked;
  }
  std::cout << "checked " << checked << " provider vectors\n";
  EXPECT_EQ(checked, kVectorCount);
  EXPECT_EQ(checked_counts, declared_counts);
  EXPECT_EQ(checked_counts.size(), ProviderNames().size());
}

// ---------------------------------------------------------------------------------------------
// Configuration.

TEST(MakeProviderTest, KnowsTenProviders) {
  EXPECT_EQ(ProviderNames(), (std::vector<std::string_view>{"stripe", "standard-webhooks", "svix",
                                                            "github", "razorpay", "shopify",
                                                            "slack", "paddle", "square", "hmac"}));
}

TEST(MakeProviderTest, RefusesUnknownProvider) {
  Result<std::unique_ptr<Provider>> provider = MakeProvider(Config("stripe2", {"s"}));
  ASSERT_FALSE(provider.ok());
  EXPECT_EQ(provider.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(provider.status().message().find("stripe2"), std::string::npos);
}

TEST(MakeProviderTest, RefusesMissingAndEmptySecrets) {
  for (std::string_view name : ProviderNames()) {
    ProviderConfig config = Config(std::string(name), {});
    config.notification_url = "https://example.com/webhooks/square";
    EXPECT_EQ(MakeProvider(config).status().code(), StatusCode::kInvalidArgument) << name;
    config.secrets = {"whsec_dGVzdA==", ""};
    Result<std::unique_ptr<Provider>> provider = MakeProvider(config);
    ASSERT_FALSE(provider.ok()) << name;
    EXPECT_EQ(provider.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(provider.status().message().find("secrets[1] is empty"), std::string::npos)
        << provider.status();
  }
}

TEST(MakeProviderTest, RefusesSecretsThatAreNotWhsecBase64) {
  for (std::string provider : {"standard-webhooks", "svix"}) {
    for (std::string secret : {"whsec_not base64!", "whsec_", "whsec_dGVzdA", "whsec_dGVzdA==\n",
                               "whsec_-_8=", "not-base64-at-all!"}) {
      Result<std::unique_ptr<Provider>> made = MakeProvider(Config(provider, {secret}));
      ASSERT_FALSE(made.ok()) << provider << " " << secret;
      EXPECT_EQ(made.status().code(), StatusCode::kInvalidArgument);
      // The error names the secret's position, never the secret.
      if (secret != "whsec_") {
        EXPECT_EQ(made.status().message().find(secret), std::string::npos) << made.status();
      }
    }
    EXPECT_TRUE(MakeProvider(Config(provider, {"whsec_dGVzdA=="})).ok());
    EXPECT_TRUE(MakeProvider(Config(provider, {"dGVzdA=="})).ok());  // prefix optional
  }
}

TEST(MakeProviderTest, SquareNeedsNotificationUrl) {
  EXPECT_EQ(MakeProvider(Config("square", {"k"})).status().code(), StatusCode::kInvalidArgument);
}

TEST(MakeProviderTest, HmacChecksItsSettings) {
  ProviderConfig config = Config("hmac", {"k"});
  EXPECT_TRUE(MakeProvider(config).ok());
  config.encoding = "base32";
  EXPECT_EQ(MakeProvider(config).status().code(), StatusCode::kInvalidArgument);
  config.encoding = "base64";
  config.signature_header = "";
  EXPECT_EQ(MakeProvider(config).status().code(), StatusCode::kInvalidArgument);
  config.signature_header = "X-Sig";
  config.id_header = "";
  EXPECT_EQ(MakeProvider(config).status().code(), StatusCode::kInvalidArgument);
}

TEST(MakeProviderTest, RefusesNegativeTolerance) {
  ProviderConfig config = Config("stripe", {"k"});
  config.tolerance = -seconds(1);
  EXPECT_EQ(MakeProvider(config).status().code(), StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------------------------
// Constant-time comparison.

TEST(ConstantTimeEqualsTest, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_TRUE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0b", 3)));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "xbc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", ""));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
}

// ---------------------------------------------------------------------------------------------
// Signing round trips, rotation, timestamps.

// A provider, a body carrying `kEventId` where that provider looks for it, and its config.
struct RoundTripCase {
  ProviderConfig config;
  std::string body;
};

constexpr std::string_view kEventId = "evt_round_trip_1";

std::vector<RoundTripCase> RoundTripCases(std::vector<std::string> plain_secrets,
                                          std::vector<std::string> whsec_secrets) {
  std::vector<RoundTripCase> cases;
  const std::string plain_body = R"({"object":"event","data":{"id":"nested"}})";
  for (std::string_view name : ProviderNames()) {
    bool whsec = name == "standard-webhooks" || name == "svix";
    RoundTripCase c{Config(std::string(name), whsec ? whsec_secrets : plain_secrets), plain_body};
    if (name == "stripe") {
      c.body = R"({"id":"evt_round_trip_1","object":"event"})";
    } else if (name == "slack") {
      c.body = R"({"type":"event_callback","event_id":"evt_round_trip_1"})";
    } else if (name == "paddle" || name == "square") {
      c.body = R"({"event_id":"evt_round_trip_1","type":"x"})";
    }
    c.config.notification_url = "https://example.com/webhooks/square";
    cases.push_back(c);
  }
  // The generic scheme in its other shapes.
  RoundTripCase base64{Config("hmac", plain_secrets), plain_body};
  base64.config.encoding = "base64";
  base64.config.signature_header = "X-Hub-Sig";
  base64.config.id_header = "X-Delivery";
  cases.push_back(base64);
  RoundTripCase prefixed{Config("hmac", plain_secrets), ""};
  prefixed.config.prefix = "sha256=";
  cases.push_back(prefixed);
  return cases;
}

TEST(SignTest, RoundTripsThroughVerifyAndEventIdForEveryProvider) {
  std::set<std::string> covered;
  for (const RoundTripCase& c : RoundTripCases({"plain-secret"}, {"whsec_dGVzdC1rZXktYnl0ZXM="})) {
    SCOPED_TRACE(c.config.provider);
    std::unique_ptr<Provider> provider = Make(c.config);
    ASSERT_NE(provider, nullptr);
    Headers headers = provider->Sign(c.body, kNow, kEventId);
    bool has_content_type = false;
    for (const auto& [name, value] : headers) {
      has_content_type =
          has_content_type || (name == "Content-Type" && value.starts_with("application/json"));
    }
    EXPECT_TRUE(has_content_type);
    Verdict verdict = provider->Verify(headers, c.body, kNow);
    EXPECT_EQ(verdict.kind, VerdictKind::kValid) << verdict.message;
    EventIdResult id = provider->EventId(headers, c.body);
    EXPECT_EQ(id.kind, IdKind::kOk) << id.message;
    EXPECT_EQ(id.id, kEventId);
    EXPECT_FALSE(provider->Handshake(headers, c.body));
    // One changed byte breaks it.
    std::string tampered = c.body + " ";
    EXPECT_EQ(provider->Verify(headers, tampered, kNow).kind, VerdictKind::kBadSignature);
    covered.insert(c.config.provider);
  }
  EXPECT_EQ(covered.size(), 10u);
}

TEST(SignTest, SignsWithTheFirstSecret) {
  for (const RoundTripCase& c :
       RoundTripCases({"new-secret", "old-secret"}, {"whsec_bmV3LWtleQ==", "whsec_b2xkLWtleQ=="})) {
    SCOPED_TRACE(c.config.provider);
    std::unique_ptr<Provider> rotated = Make(c.config);
    ProviderConfig only_new = c.config;
    only_new.secrets.resize(1);
    std::unique_ptr<Provider> fresh = Make(only_new);
    ASSERT_TRUE(rotated && fresh);
    Headers headers = rotated->Sign(c.body, kNow, kEventId);
    EXPECT_EQ(fresh->Verify(headers, c.body, kNow).kind, VerdictKind::kValid);
  }
}

TEST(RotationTest, EveryProviderAcceptsASignatureMadeWithTheSecondSecret) {
  for (const RoundTripCase& c :
       RoundTripCases({"new-secret", "old-secret"}, {"whsec_bmV3LWtleQ==", "whsec_b2xkLWtleQ=="})) {
    SCOPED_TRACE(c.config.provider);
    std::unique_ptr<Provider> rotated = Make(c.config);
    ProviderConfig only_old = c.config;
    only_old.secrets.erase(only_old.secrets.begin());
    std::unique_ptr<Provider> old_sender = Make(only_old);
    ProviderConfig unrelated = c.config;
    unrelated.secrets = {c.config.provider == "standard-webhooks" || c.config.provider == "svix"
                             ? "whsec_b3RoZXI="
                             : "other"};
    std::unique_ptr<Provider> stranger = Make(unrelated);
    ASSERT_TRUE(rotated && old_sender && stranger);
    Headers headers = old_sender->Sign(c.body, kNow, kEventId);
    EXPECT_EQ(rotated->Verify(headers, c.body, kNow).kind, VerdictKind::kValid);
    EXPECT_EQ(stranger->Verify(headers, c.body, kNow).kind, VerdictKind::kBadSignature);
  }
}

TEST(TimestampTest, WindowIsSymmetricForEveryTimestampedProvider) {
  for (const RoundTripCase& c : RoundTripCases({"secret"}, {"whsec_c2VjcmV0"})) {
    const std::string& name = c.config.provider;
    if (name != "stripe" && name != "standard-webhooks" && name != "svix" && name != "slack" &&
        name != "paddle") {
      continue;
    }
    SCOPED_TRACE(name);
    std::unique_ptr<Provider> provider = Make(c.config);
    ASSERT_NE(provider, nullptr);
    const seconds tolerance = name == "paddle" ? seconds(5) : seconds(300);
    for (seconds offset : {seconds(0), tolerance, -tolerance}) {
      Headers headers = provider->Sign(c.body, kNow + offset, kEventId);
      EXPECT_EQ(provider->Verify(headers, c.body, kNow).kind, VerdictKind::kValid)
          << offset.count();
    }
    for (seconds offset : {tolerance + seconds(1), -tolerance - seconds(1), seconds(86400)}) {
      Headers headers = provider->Sign(c.body, kNow + offset, kEventId);
      Verdict verdict = provider->Verify(headers, c.body, kNow);
      EXPECT_EQ(verdict.kind, VerdictKind::kStaleTimestamp) << offset.count();
      EXPECT_NE(verdict.message.find(offset.count() > 0 ? "in the future" : "old"),
                std::string::npos)
          << verdict.message;
    }
  }
}

TEST(TimestampTest, ConfiguredToleranceReplacesTheDefault) {
  ProviderConfig config = Config("paddle", {"secret"});
  const std::string body = R"({"event_id":"evt_1"})";
  std::unique_ptr<Provider> strict = Make(config);
  config.tolerance = std::chrono::minutes(5);
  std::unique_ptr<Provider> relaxed = Make(config);
  ASSERT_TRUE(strict && relaxed);
  Headers headers = strict->Sign(body, kNow - seconds(60), "");
  EXPECT_EQ(strict->Verify(headers, body, kNow).kind, VerdictKind::kStaleTimestamp);
  EXPECT_EQ(relaxed->Verify(headers, body, kNow).kind, VerdictKind::kValid);
}

TEST(TimestampTest, ABadSignatureIsReportedBeforeAStaleTimestamp) {
  // Whoever did not sign the request learns nothing about the window from the answer.
  std::unique_ptr<Provider> ours = Make(Config("stripe", {"ours"}));
  std::unique_ptr<Provider> theirs = Make(Config("stripe", {"theirs"}));
  ASSERT_TRUE(ours && theirs);
  const std::string body = R"({"id":"evt_1"})";
  Headers headers = theirs->Sign(body, kNow - seconds(3600), "");
  EXPECT_EQ(ours->Verify(headers, body, kNow).kind, VerdictKind::kBadSignature);
}

TEST(TimestampTest, MissingOrUnparseableTimestampIsABadSignature) {
  std::unique_ptr<Provider> slack = Make(Config("slack", {"secret"}));
  ASSERT_NE(slack, nullptr);
  const std::string body = R"({"event_id":"Ev1"})";
  Headers headers = slack->Sign(body, kNow, "");
  Headers no_timestamp;
  for (const auto& header : headers) {
    if (header.first != "X-Slack-Request-Timestamp") {
      no_timestamp.push_back(header);
    }
  }
  EXPECT_EQ(slack->Verify(no_timestamp, body, kNow).kind, VerdictKind::kBadSignature);
  Headers negative = no_timestamp;
  negative.emplace_back("X-Slack-Request-Timestamp", "-1735689600");
  EXPECT_EQ(slack->Verify(negative, body, kNow).kind, VerdictKind::kBadSignature);
}

// ---------------------------------------------------------------------------------------------
// Header handling.

TEST(HeadersTest, NamesAreCaseInsensitive) {
  std::unique_ptr<Provider> github = Make(Config("github", {"secret"}));
  ASSERT_NE(github, nullptr);
  const std::string body = "{}";
  Headers upper;
  for (auto [name, value] : github->Sign(body, kNow, "d-1")) {
    for (char& c : name) {
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    upper.emplace_back(name, value);
  }
  EXPECT_EQ(github->Verify(upper, body, kNow).kind, VerdictKind::kValid);
  EXPECT_EQ(github->EventId(upper, body).id, "d-1");
}

TEST(HeadersTest, ARepeatedSignatureHeaderIsRefused) {
  std::unique_ptr<Provider> github = Make(Config("github", {"secret"}));
  ASSERT_NE(github, nullptr);
  const std::string body = "{}";
  Headers headers = github->Sign(body, kNow, "d-1");
  headers.emplace_back("x-hub-signature-256", "sha256=00");
  EXPECT_EQ(github->Verify(headers, body, kNow).kind, VerdictKind::kBadSignature);
}

TEST(HeadersTest, HeaderIdsAreValidated) {
  std::unique_ptr<Provider> github = Make(Config("github", {"secret"}));
  ASSERT_NE(github, nullptr);
  EXPECT_EQ(github->EventId({}, "{}").kind, IdKind::kMissing);
  EXPECT_EQ(github->EventId({{"X-GitHub-Delivery", "a\r\nb"}}, "{}").kind, IdKind::kInvalid);
  EXPECT_EQ(github->EventId({{"X-GitHub-Delivery", std::string(10 * 1024, 'a')}}, "{}").kind,
            IdKind::kInvalid);
}

// ---------------------------------------------------------------------------------------------
// Body ids through a provider.

TEST(BodyIdTest, StripeRefusesAmbiguousOrMalformedBodies) {
  std::unique_ptr<Provider> stripe = Make(Config("stripe", {"secret"}));
  ASSERT_NE(stripe, nullptr);
  EXPECT_EQ(stripe->EventId({}, R"({"id":"evt_1","id":"evt_2"})").kind, IdKind::kMalformedBody);
  EXPECT_EQ(stripe->EventId({}, "not json").kind, IdKind::kMalformedBody);
  EXPECT_EQ(stripe->EventId({}, "").kind, IdKind::kMalformedBody);
  EXPECT_EQ(stripe->EventId({}, R"({"object":"event"})").kind, IdKind::kMissing);
  EXPECT_EQ(stripe->EventId({}, R"({"id":"evt_1\r\n"})").kind, IdKind::kInvalid);
  EXPECT_EQ(stripe->EventId({}, R"({"id":")" + std::string(10 * 1024, 'x') + R"("})").kind,
            IdKind::kInvalid);
}

TEST(BodyIdTest, SlackFormPostsHaveNoEventId) {
  std::unique_ptr<Provider> slack = Make(Config("slack", {"secret"}));
  ASSERT_NE(slack, nullptr);
  Headers form = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  EventIdResult id = slack->EventId(form, "token=x&command=%2Fdo&event_id=Ev1");
  EXPECT_EQ(id.kind, IdKind::kMissing);
  EXPECT_EQ(slack->EventId({{"Content-Type", "application/json"}}, R"({"event_id":"Ev1"})").id,
            "Ev1");
}

// ---------------------------------------------------------------------------------------------
// Slack's url_verification handshake.

TEST(SlackHandshakeTest, AnswersTheChallengeJsonEscaped) {
  std::unique_ptr<Provider> slack = Make(Config("slack", {"secret"}));
  ASSERT_NE(slack, nullptr);
  const std::string body =
      R"({"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aB\"\\<\u0001x","type":"url_verification"})";
  // Slack signs the handshake like any other request; the server verifies before answering.
  Headers headers = slack->Sign(body, kNow, "");
  EXPECT_EQ(slack->Verify(headers, body, kNow).kind, VerdictKind::kValid);
  std::optional<std::string> answer = slack->Handshake(headers, body);
  ASSERT_TRUE(answer);
  EXPECT_EQ(*answer, R"({"challenge":"3eZbrw1aB\"\\<\u0001x"})");
  // The handshake has no event id; it must not be stored.
  EXPECT_EQ(slack->EventId(headers, body).kind, IdKind::kMissing);
}

TEST(SlackHandshakeTest, OrdinaryAndAmbiguousBodiesAreNoHandshake) {
  std::unique_ptr<Provider> slack = Make(Config("slack", {"secret"}));
  ASSERT_NE(slack, nullptr);
  for (std::string body :
       {R"({"type":"event_callback","event_id":"Ev1","challenge":"c"})",
        R"({"type":"url_verification"})", R"({"type":"url_verification","challenge":7})",
        R"({"type":"url_verification","challenge":"a","challenge":"b"})",
        R"({"type":"url_verification","type":"event_callback","challenge":"a"})",
        "type=url_verification&challenge=a", ""}) {
    EXPECT_FALSE(slack->Handshake({}, body)) << body;
  }
}

TEST(ProviderTest, OtherProvidersHaveNoHandshake) {
  const std::string body = R"({"type":"url_verification","challenge":"c"})";
  for (const RoundTripCase& c : RoundTripCases({"s"}, {"whsec_c2VjcmV0"})) {
    if (c.config.provider == "slack") {
      continue;
    }
    std::unique_ptr<Provider> provider = Make(c.config);
    ASSERT_NE(provider, nullptr);
    EXPECT_FALSE(provider->Handshake({}, body)) << c.config.provider;
  }
}

// ---------------------------------------------------------------------------------------------
// Concurrency: a Provider is shared by every connection of a source.

TEST(ConcurrencyTest, OneProviderVerifiesFromManyThreads) {
  for (const RoundTripCase& c : RoundTripCases({"a", "b"}, {"whsec_YQ==", "whsec_Yg=="})) {
    SCOPED_TRACE(c.config.provider);
    std::unique_ptr<Provider> provider = Make(c.config);
    ASSERT_NE(provider, nullptr);
    Headers good = provider->Sign(c.body, kNow, kEventId);
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 200; ++i) {
          if (provider->Verify(good, c.body, kNow).kind != VerdictKind::kValid ||
              provider->EventId(good, c.body).id != kEventId) {
            ++failures;
          }
        }
      });
    }
    for (std::thread& thread : threads) {
      thread.join();
    }
    EXPECT_EQ(failures.load(), 0);
  }
}

}  // namespace
}  // namespace hookfence

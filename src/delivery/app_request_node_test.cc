// The gateway's outgoing signature checked by the official Standard Webhooks package
// (`standardwebhooks` on npm, run by tests/node/verify_standard_webhooks.mjs). scripts/test.sh
// installs Node.js and the package; when either is missing this test fails, saying how to fix it.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "src/delivery/app_request.h"
#include "testing/scratch_dir.h"
#include "testing/standard_webhooks_node.h"

namespace hookfence::delivery {
namespace {

constexpr std::string_view kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const std::string kNodeDir = HOOKFENCE_NODE_DIR;

using testing::NodeRun;
using testing::SignedRequest;
using testing::VerifyWithStandardWebhooksPackage;

// Several deliveries as the dispatcher would build them, signed now: the package checks the
// timestamp against its own clock (5 minutes either way).
std::vector<SignedRequest> GatewayRequests(const AppRequestBuilder& builder) {
  const Timestamp now = Clock::Real()->Now();
  std::string big = R"({"type":"export.ready","rows":[)";
  for (int i = 0; i < 30000; ++i) {
    big += (i == 0 ? "" : ",") + std::string(R"({"n":)") + std::to_string(i) +
           R"(,"label":"row \"quoted\" \\ é"})";
  }
  big += "]}";
  struct Delivery {
    std::string key;
    std::uint64_t fence;
    std::uint32_t attempt;
    Payload payload;
  };
  const std::vector<Delivery> deliveries = {
      {"stripe:evt_1", 1, 1, {R"({"id":"evt_1","type":"invoice.paid","amount":100})", {}}},
      // The retry of the same event: same webhook-id, higher fence.
      {"stripe:evt_1", 3, 2, {R"({"id":"evt_1","type":"invoice.paid","amount":100})", {}}},
      {"github:d-7.x~!",
       1,
       1,
       {"{\"name\":\"Zoë — 東京 🎉\",\"escaped\":\"\\u00e9\\n\",\"tab\":\"\\t\"}",
        {{"Content-Type", "application/json; charset=utf-8"}, {"X-GitHub-Event", "push"}}}},
      // A Standard Webhooks provider's own webhook-id gives way to the gateway's.
      {"sw:msg_2", 2, 5, {R"({"id":"msg_2"})", {{"webhook-id", "msg_2"}}}},
      {"export:big", 1, 1, {big, {}}},
      {"empty:e", 1, 1, {"{}", {}}},
  };
  std::vector<SignedRequest> requests;
  for (const Delivery& d : deliveries) {
    requests.push_back({builder.Build(d.key, d.fence, d.attempt, d.payload, now), d.payload.body});
  }
  return requests;
}

AppRequestBuilder SigningBuilder() {
  Result<AppRequestBuilder> builder = AppRequestBuilder::Create(
      AppRequestOptions{{{"Authorization", "Bearer app"}}, std::string(kSecret)});
  EXPECT_TRUE(builder.ok()) << builder.status();
  return std::move(builder).value();
}

TEST(AppRequestNode, OfficialStandardWebhooksPackageVerifiesTheGatewaysSignature) {
  testing::ScratchDir dir;
  std::vector<SignedRequest> requests = GatewayRequests(SigningBuilder());
  ASSERT_GT(requests[4].body.size(), 1'000'000u);
  NodeRun run = VerifyWithStandardWebhooksPackage(kNodeDir, kSecret, requests, dir);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("6 of 6 verified"), std::string::npos) << run.output;
}

TEST(AppRequestNode, OfficialPackageRefusesATamperedBody) {
  testing::ScratchDir dir;
  std::vector<SignedRequest> requests = GatewayRequests(SigningBuilder());
  requests[2].body.replace(requests[2].body.find("東京"), 6, "大阪");
  NodeRun run = VerifyWithStandardWebhooksPackage(kNodeDir, kSecret, requests, dir);
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("requests[2]"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find("requests[1]"), std::string::npos) << run.output;
}

TEST(AppRequestNode, OfficialPackageRefusesAnotherSecret) {
  testing::ScratchDir dir;
  std::vector<SignedRequest> requests = GatewayRequests(SigningBuilder());
  requests.resize(1);
  NodeRun run =
      VerifyWithStandardWebhooksPackage(kNodeDir, "whsec_" + std::string(32, 'A'), requests, dir);
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("requests[0]"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace hookfence::delivery

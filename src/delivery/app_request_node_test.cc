// The gateway's outgoing signature checked by the official Standard Webhooks package
// (`standardwebhooks` on npm, run by tests/node/verify_standard_webhooks.mjs). scripts/test.sh
// installs Node.js and the package; when either is missing this test fails, saying how to fix it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "src/core/json_quote.h"
#include "src/delivery/app_request.h"
#include "testing/scratch_dir.h"

extern char** environ;

namespace hookfence::delivery {
namespace {

constexpr std::string_view kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const std::string kNodeDir = HOOKFENCE_NODE_DIR;

struct SignedRequest {
  Headers headers;
  std::string body;
};

// {"secret": ..., "requests": [{"headers": {...}, "body": ...}, ...]}
std::string RequestsJson(std::string_view secret, const std::vector<SignedRequest>& requests) {
  using internal::JsonQuote;
  std::string json = "{\"secret\":" + JsonQuote(secret) + ",\"requests\":[";
  for (std::size_t i = 0; i < requests.size(); ++i) {
    json += i == 0 ? "{\"headers\":{" : ",{\"headers\":{";
    const Headers& headers = requests[i].headers;
    for (std::size_t h = 0; h < headers.size(); ++h) {
      json +=
          (h == 0 ? "" : ",") + JsonQuote(headers[h].first) + ":" + JsonQuote(headers[h].second);
    }
    json += "},\"body\":" + JsonQuote(requests[i].body) + "}";
  }
  return json + "]}";
}

struct NodeRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs the verifier script on `requests`, in `dir`. Fails the test when Node.js or the package is
// missing: scripts/test.sh guarantees both, so their absence is a broken setup, not a skip.
NodeRun VerifyWithOfficialPackage(const testing::ScratchDir& dir, std::string_view secret,
                                  const std::vector<SignedRequest>& requests) {
  NodeRun run;
  if (!std::filesystem::exists(kNodeDir + "/node_modules/standardwebhooks/package.json")) {
    ADD_FAILURE() << kNodeDir << "/node_modules has no standardwebhooks package: run "
                  << "`npm ci --prefix tests/node` (scripts/test.sh does)";
    return run;
  }
  const std::string input = dir.File("requests.json");
  const std::string output = dir.File("node-output.txt");
  std::ofstream(input, std::ios::binary) << RequestsJson(secret, requests);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::string node = "node";
  std::string script = kNodeDir + "/verify_standard_webhooks.mjs";
  std::vector<char*> argv = {node.data(), script.data(), const_cast<char*>(input.c_str()), nullptr};
  pid_t pid = 0;
  int spawned = posix_spawnp(&pid, "node", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    ADD_FAILURE() << "cannot run node (" << std::strerror(spawned)
                  << "): install Node.js with scripts/install-deps.sh";
    return run;
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
    ADD_FAILURE() << "node did not exit normally";
    return run;
  }
  run.exit_code = WEXITSTATUS(status);
  std::stringstream text;
  text << std::ifstream(output, std::ios::binary).rdbuf();
  run.output = text.str();
  return run;
}

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
  NodeRun run = VerifyWithOfficialPackage(dir, kSecret, requests);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("6 of 6 verified"), std::string::npos) << run.output;
}

TEST(AppRequestNode, OfficialPackageRefusesATamperedBody) {
  testing::ScratchDir dir;
  std::vector<SignedRequest> requests = GatewayRequests(SigningBuilder());
  requests[2].body.replace(requests[2].body.find("東京"), 6, "大阪");
  NodeRun run = VerifyWithOfficialPackage(dir, kSecret, requests);
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("requests[2]"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find("requests[1]"), std::string::npos) << run.output;
}

TEST(AppRequestNode, OfficialPackageRefusesAnotherSecret) {
  testing::ScratchDir dir;
  std::vector<SignedRequest> requests = GatewayRequests(SigningBuilder());
  requests.resize(1);
  NodeRun run = VerifyWithOfficialPackage(dir, "whsec_" + std::string(32, 'A'), requests);
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("requests[0]"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace hookfence::delivery

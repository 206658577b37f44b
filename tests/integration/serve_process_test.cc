// Whole-process tests of `hookfence serve`: SIGKILL under load, SIGHUP secret rotation without
// dropping connections, graceful SIGTERM, and `hookfence send` for every provider.
#include "tests/integration/serve_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "hookfence/providers.h"
#include "hookfence/store.h"
#include "src/server/http_client.h"
#include "testing/scratch_dir.h"
#include "tests/integration/gateway_fixture.h"

namespace hookfence::testing {
namespace {

using namespace std::chrono_literals;

// Replaces the file atomically (write, then rename), as an operator's deploy tool would, so a
// reload never reads half a file.
void WriteFile(const std::string& path, const std::string& text) {
  {
    std::ofstream out(path + ".tmp", std::ios::binary | std::ios::trunc);
    out << text;
  }
  std::rename((path + ".tmp").c_str(), path.c_str());
}

// Polls the gateway's log until it contains `text` (with a deadline).
bool WaitForLog(const ServeProcess& gateway, const std::string& text) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (gateway.Log().find(text) == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    PollPause();
  }
  return true;
}

std::string HmacConfig(const std::string& db, const std::string& secrets) {
  return "[server]\nlisten = \"127.0.0.1:0\"\nlog_level = \"info\"\nadmin_token = \"" +
         std::string(kAdminToken) + "\"\n[store]\nurl = \"sqlite://" + db +
         "\"\n[[sources]]\nname = \"hooks\"\nprovider = \"hmac\"\nsecrets = [" + secrets +
         "]\ndestination = \"http://127.0.0.1:9/unused\"\n";
}

server::HttpResponse PostHmac(std::uint16_t port, const std::string& secret, const std::string& id,
                              bool* ok = nullptr) {
  ProviderConfig config;
  config.provider = "hmac";
  config.secrets = {secret};
  auto provider = MakeProvider(config);
  const std::string body = R"({"id":")" + id + R"("})";
  server::Url url{false, "127.0.0.1", std::to_string(port), "/webhooks/hooks"};
  server::ClientOptions options;
  options.timeout = 5s;
  auto response = server::SendRequest(
      "POST", url, (*provider)->Sign(body, Clock::Real()->Now(), id), body, options);
  if (ok != nullptr) *ok = response.ok();
  return response.ok() ? *response : server::HttpResponse{0, {}, "", false, nullptr};
}

TEST(ServeProcessTest, EveryAcknowledgedEventSurvivesSigkill) {
  ScratchDir dir;
  const std::string db = dir.File("gateway.db");
  WriteFile(dir.File("hookfence.toml"), HmacConfig(db, "\"" + std::string(kSecret) + "\""));
  ServeProcess gateway(dir.File("hookfence.toml"), dir.File("serve.log"));
  ASSERT_TRUE(gateway.Start()) << gateway.Log();

  std::mutex mu;
  std::set<std::string> acknowledged;
  std::atomic<bool> stop{false};
  std::atomic<int> next{0};
  std::vector<std::thread> senders;
  const std::uint16_t port = gateway.port();
  for (int t = 0; t < 8; ++t) {
    senders.emplace_back([&] {
      while (!stop.load()) {
        const std::string id = "k" + std::to_string(next.fetch_add(1));
        auto response = PostHmac(port, kSecret, id);
        if (response.status == 200) {
          std::lock_guard lock(mu);
          acknowledged.insert(id);
        }
      }
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  for (;;) {
    {
      std::lock_guard lock(mu);
      if (acknowledged.size() >= 1000 || std::chrono::steady_clock::now() > deadline) break;
    }
    PollPause();
  }
  gateway.Signal(SIGKILL);  // mid-load, without warning
  gateway.WaitExit();
  stop = true;
  for (auto& t : senders) t.join();
  ASSERT_GE(acknowledged.size(), 1000u);

  // Restart on the same file: it recovers and serves; then stop it gracefully.
  ASSERT_TRUE(gateway.Start()) << gateway.Log();
  EXPECT_EQ(PostHmac(gateway.port(), kSecret, "after-restart").status, 200);
  gateway.Signal(SIGTERM);
  const int status = gateway.WaitExit();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << gateway.Log();

  auto store = OpenStore("sqlite://" + db);
  ASSERT_TRUE(store.ok()) << store.status();
  std::size_t missing = 0;
  for (const std::string& id : acknowledged) {
    if (!(*store)->Get("hooks:" + id).ok()) ++missing;
  }
  EXPECT_EQ(missing, 0u) << "events answered 200 but lost by the kill";
  EXPECT_TRUE((*store)->Get("hooks:after-restart").ok());
  std::cout << "[ kill -9  ] " << acknowledged.size() << " acknowledged events, " << missing
            << " missing after SIGKILL and restart\n";
}

TEST(ServeProcessTest, SighupRotatesSecretsWithoutDroppingConnections) {
  ScratchDir dir;
  const std::string config_path = dir.File("hookfence.toml");
  WriteFile(config_path, HmacConfig(dir.File("gateway.db"), "\"old-secret-1234\""));
  ServeProcess gateway(config_path, dir.File("serve.log"));
  ASSERT_TRUE(gateway.Start()) << gateway.Log();
  EXPECT_EQ(PostHmac(gateway.port(), "old-secret-1234", "r1").status, 200);
  EXPECT_EQ(PostHmac(gateway.port(), "new-secret-5678", "r2").status, 401);

  // A keep-alive connection opened before the reload.
  int fd = ConnectTo(gateway.port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(WriteAll(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));

  // An invalid file is refused and the old configuration stays.
  WriteFile(config_path, "[server\nbroken");
  gateway.Signal(SIGHUP);
  ASSERT_TRUE(WaitForLog(gateway, "reload refused")) << gateway.Log();
  EXPECT_EQ(PostHmac(gateway.port(), "old-secret-1234", "r1b").status, 200);
  // The rotation: the new secret first, the old one still accepted.
  WriteFile(config_path,
            HmacConfig(dir.File("gateway.db"), "\"new-secret-5678\", \"old-secret-1234\""));
  gateway.Signal(SIGHUP);
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  int status = 0;
  while ((status = PostHmac(gateway.port(), "new-secret-5678", "r3").status) != 200 &&
         std::chrono::steady_clock::now() < deadline) {
    PollPause();
  }
  EXPECT_EQ(status, 200) << gateway.Log();
  EXPECT_EQ(PostHmac(gateway.port(), "old-secret-1234", "r4").status, 200);

  // The old connection is still up and served.
  ASSERT_TRUE(WriteAll(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  std::string answers = ReadUntilClosed(fd, 10000);
  close(fd);
  std::size_t served = 0;
  for (std::size_t at = 0; (at = answers.find("HTTP/1.1 200", at)) != std::string::npos; ++at) {
    ++served;
  }
  EXPECT_EQ(served, 2u) << answers;
  gateway.Signal(SIGTERM);
  gateway.WaitExit();
  // No secret reaches the log.
  const std::string log = gateway.Log();
  EXPECT_EQ(log.find("old-secret-1234"), std::string::npos);
  EXPECT_EQ(log.find("new-secret-5678"), std::string::npos);
}

TEST(ServeProcessTest, SendRoundTripsForEveryProvider) {
  ScratchDir dir;
  struct P {
    const char* provider;
    const char* secret;
    const char* extra;
  };
  const std::vector<P> providers = {
      {"stripe", "whsec_stripe_test_secret", ""},
      {"standard-webhooks", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", ""},
      {"svix", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", ""},
      {"github", "github-secret", ""},
      {"razorpay", "razorpay-secret", ""},
      {"shopify", "shopify-secret", ""},
      {"slack", "slack-signing-secret", ""},
      {"paddle", "pdl_ntfset_secret", ""},
      {"square", "square-signature-key",
       "notification_url = \"https://example.com/hooks/square\"\n"},
      {"hmac", "hmac-secret", ""},
  };
  std::string config = "[server]\nlisten = \"127.0.0.1:0\"\nadmin_token = \"" +
                       std::string(kAdminToken) + "\"\n[store]\nurl = \"sqlite://" +
                       dir.File("gateway.db") + "\"\n";
  for (const P& p : providers) {
    std::string name = p.provider;
    std::replace(name.begin(), name.end(), '-', '_');
    config += "[[sources]]\nname = \"" + name + "\"\nprovider = \"" + p.provider +
              "\"\nsecrets = [\"" + p.secret + "\"]\ndestination = \"http://127.0.0.1:9/x\"\n" +
              p.extra;
  }
  WriteFile(dir.File("hookfence.toml"), config);
  ServeProcess gateway(dir.File("hookfence.toml"), dir.File("serve.log"));
  ASSERT_TRUE(gateway.Start()) << gateway.Log();
  // send reads the listen address from the config: point it at the port actually bound.
  std::string bound = config;
  bound.replace(bound.find("127.0.0.1:0"), 11, "127.0.0.1:" + std::to_string(gateway.port()));
  WriteFile(dir.File("send.toml"), bound);
  for (const P& p : providers) {
    std::string name = p.provider;
    std::replace(name.begin(), name.end(), '-', '_');
    std::string output;
    int code = RunCommand({HOOKFENCE_BINARY, "send", "--config", dir.File("send.toml"), "--source",
                           name, "--event-id", "evt_send_" + name},
                          &output);
    EXPECT_EQ(code, 0) << p.provider << ": " << output;
    EXPECT_NE(output.find("\"status\":\"accepted\""), std::string::npos)
        << p.provider << ": " << output;
    // And it is there, under the id the provider carries.
    server::Url url{false, "127.0.0.1", std::to_string(gateway.port()),
                    "/v1/events/" + name + "/evt_send_" + name};
    auto record = server::SendRequest(
        "GET", url, {{"Authorization", std::string("Bearer ") + kAdminToken}}, "");
    ASSERT_TRUE(record.ok());
    EXPECT_EQ(record->status, 200) << p.provider << ": " << record->body;
  }
  gateway.Signal(SIGTERM);
  gateway.WaitExit();
}

TEST(ServeProcessTest, CheckConfigPrintsLineNumberedErrors) {
  ScratchDir dir;
  const std::string good = dir.File("good.toml");
  WriteFile(good, HmacConfig(dir.File("gateway.db"), "\"s3cret-value\""));
  std::string output;
  EXPECT_EQ(RunCommand({HOOKFENCE_BINARY, "check-config", good}, &output), 0) << output;
  EXPECT_NE(output.find("OK (1 source"), std::string::npos) << output;

  const std::string bad = dir.File("bad.toml");
  WriteFile(
      bad,
      "[server]\nlisten = \"127.0.0.1:8080\"\nlisen = \"typo\"\n[store]\nurl = \"memory://\"\n");
  EXPECT_EQ(RunCommand({HOOKFENCE_BINARY, "check-config", bad}, &output), 1) << output;
  EXPECT_NE(output.find(bad + ":3:"), std::string::npos) << output;  // the unknown key's line
  EXPECT_NE(output.find("volatile"), std::string::npos) << output;   // and the memory:// store
  // serve refuses the same file, with the same errors.
  EXPECT_EQ(RunCommand({HOOKFENCE_BINARY, "serve", "--config", bad}, &output), 1) << output;
  EXPECT_NE(output.find(bad + ":3:"), std::string::npos) << output;
}

}  // namespace
}  // namespace hookfence::testing

// Secrets and data hygiene, and resource bounds (docs/security.md "Secrets and data hygiene"):
//   - no configured secret, in any encoding, reaches the output of a whole run of `hookfence
//     serve` at trace level, nor of check-config (a store URL's password too), send and the events
//     commands;
//   - the admin API answers nothing without the admin token, on a wildcard address too;
//   - a purge (admin API and `hookfence events purge`) erases payload, response and tombstone,
//     so a redelivery is new, and its audit line names who asked;
//   - retention drops a finished event's payload and response and keeps its tombstone, dead
//     letters keep their payload until dead_retention, and after key_retention a key is new;
//   - the gateway's descriptors return to their baseline after 1,000 connections, and idle ones
//     it never heard the end of are closed by idle_timeout;
//   - the dispatcher holds at most [delivery] max_held events while the app stalls: every post is
//     still answered 200, the rest waits in the store and is delivered once the app is back.
#include <dirent.h>
#include <pwd.h>
#include <signal.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "hookfence/fingerprint.h"
#include "hookfence/providers.h"
#include "src/providers/encoding.h"
#include "src/server/http_client.h"
#include "testing/test_sink.h"
#include "tests/integration/event_records.h"
#include "tests/integration/gateway_fixture.h"
#include "tests/integration/provider_poster.h"
#include "tests/integration/serve_process.h"

namespace hookfence::testing {
namespace {

using namespace std::chrono_literals;

constexpr auto kDeadline = std::chrono::seconds(30);

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// Replaces the file at once (write, then rename), so a SIGHUP never reads half of it.
void ReplaceFile(const std::string& path, const std::string& text) {
  WriteFile(path + ".tmp", text);
  ASSERT_EQ(std::rename((path + ".tmp").c_str(), path.c_str()), 0);
}

// Letters and digits drawn from `rng`: no window of a dozen of them turns up in a log by chance.
std::string RandomText(std::mt19937_64& rng, std::size_t length) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::uniform_int_distribution<std::size_t> pick(0, sizeof kAlphabet - 2);
  std::string text;
  for (std::size_t i = 0; i < length; ++i) text += kAlphabet[pick(rng)];
  return text;
}

// A Standard Webhooks secret: whsec_ and the base64 of 32 random bytes.
std::string RandomWhsec(std::mt19937_64& rng) {
  std::string key;
  for (int i = 0; i < 32; ++i) key += static_cast<char>(rng() & 0xff);
  return "whsec_" + providers::Base64Encode(key);
}

// Every spelling of `secret` a careless log line could print: as written, hex and base64 of it,
// and for a whsec_ secret its base64 part, the key it decodes to, and that key in hex.
std::vector<std::string> Spellings(const std::string& secret) {
  std::vector<std::string> forms = {secret, providers::HexEncode(secret),
                                    providers::Base64Encode(secret)};
  constexpr std::string_view kPrefix = "whsec_";
  if (secret.starts_with(kPrefix)) {
    const std::string encoded = secret.substr(kPrefix.size());
    forms.push_back(encoded);
    if (auto key = providers::Base64Decode(encoded)) {
      forms.push_back(*key);
      forms.push_back(providers::HexEncode(*key));
    }
  }
  return forms;
}

// The first window of `window` bytes of any spelling of `secret` found in `text` ("" if none): a
// secret printed in part (truncated, or split over lines) is found as well as a whole one.
std::string FindLeak(const std::string& text, const std::string& secret, std::size_t window) {
  for (const std::string& form : Spellings(secret)) {
    const std::size_t size = std::min(window, form.size());
    for (std::size_t at = 0; at + size <= form.size(); ++at) {
      if (Contains(text, std::string_view(form).substr(at, size))) return form.substr(at, size);
    }
  }
  return "";
}

// Status 0 and the error in the body: no answer came.
server::HttpResponse NoAnswer(const Status& error) {
  server::HttpResponse response;
  response.status = 0;
  response.body = error.ToString();
  return response;
}

// Signs `body` as `provider` would with `secret` and posts it to /webhooks/<source>.
server::HttpResponse PostAs(std::uint16_t port, const std::string& source,
                            const std::string& provider, const std::string& secret,
                            const std::string& event_id, const std::string& body) {
  ProviderConfig config;
  config.provider = provider;
  config.secrets = {secret};
  auto made = MakeProvider(config);
  EXPECT_TRUE(made.ok()) << made.status();
  if (!made.ok()) return {};
  server::Url url{false, "127.0.0.1", std::to_string(port), "/webhooks/" + source};
  auto response =
      server::SendRequest("POST", url, (*made)->Sign(body, Clock::Real()->Now(), event_id), body);
  return response.ok() ? *response : NoAnswer(response.status());
}

std::string OutcomeOf(const server::HttpResponse& response) {
  return Answer{response.status, response.body}.Outcome();
}

// The name of the OS user running the tests, as `hookfence events purge` reports it.
std::string OsUser() {
  passwd* entry = getpwuid(geteuid());
  return entry != nullptr ? entry->pw_name : "uid " + std::to_string(geteuid());
}

// How many descriptors the process `pid` has open.
int OpenDescriptors(pid_t pid) {
  DIR* dir = opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (dir == nullptr) return -1;
  int count = 0;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count;
}

// ---------------------------------------------------------------------------------------------
// Secrets never logged: one whole run of `hookfence serve` at trace level.

// The secrets of one run, all distinct and random.
struct RunSecrets {
  explicit RunSecrets(std::uint64_t seed) : rng(seed) {}
  std::mt19937_64 rng;
  std::string admin_token = RandomText(rng, 40);
  std::string hmac_from_env = RandomText(rng, 40);  // ${HF_HYGIENE_HMAC_SECRET}
  std::string hmac_old = RandomText(rng, 40);       // rotation: the previous key, still accepted
  std::string hmac_new = RandomText(rng, 40);       // added by the SIGHUP reload
  std::string stripe = "whsec_" + RandomText(rng, 32);  // Stripe keys the HMAC with all of it
  std::string stripe_old = "whsec_" + RandomText(rng, 32);
  std::string standard = RandomWhsec(rng);  // keys with the decoded base64
  std::string standard_old = RandomWhsec(rng);
  std::string github = RandomText(rng, 40);
  std::string signing = RandomWhsec(rng);            // signs deliveries to the app
  std::string app_token = RandomText(rng, 40);       // a static Authorization header to the app
  std::string refused_reload = RandomText(rng, 40);  // in a reload the gateway refuses
  std::string store_password = RandomText(rng, 40);  // a shared store's, seen by check-config

  std::vector<std::string> All() const {
    return {admin_token, hmac_from_env,  hmac_old,      hmac_new, stripe,
            stripe_old,  standard,       standard_old,  github,   signing,
            app_token,   refused_reload, store_password};
  }
};

constexpr char kHmacEnv[] = "HF_HYGIENE_HMAC_SECRET";

std::string SecretsConfig(const RunSecrets& s, const std::string& db, const std::string& app,
                          const std::string& extra_hmac_secret) {
  std::string config = "[server]\nlisten = \"127.0.0.1:0\"\nthreads = 2\nlog_level = \"trace\"\n";
  config += "admin_token = \"" + s.admin_token + "\"\n";
  config += "[store]\nurl = \"sqlite://" + db + "\"\nlease = \"2s\"\nmax_clock_skew = \"200ms\"\n";
  config += "sweep_interval = \"100ms\"\n";
  config += "[delivery]\npoll_interval = \"50ms\"\nshutdown_grace = \"1s\"\n";
  config += "[[sources]]\nname = \"hooks\"\nprovider = \"hmac\"\nsecrets = [\"${" +
            std::string(kHmacEnv) + "}\", \"" + s.hmac_old + "\"" + extra_hmac_secret + "]\n";
  config += "destination = \"" + app + "\"\nbackoff_base = \"50ms\"\nbackoff_max = \"100ms\"\n";
  config += "max_attempts = 4\nsigning_secret = \"" + s.signing + "\"\n";
  config += "headers = { Authorization = \"Bearer " + s.app_token + "\" }\n";
  config += "[[sources]]\nname = \"stripe\"\nprovider = \"stripe\"\nsecrets = [\"" + s.stripe +
            "\", \"" + s.stripe_old + "\"]\ndestination = \"" + app + "\"\n";
  config += "[[sources]]\nname = \"svix\"\nprovider = \"standard-webhooks\"\nsecrets = [\"" +
            s.standard + "\", \"" + s.standard_old + "\"]\ndestination = \"" + app +
            "\"\nmax_in_flight = 1\n";
  config += "[[sources]]\nname = \"gh\"\nprovider = \"github\"\nsecrets = [\"" + s.github +
            "\"]\ndestination = \"" + app + "\"\nmode = \"sync\"\n";
  return config;
}

TEST(SecretsTest, NoSecretReachesTheOutputOfAWholeRun) {
  ScratchDir dir;
  const RunSecrets s(20261124);
  TestSink app;
  ASSERT_TRUE(app.Start().ok());
  // The app fails the first attempt of every "hooks" event (retries) and refuses one event for
  // good (a dead letter).
  app.SetHook([](const ReceivedRequest& request) -> std::optional<SinkReply> {
    if (Contains(request.body, "refuse-me")) return StatusReply(400);
    if (request.Header("Idempotency-Key").value_or("").starts_with("hooks:") &&
        request.Header("Hookfence-Attempt").value_or("") == "1") {
      return StatusReply(503);
    }
    return std::nullopt;
  });
  const std::string config_path = dir.File("hookfence.toml");
  const std::string db = dir.File("gateway.db");
  // Mode 0644 with literal secrets: the gateway warns, naming the keys (never the values).
  WriteFile(config_path, SecretsConfig(s, db, app.Url("/app"), ""));
  ASSERT_EQ(chmod(config_path.c_str(), 0644), 0);
  ServeProcess gateway(config_path, dir.File("serve.log"));
  gateway.AddEnv(std::string(kHmacEnv) + "=" + s.hmac_from_env);
  ASSERT_TRUE(gateway.Start()) << gateway.Log();
  const std::uint16_t port = gateway.port();
  std::string outputs;  // everything the other commands printed

  struct Source {
    std::string name, provider, secret, old_secret, wrong_secret;
  };
  std::mt19937_64 rng(7);
  const std::vector<Source> sources = {
      {"hooks", "hmac", s.hmac_from_env, s.hmac_old, RandomText(rng, 40)},
      {"stripe", "stripe", s.stripe, s.stripe_old, "whsec_" + RandomText(rng, 32)},
      {"svix", "standard-webhooks", s.standard, s.standard_old, RandomWhsec(rng)},
      {"gh", "github", s.github, "", RandomText(rng, 40)},
  };
  std::size_t delivered_events = 0;
  for (const Source& source : sources) {
    const std::string id = source.name + "-e1";
    auto first = PostAs(port, source.name, source.provider, source.secret, id, Body(id));
    EXPECT_EQ(first.status, 200) << source.name << ": " << first.body;
    auto again = PostAs(port, source.name, source.provider, source.secret, id, Body(id));
    EXPECT_EQ(again.status, 200) << source.name << ": " << again.body;
    auto forged =
        PostAs(port, source.name, source.provider, source.wrong_secret, id + "x", Body(id + "x"));
    EXPECT_EQ(forged.status, 401) << source.name << ": " << forged.body;
    ++delivered_events;
    if (!source.old_secret.empty()) {
      const std::string rotated = source.name + "-e2";
      auto old =
          PostAs(port, source.name, source.provider, source.old_secret, rotated, Body(rotated));
      EXPECT_EQ(old.status, 200) << source.name << " (old secret): " << old.body;
      ++delivered_events;
    }
  }
  // Every accepted event reaches the app, the failed attempts retried.
  EXPECT_TRUE(WaitUntil([&] { return app.Effects().applied == delivered_events; }, kDeadline))
      << app.Effects().applied << " of " << delivered_events;
  EXPECT_GE(app.Effects().failed, 2u);
  // A dead letter.
  EXPECT_EQ(PostAs(port, "hooks", "hmac", s.hmac_from_env, "refuse-me", Body("refuse-me")).status,
            200);

  // The admin API, with the right token and wrong ones: list, show, purge, replay.
  const auto admin = [&](const std::string& method, const std::string& target,
                         const std::string& token) {
    server::Url url{false, "127.0.0.1", std::to_string(port), target};
    auto response = server::SendRequest(method, url, {{"Authorization", "Bearer " + token}}, "");
    return response.ok() ? *response : NoAnswer(response.status());
  };
  EXPECT_TRUE(WaitUntil(
      [&] {
        return Contains(admin("GET", "/v1/events/hooks/refuse-me", s.admin_token).body,
                        R"("state":"dead")");
      },
      kDeadline));
  EXPECT_EQ(admin("GET", "/v1/events?source=hooks", s.admin_token).status, 200);
  EXPECT_EQ(admin("GET", "/v1/events?source=hooks", s.admin_token + "x").status, 401);
  EXPECT_EQ(admin("GET", "/v1/dead", s.hmac_from_env).status, 401);
  EXPECT_EQ(admin("DELETE", "/v1/events/stripe/stripe-e2", s.admin_token).status, 200);
  EXPECT_EQ(admin("POST", "/v1/events/hooks/refuse-me/replay", s.admin_token).status, 200);
  EXPECT_TRUE(WaitUntil(
      [&] { return app.RequestsWithHeader("Idempotency-Key", "hooks:refuse-me").size() == 2; },
      kDeadline));

  // SIGHUP: a rotated key is added, then a reload is refused (a malformed secret), then the
  // running configuration still serves the rotated key.
  ReplaceFile(config_path, SecretsConfig(s, db, app.Url("/app"), ", \"" + s.hmac_new + "\""));
  gateway.Signal(SIGHUP);
  EXPECT_TRUE(
      WaitUntil([&] { return Contains(gateway.Log(), "configuration reloaded"); }, kDeadline));
  EXPECT_EQ(
      OutcomeOf(PostAs(port, "hooks", "hmac", s.hmac_new, "after-reload", Body("after-reload"))),
      "accepted");
  std::string refused = SecretsConfig(s, db, app.Url("/app"), "");
  refused.replace(refused.find(s.standard), s.standard.size(), "whsec_" + s.refused_reload + "!");
  ReplaceFile(config_path, refused);
  gateway.Signal(SIGHUP);
  EXPECT_TRUE(WaitUntil([&] { return Contains(gateway.Log(), "reload refused"); }, kDeadline));
  EXPECT_EQ(
      OutcomeOf(PostAs(port, "hooks", "hmac", s.hmac_new, "after-refusal", Body("after-refusal"))),
      "accepted");
  ReplaceFile(config_path, SecretsConfig(s, db, app.Url("/app"), ""));
  ASSERT_EQ(chmod(config_path.c_str(), 0644), 0);

  // The commands an operator runs next to it.
  const std::string env = std::string(kHmacEnv) + "=" + s.hmac_from_env;
  std::string output;
  EXPECT_EQ(
      RunCommand({"/usr/bin/env", env, HOOKFENCE_BINARY, "check-config", config_path}, &output), 0)
      << output;
  EXPECT_TRUE(Contains(output, "readable by every user")) << output;
  outputs += output;
  // A store URL's password: SQLite has none, so a PostgreSQL URL is checked (not connected to).
  std::string shared = SecretsConfig(s, db, app.Url("/app"), "");
  shared.replace(shared.find("sqlite://" + db), 9 + db.size(),
                 "postgres://hookfence:" + s.store_password + "@127.0.0.1:1/hookfence");
  WriteFile(dir.File("shared.toml"), shared);
  ASSERT_EQ(chmod(dir.File("shared.toml").c_str(), 0644), 0);
  EXPECT_EQ(
      RunCommand({"/usr/bin/env", env, HOOKFENCE_BINARY, "check-config", dir.File("shared.toml")},
                 &output),
      0)
      << output;
  EXPECT_TRUE(Contains(output, "store.url (password)")) << output;
  EXPECT_TRUE(Contains(output, "postgres://hookfence:***@127.0.0.1:1/hookfence")) << output;
  outputs += output;
  EXPECT_EQ(
      RunCommand({"/usr/bin/env", env, HOOKFENCE_BINARY, "check-config", dir.File("x")}, &output),
      1);
  outputs += output;
  EXPECT_EQ(RunCommand({"/usr/bin/env", env, HOOKFENCE_BINARY, "send", "--config", config_path,
                        "--source", "hooks", "--event-id", "sent-1", "--url",
                        "http://127.0.0.1:" + std::to_string(port) + "/webhooks/hooks"},
                       &output),
            0)
      << output;
  outputs += output;
  const std::string gateway_url = "http://127.0.0.1:" + std::to_string(port);
  EXPECT_EQ(RunCommand({HOOKFENCE_BINARY, "events", "list", "--gateway", gateway_url, "--token",
                        s.admin_token},
                       &output),
            0)
      << output;
  outputs += output;
  EXPECT_EQ(RunCommand({HOOKFENCE_BINARY, "events", "show", "hooks", "hooks-e1", "--gateway",
                        gateway_url, "--token", s.admin_token + "x"},
                       &output),
            1)
      << output;
  outputs += output;

  // A stalled app at shutdown: svix allows one request in flight, so the second event waits in
  // memory and is released to the store (a debug line), the first is abandoned after the grace.
  app.Stall();
  for (const char* id : {"svix-w1", "svix-w2"}) {
    EXPECT_EQ(OutcomeOf(PostAs(port, "svix", "standard-webhooks", s.standard, id, Body(id))),
              "accepted");
  }
  EXPECT_TRUE(app.WaitForHeld(1, std::chrono::steady_clock::now() + kDeadline));
  gateway.Signal(SIGTERM);
  const int status = gateway.WaitExit();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;

  const std::string log = gateway.Log();
  // Not vacuous: the run logged what happened, at every level it has.
  for (const char* expected :
       {"readable by every user", "outcome=accepted", "outcome=duplicate", "outcome=bad_signature",
        "status=401", "audit: purged stripe:stripe-e2",
        "hooks:refuse-me: attempt 1 failed for good", "configuration reloaded", "reload refused",
        "released svix:svix-w2", "shutdown complete"}) {
    EXPECT_TRUE(Contains(log, expected)) << "the log has no \"" << expected << "\":\n" << log;
  }
  const std::string everything = log + outputs;
  for (const std::string& secret : s.All()) {
    const std::string leak = FindLeak(everything, secret, 12);
    EXPECT_EQ(leak, "") << "part of the secret " << secret << " was printed:\n" << everything;
  }
}

// ---------------------------------------------------------------------------------------------
// The admin API without a token, on a wildcard address.

TEST(AdminTokenTest, WithoutATokenTheAdminApiAnswersNothingOnAWildcardAddress) {
  ScratchDir dir;
  for (const std::string& host : std::vector<std::string>{"0.0.0.0", "::"}) {
    server::Config config;
    config.server.listen_host = host;
    config.server.listen_port = 0;
    config.server.threads = 1;
    config.server.log_level = "off";
    config.store.url = "sqlite://" + dir.File(host == "::" ? "v6.db" : "v4.db");
    config.sources.push_back(HmacSource("hooks"));
    auto gateway = server::Gateway::Create(config, {});
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    ASSERT_TRUE((*gateway)->Start().ok());
    server::Url url{false, "127.0.0.1", std::to_string((*gateway)->port()), ""};
    const auto status = [&](const std::string& method, const std::string& target,
                            const Headers& headers) {
      url.target = target;
      auto response = server::SendRequest(method, url, headers, "");
      return response.ok() ? response->status : 0;
    };
    // An empty bearer token would equal the empty admin token if nothing stopped it.
    for (const Headers& headers :
         std::vector<Headers>{{},
                              {{"Authorization", "Bearer "}},
                              {{"Authorization", "Bearer"}},
                              {{"Authorization", "Bearer x"}},
                              {{"Authorization", std::string("Bearer ") + kSecret}}}) {
      EXPECT_EQ(status("GET", "/v1/events", headers), 401) << host;
      EXPECT_EQ(status("DELETE", "/v1/events/hooks/e1", headers), 401) << host;
      EXPECT_EQ(status("POST", "/v1/replay", headers), 401) << host;
    }
    EXPECT_EQ(status("GET", "/healthz", {}), 200) << host;
    (*gateway)->Shutdown();
  }
}

// ---------------------------------------------------------------------------------------------
// Purge, retention and the delivery queue: an in-process gateway on the SimulatedClock.

class HygieneTest : public GatewayFixture {
 protected:
  void SetUp() override {
    ASSERT_TRUE(app_.Start().ok());
    log_sink_ = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(10000);
    log_ = std::make_shared<spdlog::logger>("hygiene", log_sink_);
    log_->set_level(spdlog::level::info);
  }

  // "hooks" (async) and "synced" (sync mode, so the app's answer is stored) delivering to app_.
  server::Config AppConfig() {
    server::Config config = DefaultConfig();
    config.sources[0].destination = app_.Url("/hooks");
    server::SourceConfig synced = HmacSource("synced");
    synced.destination = app_.Url("/synced");
    synced.delivery.mode = server::SourceMode::kSync;
    config.sources.push_back(synced);
    config.delivery.poll_interval = 20ms;
    config.delivery.shutdown_grace = 1s;
    config.store.sweep_interval = 20ms;
    return config;
  }

  std::string Log() const {
    std::string text;
    for (const std::string& line : log_sink_->last_formatted()) text += line;
    return text;
  }

  server::HttpResponse PostEvent(const std::string& source, const std::string& id) {
    const std::size_t index = source == "synced" ? 1 : 0;
    return PostSigned(config_.sources[index], Body(id), id);
  }
  std::string OutcomeOfPost(const std::string& source, const std::string& id) {
    return OutcomeOf(PostEvent(source, id));
  }

  // Waits until the record of `key` satisfies `predicate`.
  template <typename Predicate>
  bool WaitForRecord(const std::string& key, Predicate predicate) {
    return WaitUntil(
        [&] {
          auto record = store_->Get(key);
          return record.ok() && predicate(*record);
        },
        kDeadline);
  }
  bool WaitForState(const std::string& key, State state) {
    return WaitForRecord(key, [&](const Record& r) { return r.state == state; });
  }
  bool Gone(const std::string& key) {
    return store_->Get(key).status().code() == StatusCode::kNotFound;
  }

  int Events(const std::vector<std::string>& args, std::string* output) {
    return RunEventsCommand(args, output);
  }

  TestSink app_;
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> log_sink_;
};

TEST_F(HygieneTest, PurgeThroughTheAdminApiErasesEverythingAndIsAudited) {
  StartGateway(AppConfig());
  app_.AnswerAll(SinkReply{server::StatusResponse(200, "ok", "the app's answer"), false, 0s});
  ASSERT_EQ(PostEvent("synced", "s1").status, 200);
  ASSERT_TRUE(WaitForRecord("synced:s1", [](const Record& r) {
    return r.state == State::kCompleted && r.payload.has_value() && r.response.has_value();
  }));
  // A duplicate is answered from the stored response, without reaching the app.
  auto duplicate = PostEvent("synced", "s1");
  EXPECT_TRUE(server::FindHeader(duplicate.headers, "Hookfence-Replayed").has_value());
  EXPECT_EQ(app_.count(), 1u);

  // A wrong token purges nothing.
  server::Url url = UrlFor("/v1/events/synced/s1");
  auto refused = server::SendRequest("DELETE", url, {{"Authorization", "Bearer wrong"}}, "");
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->status, 401);
  EXPECT_TRUE(store_->Get("synced:s1").ok());
  EXPECT_FALSE(Contains(Log(), "audit: purged"));

  auto purged = server::SendRequest("DELETE", url,
                                    {{"Authorization", std::string("Bearer ") + kAdminToken}}, "");
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(purged->status, 200) << purged->body;
  EXPECT_TRUE(Gone("synced:s1"));
  EXPECT_EQ(
      Get("/v1/events/synced/s1", {{"Authorization", std::string("Bearer ") + kAdminToken}}).status,
      404);
  const std::string log = Log();
  EXPECT_TRUE(Contains(log,
                       "audit: purged synced:s1 (payload, response and tombstone) at the request "
                       "of the admin token holder at 127.0.0.1:"))
      << log;

  // Nothing of it is left to deduplicate against: the provider's redelivery is new, and reaches
  // the app again (a stored answer would have been replayed instead).
  auto again = PostEvent("synced", "s1");
  EXPECT_EQ(again.status, 200);
  EXPECT_FALSE(server::FindHeader(again.headers, "Hookfence-Replayed").has_value());
  EXPECT_EQ(app_.count(), 2u);
}

TEST_F(HygieneTest, PurgeFromTheCliErasesATombstoneAndNamesTheOsUser) {
  server::Config config = AppConfig();
  config.store.retention = 1h;
  StartGateway(config);
  ASSERT_EQ(OutcomeOfPost("hooks", "c1"), "accepted");
  ASSERT_TRUE(WaitForState("hooks:c1", State::kCompleted));
  clock_.Advance(1h + 1s);
  ASSERT_TRUE(WaitForRecord("hooks:c1", [](const Record& r) { return r.tombstone; }));
  EXPECT_EQ(OutcomeOfPost("hooks", "c1"), "duplicate");  // the tombstone still deduplicates

  std::string output;
  const std::string gateway = "http://127.0.0.1:" + std::to_string(gateway_->port());
  EXPECT_EQ(Events({"purge", "hooks", "c1", "--gateway", gateway, "--token", kAdminToken}, &output),
            0)
      << output;
  EXPECT_TRUE(Contains(output, "purged hooks:c1\n")) << output;
  EXPECT_TRUE(Contains(output,
                       "hookfence: audit: purged hooks:c1 (payload, response and "
                       "tombstone) through the gateway " +
                           gateway + " at the request of OS user " + OsUser() + " (uid "))
      << output;
  EXPECT_TRUE(Gone("hooks:c1"));
  const std::string log = Log();
  EXPECT_TRUE(Contains(log,
                       "audit: purged hooks:c1 (payload, response and tombstone) at the "
                       "request of the admin token holder at 127.0.0.1:"))
      << log;
  EXPECT_TRUE(Contains(log, "(operator \"" + OsUser() + "\" as the client declares)")) << log;

  // The provider's redelivery is a new event, delivered again.
  EXPECT_EQ(OutcomeOfPost("hooks", "c1"), "accepted");
  EXPECT_TRUE(app_.WaitForCount(2, kDeadline));
  EXPECT_EQ(app_.RequestsWithHeader("Idempotency-Key", "hooks:c1").size(), 2u);

  // An event that is not there: exit 1, nothing audited.
  EXPECT_EQ(
      Events({"purge", "hooks", "c1-nope", "--gateway", gateway, "--token", kAdminToken}, &output),
      1)
      << output;
  EXPECT_TRUE(Contains(output, "404")) << output;
  EXPECT_FALSE(Contains(output, "audit")) << output;
}

TEST_F(HygieneTest, PurgeFromTheCliWorksDirectlyOnAStore) {
  const std::string url = "sqlite://" + dir_.File("cli.db");
  StoreOptions options;
  options.clock = &clock_;
  options.retention = 0s;  // the first sweep makes a tombstone of c1
  {
    auto store = OpenStore(url, options);
    ASSERT_TRUE(store.ok()) << store.status();
    PutCompleted(**store, clock_, "hooks:c1");
    PutDead(**store, clock_, "hooks:d1");
    clock_.Advance(1s);
    ASSERT_TRUE((*store)->Sweep().ok());
    ASSERT_TRUE((*store)->Get("hooks:c1")->tombstone);
  }
  std::string output;
  for (const char* id : {"c1", "d1"}) {
    EXPECT_EQ(Events({"purge", "hooks", id, "--store", url}, &output), 0) << output;
    EXPECT_TRUE(Contains(output, "hookfence: audit: purged hooks:" + std::string(id) +
                                     " (payload, response and tombstone) in the store " + url +
                                     " at the request of OS user " + OsUser() + " (uid " +
                                     std::to_string(geteuid()) + ")"))
        << output;
  }
  EXPECT_EQ(Events({"purge", "hooks", "c1", "--store", url}, &output), 1) << output;
  EXPECT_TRUE(Contains(output, "no event 'hooks:c1'")) << output;

  auto store = OpenStore(url, options);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->Get("hooks:c1").status().code(), StatusCode::kNotFound);
  EXPECT_EQ((*store)->Get("hooks:d1").status().code(), StatusCode::kNotFound);
  // Both keys are new again (PutInProgress expects a fresh insert).
  PutInProgress(**store, "hooks:c1");
  PutInProgress(**store, "hooks:d1");
}

TEST_F(HygieneTest, RetentionDropsPayloadsKeepsTombstonesThenForgetsKeys) {
  server::Config config = AppConfig();
  config.store.retention = 1h;
  config.store.dead_retention = 3h;
  config.store.key_retention = 5h;
  StartGateway(config);
  app_.AnswerAll(SinkReply{server::StatusResponse(200, "ok", "the app's answer"), false, 0s});
  ASSERT_EQ(OutcomeOfPost("hooks", "c1"), "accepted");
  ASSERT_EQ(PostEvent("synced", "s1").status, 200);
  ASSERT_TRUE(WaitForState("hooks:c1", State::kCompleted));
  ASSERT_TRUE(WaitForRecord("synced:s1", [](const Record& r) { return r.response.has_value(); }));
  app_.AnswerAll(StatusReply(400));  // final: a dead letter at once
  ASSERT_EQ(OutcomeOfPost("hooks", "d1"), "accepted");
  ASSERT_TRUE(WaitForState("hooks:d1", State::kDead));
  app_.AnswerAll(SinkReply{});
  const std::size_t delivered = app_.count();

  // Past `retention`: the finished events keep only a tombstone, which still deduplicates; the
  // dead letter keeps its payload (it can still be replayed).
  clock_.Advance(1h + 1s);
  ASSERT_TRUE(WaitForRecord("hooks:c1", [](const Record& r) { return r.tombstone; }));
  ASSERT_TRUE(WaitForRecord("synced:s1", [](const Record& r) { return r.tombstone; }));
  for (const std::string key : {"hooks:c1", "synced:s1"}) {
    auto record = store_->Get(key);
    ASSERT_TRUE(record.ok());
    EXPECT_FALSE(record->payload.has_value()) << key;
    EXPECT_FALSE(record->response.has_value()) << key;
    EXPECT_EQ(record->state, State::kCompleted) << key;
  }
  EXPECT_EQ(OutcomeOfPost("hooks", "c1"), "duplicate");
  EXPECT_EQ(OutcomeOfPost("synced", "s1"), "duplicate");  // the answer is gone, the key is not
  auto dead = store_->Get("hooks:d1");
  ASSERT_TRUE(dead.ok());
  EXPECT_TRUE(dead->payload.has_value());
  EXPECT_FALSE(dead->tombstone);

  // Past `dead_retention`: the dead letter is a tombstone too.
  clock_.Advance(2h);
  ASSERT_TRUE(WaitForRecord("hooks:d1", [](const Record& r) { return r.tombstone; }));
  EXPECT_FALSE(store_->Get("hooks:d1")->payload.has_value());
  EXPECT_EQ(OutcomeOfPost("hooks", "d1"), "duplicate");
  EXPECT_TRUE(store_->Get("hooks:c1").ok());
  EXPECT_EQ(app_.count(), delivered);  // no duplicate reached the app

  // Past `key_retention`: the keys are forgotten, and a redelivery is a new event.
  clock_.Advance(2h);
  ASSERT_TRUE(WaitUntil([&] { return Gone("hooks:c1") && Gone("synced:s1") && Gone("hooks:d1"); },
                        kDeadline));
  EXPECT_EQ(OutcomeOfPost("hooks", "c1"), "accepted");
  EXPECT_TRUE(app_.WaitForCount(delivered + 1, kDeadline));
  EXPECT_EQ(app_.RequestsWithHeader("Idempotency-Key", "hooks:c1").size(), 2u);
}

TEST_F(HygieneTest, TheDispatcherHoldsAtMostMaxHeldWhileTheAppStalls) {
  server::Config config = AppConfig();
  config.delivery.max_held = 4;
  StartGateway(config);
  app_.Stall();
  constexpr int kEvents = 60;
  double most_held = 0;
  for (int i = 0; i < kEvents; ++i) {
    const std::string id = "q" + std::to_string(i);
    auto answer = PostEvent("hooks", id);
    // A slow app is never a reason to refuse: the event is stored and the provider told so.
    EXPECT_EQ(answer.status, 200) << id << ": " << answer.body;
    const std::string outcome = OutcomeOf(answer);
    EXPECT_TRUE(outcome == "accepted" || outcome == "queued") << id << ": " << answer.body;
    most_held = std::max(most_held, MetricValue(Get("/metrics").body, "hookfence_dispatcher_held"));
  }
  ASSERT_TRUE(app_.WaitForHeld(4, std::chrono::steady_clock::now() + kDeadline));
  // The rest waits in the store, due now, not in memory.
  std::string metrics;
  EXPECT_TRUE(WaitUntil(
      [&] {
        metrics = Get("/metrics").body;
        return MetricValue(metrics, "hookfence_due_events{when=\"now\"}") == kEvents - 4;
      },
      kDeadline))
      << metrics;
  EXPECT_EQ(MetricValue(metrics, "hookfence_dispatcher_held"), 4) << metrics;
  EXPECT_LE(most_held, 4);
  EXPECT_EQ(app_.held(), 4u);

  // The app is back: every event is claimed from the store and delivered, once.
  app_.Reset();
  ASSERT_TRUE(WaitUntil([&] { return app_.Effects().applied == kEvents; }, kDeadline))
      << app_.Effects().applied;
  for (int i = 0; i < kEvents; ++i) {
    EXPECT_TRUE(WaitForState("hooks:q" + std::to_string(i), State::kCompleted)) << i;
  }
  EXPECT_EQ(app_.Effects().duplicates, 0u);
}

// ---------------------------------------------------------------------------------------------
// File descriptors: a whole `hookfence serve` process, counted in /proc/<pid>/fd.

TEST(DescriptorTest, DescriptorsReturnToTheBaselineAfterAThousandConnections) {
  ScratchDir dir;
  std::string config =
      ProcessTestConfig("sqlite://" + dir.File("gateway.db"), "http://127.0.0.1:9/unused");
  config.replace(config.find("threads = 2"), 11, "threads = 2\nidle_timeout = \"3s\"");
  WriteFile(dir.File("hookfence.toml"), config);
  server::RaiseFileLimit();  // this process holds the client side of every connection
  ServeProcess gateway(dir.File("hookfence.toml"), dir.File("serve.log"));
  ASSERT_TRUE(gateway.Start()) << gateway.Log();
  const std::uint16_t port = gateway.port();
  // The fewest descriptors over a few polls: the baseline leaves out any that are only passing
  // (Start's /healthz connection, a store file the dispatcher's poll opens for a moment).
  int baseline = OpenDescriptors(gateway.pid());
  for (int i = 0; i < 20; ++i) {
    PollPause();
    baseline = std::min(baseline, OpenDescriptors(gateway.pid()));
  }
  ASSERT_GT(baseline, 0);

  // 1,000 connections open at once, half of them sending a request, then all closed by the
  // client.
  std::vector<int> fds;
  for (int i = 0; i < 1000; ++i) {
    const int fd = ConnectTo(port);
    ASSERT_GE(fd, 0) << "connection " << i;
    if (i % 2 == 0) {
      ASSERT_TRUE(WriteAll(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    }
    fds.push_back(fd);
  }
  int peak = 0;
  EXPECT_TRUE(WaitUntil(
      [&] {
        peak = std::max(peak, OpenDescriptors(gateway.pid()));
        return peak >= baseline + 990;
      },
      kDeadline))
      << "the gateway never held the connections: peak " << peak << ", baseline " << baseline;
  for (int fd : fds) close(fd);
  int after = 0;
  EXPECT_TRUE(WaitUntil(
      [&] {
        after = OpenDescriptors(gateway.pid());
        return after <= baseline;
      },
      kDeadline))
      << "after closing 1,000 connections the gateway has " << after << " descriptors open, "
      << baseline << " before";

  // 200 connections the client never closes: idle_timeout closes them on the gateway's side.
  fds.clear();
  for (int i = 0; i < 200; ++i) {
    const int fd = ConnectTo(port);
    ASSERT_GE(fd, 0);
    fds.push_back(fd);
  }
  EXPECT_TRUE(
      WaitUntil([&] { return OpenDescriptors(gateway.pid()) >= baseline + 150; }, kDeadline));
  EXPECT_TRUE(WaitUntil(
      [&] {
        after = OpenDescriptors(gateway.pid());
        return after <= baseline;
      },
      kDeadline))
      << "idle connections kept " << after - baseline << " descriptors";
  for (int fd : fds) close(fd);
  std::printf("descriptors: baseline %d, peak with 1,000 connections %d\n", baseline, peak);
  gateway.Signal(SIGTERM);
  gateway.WaitExit();
}

}  // namespace
}  // namespace hookfence::testing

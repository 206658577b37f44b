#include "src/server/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>

namespace hookfence::server {
namespace {

using namespace std::chrono_literals;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

}  // namespace

// Readable failure messages for issue lists.
void PrintTo(const ConfigIssue& issue, std::ostream* os) {
  *os << issue.line << ":" << issue.column << ": " << issue.message;
}

namespace {

EnvLookup FakeEnv(std::map<std::string, std::string> vars = {}) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

MATCHER_P3(IssueIs, line, column, message, "") {
  return arg.line == line && arg.column == column && arg.message == message;
}
MATCHER_P3(IssueAt, line, column, message_matcher, "") {
  return arg.line == line && arg.column == column &&
         ::testing::ExplainMatchResult(message_matcher, arg.message, result_listener);
}

// Prints the issues of a load so that a failing expectation shows them.
std::string Describe(const ConfigLoad& load) {
  return FormatIssues("test.toml", load.errors, "error") +
         FormatIssues("test.toml", load.warnings, "warning");
}

ConfigLoad Parse(std::string_view toml, const EnvLookup& env = FakeEnv()) {
  return ParseConfig(toml, "test.toml", env);
}

// A minimal valid source, to append to configurations that test something else.
constexpr std::string_view kStripeSource = R"(
[[sources]]
name = "stripe"
provider = "stripe"
secrets = ["whsec_test"]
destination = "http://127.0.0.1:3000/stripe"
)";

std::string WithSource(std::string_view toml) {
  return std::string(toml) + std::string(kStripeSource);
}

TEST(ParseConfigTest, FullConfig) {
  const ConfigLoad load = Parse(R"(
[server]
listen = "[::1]:9090"
max_body_bytes = "2MiB"
max_header_bytes = 8192
admin_token = "s3cret"
threads = 4
read_timeout = "5s"
idle_timeout = "2m"
log_level = "debug"
max_loop_lag = "5ms"
[server.tls]
cert = "/etc/hookfence/cert.pem"
key = "/etc/hookfence/key.pem"

[store]
url = "sqlite:///var/lib/hookfence/hookfence.db"
volatile = false
lease = "45s"
max_clock_skew = "250ms"
retention = "3d"
key_retention = "60d"
dead_retention = "14d"
capacity = 1000000
max_pending_writes = 5000
max_batch = 256
sweep_interval = "30s"

[[sources]]
name = "stripe"
provider = "stripe"
secrets = ["whsec_new", "whsec_old"]
tolerance = "10m"
destination = "https://app.internal/stripe"

[[sources]]
name = "square-pay_1"
provider = "square"
secrets = ["sq-key"]
destination = "http://127.0.0.1:3000/square"
notification_url = "https://hooks.example.com/webhooks/square-pay_1"

[[sources]]
name = "custom"
provider = "hmac"
secrets = ["k"]
destination = "http://127.0.0.1:3000/custom"
signature_header = "X-Hub-Signature-256"
encoding = "base64"
prefix = "sha256="
id_header = "X-Delivery"
)");
  ASSERT_TRUE(load.config.has_value()) << Describe(load);
  EXPECT_THAT(load.errors, IsEmpty());
  EXPECT_THAT(load.warnings, IsEmpty()) << Describe(load);
  const Config& config = *load.config;

  EXPECT_EQ(config.server.listen_host, "::1");
  EXPECT_EQ(config.server.listen_port, 9090);
  EXPECT_EQ(config.server.max_body_bytes, 2u * 1024 * 1024);
  EXPECT_EQ(config.server.max_header_bytes, 8192u);
  EXPECT_EQ(config.server.admin_token, "s3cret");
  EXPECT_EQ(config.server.threads, 4);
  EXPECT_EQ(config.server.read_timeout, 5s);
  EXPECT_EQ(config.server.idle_timeout, 2min);
  EXPECT_EQ(config.server.log_level, "debug");
  EXPECT_EQ(config.server.max_loop_lag, 5ms);
  EXPECT_TRUE(config.server.tls.enabled());
  EXPECT_EQ(config.server.tls.cert_file, "/etc/hookfence/cert.pem");
  EXPECT_EQ(config.server.tls.key_file, "/etc/hookfence/key.pem");

  EXPECT_EQ(config.store.url, "sqlite:///var/lib/hookfence/hookfence.db");
  EXPECT_FALSE(config.store.volatile_ok);
  EXPECT_EQ(config.store.lease, 45s);
  EXPECT_EQ(config.store.max_clock_skew, 250ms);
  EXPECT_EQ(config.store.retention, 72h);
  EXPECT_EQ(config.store.key_retention, 24h * 60);
  EXPECT_EQ(config.store.dead_retention, 24h * 14);
  EXPECT_EQ(config.store.capacity, 1000000u);
  EXPECT_EQ(config.store.max_pending_writes, 5000u);
  EXPECT_EQ(config.store.max_batch, 256u);
  EXPECT_EQ(config.store.sweep_interval, 30s);

  ASSERT_EQ(config.sources.size(), 3u);
  const SourceConfig& stripe = config.sources[0];
  EXPECT_EQ(stripe.name, "stripe");
  EXPECT_EQ(stripe.line, 29);
  EXPECT_EQ(stripe.destination, "https://app.internal/stripe");
  EXPECT_EQ(stripe.provider.provider, "stripe");
  EXPECT_THAT(stripe.provider.secrets, ElementsAre("whsec_new", "whsec_old"));
  EXPECT_EQ(stripe.provider.tolerance, 10min);
  EXPECT_EQ(stripe.provider.notification_url, "");

  const SourceConfig& square = config.sources[1];
  EXPECT_EQ(square.name, "square-pay_1");
  EXPECT_EQ(square.line, 36);
  EXPECT_EQ(square.provider.provider, "square");
  EXPECT_THAT(square.provider.secrets, ElementsAre("sq-key"));
  EXPECT_EQ(square.provider.tolerance, 0s);
  EXPECT_EQ(square.provider.notification_url, "https://hooks.example.com/webhooks/square-pay_1");

  const SourceConfig& custom = config.sources[2];
  EXPECT_EQ(custom.name, "custom");
  EXPECT_EQ(custom.line, 43);
  EXPECT_EQ(custom.provider.provider, "hmac");
  EXPECT_EQ(custom.provider.signature_header, "X-Hub-Signature-256");
  EXPECT_EQ(custom.provider.encoding, "base64");
  EXPECT_EQ(custom.provider.prefix, "sha256=");
  EXPECT_EQ(custom.provider.id_header, "X-Delivery");
}

TEST(ParseConfigTest, EveryDefault) {
  const ConfigLoad load = Parse("");
  ASSERT_TRUE(load.config.has_value()) << Describe(load);
  const Config& config = *load.config;

  EXPECT_EQ(config.server.listen_host, "127.0.0.1");
  EXPECT_EQ(config.server.listen_port, 8080);
  EXPECT_EQ(config.server.max_body_bytes, 1048576u);
  EXPECT_EQ(config.server.max_header_bytes, 16384u);
  EXPECT_EQ(config.server.admin_token, "");
  EXPECT_EQ(config.server.threads, 0);
  EXPECT_EQ(config.server.read_timeout, 10s);
  EXPECT_EQ(config.server.idle_timeout, 60s);
  EXPECT_EQ(config.server.log_level, "info");
  EXPECT_EQ(config.server.max_loop_lag, 20ms);
  EXPECT_FALSE(config.server.tls.enabled());
  EXPECT_EQ(config.server.tls.cert_file, "");
  EXPECT_EQ(config.server.tls.key_file, "");

  EXPECT_EQ(config.store.url, "sqlite://hookfence.db");
  EXPECT_FALSE(config.store.volatile_ok);
  EXPECT_EQ(config.store.lease, 30s);
  EXPECT_EQ(config.store.max_clock_skew, 1s);
  EXPECT_EQ(config.store.retention, 24h * 7);
  EXPECT_EQ(config.store.key_retention, 24h * 30);
  EXPECT_EQ(config.store.dead_retention, 24h * 30);
  EXPECT_EQ(config.store.capacity, 0u);
  EXPECT_EQ(config.store.max_pending_writes, 10000u);
  EXPECT_EQ(config.store.max_batch, 512u);
  EXPECT_EQ(config.store.sweep_interval, 1min);

  EXPECT_THAT(config.sources, IsEmpty());
  EXPECT_THAT(load.errors, IsEmpty());
  EXPECT_THAT(load.warnings,
              ElementsAre(IssueIs(0, 0,
                                  "server.admin_token is empty: the admin API (/v1/) is disabled "
                                  "and answers 401 to every request"),
                          IssueIs(0, 0,
                                  "no [[sources]] are configured: every webhook will be "
                                  "answered 404")));
}

TEST(ParseConfigTest, SourceDefaults) {
  const ConfigLoad load = Parse(kStripeSource);
  ASSERT_TRUE(load.config.has_value()) << Describe(load);
  ASSERT_EQ(load.config->sources.size(), 1u);
  const ProviderConfig& provider = load.config->sources[0].provider;
  EXPECT_EQ(provider.tolerance, 0s);  // the provider's own default
  EXPECT_EQ(provider.notification_url, "");
  EXPECT_EQ(provider.signature_header, "X-Signature");
  EXPECT_EQ(provider.encoding, "hex");
  EXPECT_EQ(provider.prefix, "");
  EXPECT_EQ(provider.id_header, "X-Webhook-Id");
}

TEST(ParseConfigTest, EnvSubstitution) {
  const ConfigLoad load = Parse(
      R"(
[server]
listen = "${HOST:-0.0.0.0}:${PORT}"
admin_token = "${TOKEN:-fallback-token}"
max_body_bytes = "${BODY_LIMIT:-64KiB}"
[store]
url = "sqlite://${DATA_DIR}/hookfence.db"
[[sources]]
name = "stripe"
provider = "stripe"
secrets = ["${STRIPE_SECRET}", "${STRIPE_OLD_SECRET:-whsec_old}", "literal$$dollar"]
destination = "http://app:3000/stripe"
)",
      FakeEnv(
          {{"PORT", "8443"}, {"DATA_DIR", "/var/lib/hf"}, {"STRIPE_SECRET", "whsec_from_env"}}));
  ASSERT_TRUE(load.config.has_value()) << Describe(load);
  EXPECT_EQ(load.config->server.listen_host, "0.0.0.0");
  EXPECT_EQ(load.config->server.listen_port, 8443);
  EXPECT_EQ(load.config->server.admin_token, "fallback-token");
  EXPECT_EQ(load.config->server.max_body_bytes, 65536u);
  EXPECT_EQ(load.config->store.url, "sqlite:///var/lib/hf/hookfence.db");
  EXPECT_THAT(load.config->sources[0].provider.secrets,
              ElementsAre("whsec_from_env", "whsec_old", "literal$dollar"));
}

TEST(ParseConfigTest, UnsetVariableIsAnErrorAtItsValue) {
  const ConfigLoad load = Parse(R"([server]
admin_token = "token"

[[sources]]
name = "stripe"
provider = "stripe"
secrets = ["whsec_a", "${STRIPE_WEBHOOK_SECRET}"]
destination = "http://127.0.0.1:3000/stripe"
)");
  EXPECT_FALSE(load.config.has_value());
  EXPECT_THAT(load.errors,
              ElementsAre(IssueIs(7, 23,
                                  "sources[0].secrets[1]: environment variable "
                                  "STRIPE_WEBHOOK_SECRET is not set (use "
                                  "${STRIPE_WEBHOOK_SECRET:-default} for a default)")));
}

TEST(ParseConfigTest, EmptySecretIsAnError) {
  const ConfigLoad load = Parse(R"([[sources]]
name = "stripe"
provider = "stripe"
secrets = ["${STRIPE_WEBHOOK_SECRET:-}"]
destination = "http://127.0.0.1:3000/stripe"
)");
  EXPECT_FALSE(load.config.has_value());
  EXPECT_THAT(load.errors,
              ElementsAre(IssueIs(4, 12,
                                  "sources[0].secrets[0] is empty (after ${ENV} substitution); an "
                                  "empty key would let anyone forge a signature")));
}

TEST(ParseConfigTest, SecretsMustBeANonEmptyListOfStrings) {
  const ConfigLoad load = Parse(R"([[sources]]
name = "a"
provider = "stripe"
secrets = []
destination = "http://x/"
[[sources]]
name = "b"
provider = "stripe"
secrets = "whsec_single"
destination = "http://x/"
[[sources]]
name = "c"
provider = "stripe"
secrets = ["ok", 42]
destination = "http://x/"
)");
  EXPECT_THAT(
      load.errors,
      ElementsAre(IssueIs(4, 11, "sources[0].secrets is empty; list at least one secret"),
                  IssueIs(9, 11, "sources[1].secrets: expected an array of strings, got a string"),
                  IssueIs(14, 18, "sources[2].secrets[1]: expected a string, got an integer")));
}

TEST(ParseConfigTest, UnknownKeysNameLineColumnAndAllowedKeys) {
  const ConfigLoad load = Parse(WithSource(R"([server]
lisen = "127.0.0.1:8080"
[server.tls]
certificate = "x"
[store]
  ttl = "1d"
[metrics]
enabled = true
)"));
  EXPECT_FALSE(load.config.has_value());
  EXPECT_THAT(
      load.errors,
      ElementsAre(
          IssueIs(7, 2,
                  "unknown key \"metrics\" in the top level; allowed keys: server, store, "
                  "delivery, sources"),
          IssueIs(2, 1,
                  "unknown key \"lisen\" in [server] (did you mean \"listen\"?); allowed keys: "
                  "listen, max_body_bytes, max_header_bytes, admin_token, threads, read_timeout, "
                  "idle_timeout, log_level, max_loop_lag, tls"),
          IssueIs(4, 1, "unknown key \"certificate\" in [server.tls]; allowed keys: cert, key"),
          IssueIs(6, 3,
                  "unknown key \"ttl\" in [store]; allowed keys: url, volatile, lease, "
                  "max_clock_skew, retention, key_retention, dead_retention, capacity, "
                  "max_pending_writes, max_batch, sweep_interval")));
}

TEST(ParseConfigTest, UnknownKeyInSource) {
  const ConfigLoad load = Parse(std::string(kStripeSource) + "retries = 3\n");
  EXPECT_THAT(load.errors,
              ElementsAre(IssueIs(
                  7, 1,
                  "unknown key \"retries\" in [[sources]]; allowed keys: name, provider, "
                  "secrets, tolerance, destination, notification_url, signature_header, "
                  "encoding, prefix, id_header, mode, ordering_key, max_attempts, retry_4xx, "
                  "backoff_base, backoff_max, max_retry_after, connect_timeout, response_timeout, "
                  "max_in_flight, max_per_second, verify_tls, ca_file, headers, signing_secret, "
                  "breaker_failures, breaker_cool_down, breaker_max_cool_down, "
                  "max_response_bytes")));
}

TEST(ParseConfigTest, WrongTypesNameTheExpectedType) {
  const ConfigLoad load = Parse(WithSource(R"([server]
threads = "4"
listen = 8080
max_body_bytes = true
read_timeout = 10
[store]
volatile = "yes"
capacity = 1.5
)"));
  EXPECT_FALSE(load.config.has_value());
  EXPECT_THAT(
      load.errors,
      ElementsAre(
          IssueIs(3, 10, "server.listen: expected a string, got an integer"),
          IssueIs(4, 18,
                  "server.max_body_bytes: expected an integer or a size string such as \"1MiB\", "
                  "got a boolean"),
          IssueIs(2, 11, "server.threads: expected an integer, got a string"),
          IssueIs(5, 16,
                  "server.read_timeout: expected a duration string such as \"30s\", got an "
                  "integer"),
          IssueIs(7, 12, "store.volatile: expected a boolean (true or false), got a string"),
          IssueIs(8, 12, "store.capacity: expected an integer, got a floating-point number")));
}

TEST(ParseConfigTest, TablesMustBeTables) {
  const ConfigLoad load = Parse("server = 1\nstore = \"x\"\nsources = [1]\n");
  EXPECT_THAT(
      load.errors,
      ElementsAre(IssueIs(1, 10, "server: expected a table, got an integer"),
                  IssueIs(2, 9, "store: expected a table, got a string"),
                  IssueIs(3, 11,
                          "sources: expected an array of tables ([[sources]] entries), got an "
                          "array")));
}

TEST(ParseConfigTest, DuplicateSourceName) {
  const ConfigLoad load = Parse(std::string(kStripeSource) + std::string(kStripeSource));
  EXPECT_FALSE(load.config.has_value());
  EXPECT_THAT(load.errors,
              ElementsAre(IssueIs(9, 8,
                                  "sources[1].name: duplicate source name \"stripe\" (first "
                                  "defined at line 2)")));
}

TEST(ParseConfigTest, InvalidSourceName) {
  const ConfigLoad load = Parse(R"([[sources]]
name = "Stripe Live"
provider = "stripe"
secrets = ["k"]
destination = "http://x/"
)");
  EXPECT_THAT(load.errors,
              ElementsAre(IssueIs(2, 8,
                                  "sources[0].name: \"Stripe Live\" is not a valid source name "
                                  "([a-z0-9_-], 1 to 64 characters: it is the URL path "
                                  "/webhooks/<name>)")));
}

TEST(ParseConfigTest, MissingRequiredSourceKeys) {
  const ConfigLoad load = Parse("\n[[sources]]\ntolerance = \"1m\"\n");
  EXPECT_THAT(load.errors,
              ElementsAre(IssueIs(2, 1, "sources[0]: missing required key \"name\""),
                          IssueIs(2, 1, "sources[0]: missing required key \"provider\""),
                          IssueIs(2, 1, "sources[0]: missing required key \"secrets\""),
                          IssueIs(2, 1, "sources[0]: missing required key \"destination\"")));
}

TEST(ParseConfigTest, UnknownProvider) {
  const ConfigLoad load = Parse(R"([[sources]]
name = "pp"
provider = "paypal"
secrets = ["k"]
destination = "http://x/"
)");
  EXPECT_THAT(load.errors,
              ElementsAre(IssueIs(3, 12,
                                  "sources[0].provider: unknown provider \"paypal\"; expected one "
                                  "of stripe, standard-webhooks, svix, github, razorpay, shopify, "
                                  "slack, paddle, square, hmac")));
}

TEST(ParseConfigTest, KeyOfAnotherProviderIsAnError) {
  const ConfigLoad load =
      Parse(std::string(kStripeSource) + "notification_url = \"https://x/\"\nencoding = \"hex\"\n");
  EXPECT_THAT(load.errors,
              ElementsAre(IssueIs(7, 20,
                                  "sources[0].notification_url applies only to provider = "
                                  "\"square\", not \"stripe\""),
                          IssueIs(8, 12,
                                  "sources[0].encoding applies only to provider = \"hmac\", not "
                                  "\"stripe\"")));
}

TEST(ParseConfigTest, BadDestinationAndEncoding) {
  const ConfigLoad load = Parse(R"([[sources]]
name = "h"
provider = "hmac"
secrets = ["k"]
destination = "ftp://x/"
encoding = "base32"
)");
  EXPECT_THAT(load.errors,
              ElementsAre(IssueIs(5, 15,
                                  "sources[0].destination: \"ftp://x/\" is not an http:// or "
                                  "https:// URL with a host"),
                          IssueIs(6, 12,
                                  "sources[0].encoding: unknown encoding \"base32\"; expected hex "
                                  "or base64")));
}

TEST(ParseConfigTest, ProviderChecksAreReportedAtTheSource) {
  // Square needs the notification URL that Square signs; MakeProvider says so.
  const ConfigLoad load = Parse(R"(
[[sources]]
name = "sq"
provider = "square"
secrets = ["k"]
destination = "http://x/"
)");
  ASSERT_EQ(load.errors.size(), 1u) << Describe(load);
  EXPECT_THAT(load.errors[0], IssueAt(2, 1, StartsWith("sources[0] (provider \"square\"): ")));
}

TEST(ParseConfigTest, ListenAddresses) {
  struct Case {
    std::string_view listen;
    std::string_view host;
    std::uint16_t port;
  };
  for (const Case& c : {Case{"127.0.0.1:8080", "127.0.0.1", 8080}, Case{"0.0.0.0:0", "0.0.0.0", 0},
                        Case{"[::]:65535", "::", 65535}, Case{"localhost:443", "localhost", 443},
                        Case{"[::ffff:10.0.0.1]:80", "::ffff:10.0.0.1", 80}}) {
    const ConfigLoad load =
        Parse(WithSource("[server]\nlisten = \"" + std::string(c.listen) + "\"\n"));
    ASSERT_TRUE(load.config.has_value()) << c.listen << "\n" << Describe(load);
    EXPECT_EQ(load.config->server.listen_host, c.host);
    EXPECT_EQ(load.config->server.listen_port, c.port);
  }
}

TEST(ParseConfigTest, BadListenAddresses) {
  struct Case {
    std::string_view listen;
    std::string_view why;
  };
  for (const Case& c : {
           Case{"8080", "expected \"host:port\", e.g. \"127.0.0.1:8080\""},
           Case{":8080", "the host is empty (use 0.0.0.0 or [::] for every interface)"},
           Case{"127.0.0.1:65536", "the port must be a number from 0 to 65535"},
           Case{"127.0.0.1:", "the port must be a number from 0 to 65535"},
           Case{"127.0.0.1:80a", "the port must be a number from 0 to 65535"},
           Case{"127.0.0.1:-1", "the port must be a number from 0 to 65535"},
           Case{"::1:8080", "an IPv6 address goes in brackets, e.g. \"[::1]:8080\""},
           Case{"[::1]8080", "expected \"[IPv6]:port\", e.g. \"[::1]:8080\""},
           Case{"[example.com]:80", "brackets hold an IPv6 address such as \"::1\""},
           Case{"my host:80", "the host must be an IP address or a host name"},
       }) {
    const ConfigLoad load =
        Parse(WithSource("[server]\nlisten = \"" + std::string(c.listen) + "\"\n"));
    EXPECT_THAT(load.errors,
                ElementsAre(IssueIs(2, 10,
                                    "server.listen: invalid listen address \"" +
                                        std::string(c.listen) + "\": " + std::string(c.why))))
        << c.listen;
  }
}

TEST(ParseConfigTest, BadDurationsAndSizes) {
  const ConfigLoad load = Parse(WithSource(R"([server]
read_timeout = "0s"
idle_timeout = "10 s"
max_header_bytes = "16k"
max_body_bytes = 0
threads = -1
[store]
lease = "30"
max_clock_skew = "0s"
retention = "0s"
dead_retention = "1y"
max_batch = 0
)"));
  EXPECT_THAT(
      load.errors,
      ElementsAre(
          IssueIs(5, 18, "server.max_body_bytes must be larger than zero"),
          IssueIs(4, 20,
                  "server.max_header_bytes: invalid size \"16k\": unknown unit \"k\"; expected a "
                  "byte count, optionally with a unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), "
                  "e.g. \"16384\" or \"1MiB\""),
          IssueIs(6, 11, "server.threads: -1 is out of range; expected 0 to 1024"),
          IssueIs(2, 16, "server.read_timeout must be longer than zero"),
          IssueIs(3, 16,
                  "server.idle_timeout: invalid duration \"10 s\": unknown unit \" s\"; expected "
                  "a number followed by a unit (d, h, m, s, ms, us), e.g. \"30s\", \"5m\" or "
                  "\"1h30m\""),
          IssueIs(8, 9,
                  "store.lease: invalid duration \"30\": the number has no unit; expected a "
                  "number followed by a unit (d, h, m, s, ms, us), e.g. \"30s\", \"5m\" or "
                  "\"1h30m\""),
          IssueIs(11, 18,
                  "store.dead_retention: invalid duration \"1y\": unknown unit \"y\"; expected a "
                  "number followed by a unit (d, h, m, s, ms, us), e.g. \"30s\", \"5m\" or "
                  "\"1h30m\""),
          IssueIs(12, 13, "store.max_batch: 0 is out of range; expected at least 1")));
}

TEST(ParseConfigTest, ZeroIsAllowedWhereItMeansSomething) {
  const ConfigLoad load = Parse(WithSource(R"([store]
max_clock_skew = "0s"
retention = "0s"
dead_retention = "0s"
capacity = 0
max_pending_writes = 0
)"));
  ASSERT_TRUE(load.config.has_value()) << Describe(load);
  EXPECT_EQ(load.config->store.max_clock_skew, 0s);
  EXPECT_EQ(load.config->store.retention, 0s);
  EXPECT_EQ(load.config->store.dead_retention, 0s);
  EXPECT_EQ(load.config->store.max_pending_writes, 0u);
}

TEST(ParseConfigTest, MemoryStoreNeedsVolatile) {
  const ConfigLoad refused = Parse(WithSource("[store]\nurl = \"memory://\"\n"));
  EXPECT_FALSE(refused.config.has_value());
  EXPECT_THAT(refused.errors,
              ElementsAre(IssueIs(2, 7,
                                  "store.url: memory:// is not durable (every event is lost when "
                                  "the process exits) and the gateway refuses a non-durable "
                                  "store; set [store] volatile = true to allow it (tests and "
                                  "demos only)")));

  const ConfigLoad allowed = Parse(WithSource("[store]\nurl = \"memory://\"\nvolatile = true\n"));
  ASSERT_TRUE(allowed.config.has_value()) << Describe(allowed);
  EXPECT_EQ(allowed.config->store.url, "memory://");
  EXPECT_TRUE(allowed.config->store.volatile_ok);
}

TEST(ParseConfigTest, StoreUrlSchemes) {
  for (const char* url : {"postgres://hookfence:pw@db:5432/hookfence?pool_size=4",
                          "redis://127.0.0.1:6379/0", "mysql://hookfence:pw@db/hookfence"}) {
    const ConfigLoad shared = Parse(WithSource(std::string("[store]\nurl = \"") + url + "\"\n"));
    EXPECT_TRUE(shared.errors.empty()) << url;
    ASSERT_TRUE(shared.config.has_value()) << url;
    EXPECT_EQ(shared.config->store.url, url);
  }
  const ConfigLoad bad_port = Parse(WithSource("[store]\nurl = \"postgres://db:99999/x\"\n"));
  EXPECT_THAT(bad_port.errors, ElementsAre(IssueAt(2, 7, HasSubstr("port '99999'"))));
  const ConfigLoad no_scheme = Parse(WithSource("[store]\nurl = \"hookfence.db\"\n"));
  EXPECT_THAT(no_scheme.errors,
              ElementsAre(IssueAt(2, 7,
                                  HasSubstr("has no scheme; expected memory://, sqlite://PATH, "
                                            "postgres://, redis:// or mysql://"))));
}

TEST(ParseConfigTest, TlsNeedsCertAndKey) {
  const ConfigLoad load = Parse(WithSource("[server.tls]\ncert = \"/c.pem\"\n"));
  EXPECT_THAT(load.errors, ElementsAre(IssueIs(1, 1,
                                               "[server.tls]: cert is set but key is not; set "
                                               "both for HTTPS, or neither for plain HTTP")));
  const ConfigLoad key_only = Parse(WithSource("[server.tls]\nkey = \"/k.pem\"\n"));
  EXPECT_THAT(key_only.errors,
              ElementsAre(IssueAt(1, 1, StartsWith("[server.tls]: key is set but cert is not"))));
}

TEST(ParseConfigTest, BadLogLevel) {
  const ConfigLoad load = Parse(WithSource("[server]\nlog_level = \"verbose\"\n"));
  EXPECT_THAT(load.errors,
              ElementsAre(IssueIs(2, 13,
                                  "server.log_level: unknown level \"verbose\"; expected one of "
                                  "trace, debug, info, warn, error, off")));
}

TEST(ParseConfigTest, ShortKeyRetentionWarnsForStripe) {
  const ConfigLoad load = Parse(WithSource(R"([server]
admin_token = "t"
[store]
key_retention = "1d"
)"));
  ASSERT_TRUE(load.config.has_value()) << Describe(load);
  EXPECT_THAT(load.errors, IsEmpty());
  EXPECT_THAT(load.warnings,
              ElementsAre(IssueIs(4, 17,
                                  "store.key_retention (1d) is shorter than the retry horizon of "
                                  "source \"stripe\" (3d: Stripe retries for up to 3 days); an "
                                  "event redelivered after its record is swept is accepted as "
                                  "new")));
}

TEST(ParseConfigTest, KeyRetentionAtTheHorizonDoesNotWarn) {
  const ConfigLoad load =
      Parse(WithSource("[server]\nadmin_token = \"t\"\n[store]\nkey_retention = \"3d\"\n"));
  ASSERT_TRUE(load.config.has_value()) << Describe(load);
  EXPECT_THAT(load.warnings, IsEmpty());
}

TEST(ParseConfigTest, EmptyAdminTokenWarnsAtItsLine) {
  const ConfigLoad load =
      Parse(WithSource("[server]\nadmin_token = \"${HOOKFENCE_ADMIN_TOKEN:-}\"\n"));
  ASSERT_TRUE(load.config.has_value()) << Describe(load);
  EXPECT_THAT(load.warnings,
              ElementsAre(IssueAt(2, 15, StartsWith("server.admin_token is empty"))));
}

TEST(ParseConfigTest, ReportsEveryErrorAtOnce) {
  const ConfigLoad load = Parse(R"([server]
listen = "nowhere"
colour = "blue"
[store]
url = "memory://"
lease = "0s"
[[sources]]
name = "a"
provider = "stripe"
secrets = [""]
destination = "http://x/"
)");
  EXPECT_FALSE(load.config.has_value());
  EXPECT_THAT(load.errors,
              ElementsAre(IssueAt(3, 1, StartsWith("unknown key \"colour\" in [server]")),
                          IssueAt(2, 10, StartsWith("server.listen: invalid listen address")),
                          IssueAt(5, 7, StartsWith("store.url: memory:// is not durable")),
                          IssueIs(6, 9, "store.lease must be longer than zero"),
                          IssueAt(10, 12, StartsWith("sources[0].secrets[0] is empty"))));
}

TEST(ParseConfigTest, SyntaxErrorHasItsLine) {
  const ConfigLoad load = Parse("[server]\nlisten = \"127.0.0.1:8080\"\nthreads = = 4\n");
  EXPECT_FALSE(load.config.has_value());
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_EQ(load.errors[0].line, 3);
  EXPECT_GT(load.errors[0].column, 0);
  EXPECT_FALSE(load.errors[0].message.empty());
  EXPECT_THAT(load.warnings, IsEmpty());
}

TEST(ParseConfigTest, DuplicateKeyIsASyntaxError) {
  const ConfigLoad load = Parse("[store]\nlease = \"1s\"\n\nlease = \"2s\"\n");
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_EQ(load.errors[0].line, 4);
}

TEST(ParseConfigTest, ExampleConfigLoads) {
  const ConfigLoad load = LoadConfigFile(HOOKFENCE_EXAMPLE_CONFIG, FakeEnv());
  ASSERT_TRUE(load.config.has_value()) << Describe(load);
  EXPECT_THAT(load.errors, IsEmpty());
  // Without HOOKFENCE_ADMIN_TOKEN the admin API is off, and check-config says so.
  ASSERT_EQ(load.warnings.size(), 1u) << Describe(load);
  EXPECT_THAT(load.warnings[0].message, StartsWith("server.admin_token is empty"));
  const Config& config = *load.config;
  EXPECT_EQ(config.server.listen_host, "127.0.0.1");
  EXPECT_EQ(config.server.listen_port, 8080);
  EXPECT_EQ(config.store.url, "sqlite://hookfence.db");
  ASSERT_EQ(config.sources.size(), 1u);
  EXPECT_EQ(config.sources[0].name, "stripe");
  EXPECT_EQ(config.sources[0].provider.provider, "stripe");
  EXPECT_EQ(config.sources[0].destination, "http://127.0.0.1:3000/stripe");
  ASSERT_EQ(config.sources[0].provider.secrets.size(), 1u);
  EXPECT_THAT(config.sources[0].provider.secrets[0], StartsWith("whsec_"));

  const ConfigLoad with_env = LoadConfigFile(
      HOOKFENCE_EXAMPLE_CONFIG,
      FakeEnv({{"STRIPE_WEBHOOK_SECRET", "whsec_live"}, {"HOOKFENCE_ADMIN_TOKEN", "admin"}}));
  ASSERT_TRUE(with_env.config.has_value()) << Describe(with_env);
  EXPECT_THAT(with_env.warnings, IsEmpty());
  EXPECT_EQ(with_env.config->server.admin_token, "admin");
  EXPECT_THAT(with_env.config->sources[0].provider.secrets, ElementsAre("whsec_live"));
}

// The "complete example" in docs/configuration.md must stay loadable.
TEST(ParseConfigTest, DocumentedExampleLoads) {
  std::ifstream file(HOOKFENCE_CONFIGURATION_DOC);
  std::stringstream doc;
  doc << file.rdbuf();
  const std::string text = doc.str();
  const std::size_t section = text.find("## A complete example");
  ASSERT_NE(section, std::string::npos);
  const std::size_t begin = text.find("```toml\n", section);
  ASSERT_NE(begin, std::string::npos);
  const std::size_t end = text.find("```", begin + 8);
  ASSERT_NE(end, std::string::npos);
  const ConfigLoad load =
      Parse(text.substr(begin + 8, end - (begin + 8)),
            FakeEnv({{"HOOKFENCE_ADMIN_TOKEN", "admin"},
                     {"STRIPE_WEBHOOK_SECRET", "whsec_a"},
                     {"SQUARE_SIGNATURE_KEY", "sq"},
                     {"INTERNAL_HOOK_KEY", "k"},
                     {"APP_TOKEN", "t"},
                     {"HOOKFENCE_SIGNING_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}));
  ASSERT_TRUE(load.config.has_value()) << Describe(load);
  EXPECT_THAT(load.warnings, IsEmpty()) << Describe(load);
  EXPECT_EQ(load.config->server.listen_port, 8443);
  EXPECT_TRUE(load.config->server.tls.enabled());
  EXPECT_EQ(load.config->sources.size(), 3u);
}

TEST(ProcessEnvTest, ReadsTheEnvironment) {
  const EnvLookup env = ProcessEnv();
  EXPECT_EQ(env("HOOKFENCE_TEST_SURELY_UNSET_VARIABLE"), std::nullopt);
  EXPECT_TRUE(env("PATH").has_value());
}

// A config file every user can read warns when it holds secrets written in it, naming them and
// the fixes; a private file, or secrets from the environment, do not.
TEST(LoadConfigFileTest, WorldReadableFileWithLiteralSecretsWarns) {
  char path[] = "/tmp/hookfence-config-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  const auto write = [&](const std::string& text, mode_t mode) {
    std::ofstream(path, std::ios::trunc) << text;
    ASSERT_EQ(chmod(path, mode), 0);
  };
  const std::string literal = std::string(
                                  "[server]\nadmin_token = \"tok-literal\"\n[store]\n"
                                  "url = \"postgres://hf:pw@db/hf\"\n") +
                              std::string(kStripeSource);
  write(literal, 0644);
  ConfigLoad load = LoadConfigFile(path, FakeEnv());
  ASSERT_TRUE(load.config.has_value());
  EXPECT_THAT(load.literal_secrets,
              ElementsAre("server.admin_token", "store.url (password)", "sources[0].secrets[0]"));
  EXPECT_THAT(load.warnings,
              Contains(IssueIs(0, 0,
                               "the file is readable by every user (mode 0644) and holds secrets "
                               "written in it (server.admin_token, store.url (password), "
                               "sources[0].secrets[0]); run chmod 600 \"" +
                                   std::string(path) +
                                   "\", or take them from the environment, e.g. secrets = "
                                   "[\"${STRIPE_WEBHOOK_SECRET}\"]")));
  write(literal, 0600);
  load = LoadConfigFile(path, FakeEnv());
  EXPECT_THAT(load.warnings, Not(Contains(IssueAt(0, 0, HasSubstr("readable by every user")))));
  write(std::string("[server]\nadmin_token = \"${TOKEN}\"\n") +
            "[[sources]]\nname = \"stripe\"\nprovider = \"stripe\"\n"
            "secrets = [\"${STRIPE_SECRET}\"]\ndestination = \"http://127.0.0.1:3000/\"\n",
        0644);
  load = LoadConfigFile(path, FakeEnv({{"TOKEN", "t"}, {"STRIPE_SECRET", "whsec_x"}}));
  ASSERT_TRUE(load.config.has_value()) << load.errors.size();
  EXPECT_TRUE(load.literal_secrets.empty());
  EXPECT_THAT(load.warnings, Not(Contains(IssueAt(0, 0, HasSubstr("readable by every user")))));
  unlink(path);
}

TEST(LoadConfigFileTest, UnreadableFileIsOneError) {
  const ConfigLoad load = LoadConfigFile("/nonexistent/hookfence.toml", FakeEnv());
  EXPECT_FALSE(load.config.has_value());
  EXPECT_THAT(load.errors,
              ElementsAre(IssueIs(0, 0,
                                  "cannot read \"/nonexistent/hookfence.toml\": No such file or "
                                  "directory")));
}

TEST(FormatIssuesTest, OneLinePerIssue) {
  const std::vector<ConfigIssue> issues = {
      {3, 7, "bad thing"}, {0, 0, "no place"}, {5, 0, "a line only"}};
  EXPECT_EQ(FormatIssues("hookfence.toml", issues, "error"),
            "hookfence.toml:3:7: error: bad thing\n"
            "hookfence.toml: error: no place\n"
            "hookfence.toml:5: error: a line only\n");
  EXPECT_EQ(FormatIssues("x", {}, "warning"), "");
}

TEST(ToStoreOptionsTest, CopiesTheStoreTable) {
  StoreConfig store;
  store.max_clock_skew = 2s;
  store.retention = 1h;
  store.key_retention = 2h;
  store.dead_retention = 3h;
  store.capacity = 10;
  store.max_pending_writes = 20;
  store.max_batch = 30;
  const StoreOptions options = ToStoreOptions(store);
  EXPECT_EQ(options.clock, Clock::Real());
  EXPECT_EQ(options.max_clock_skew, 2s);
  EXPECT_EQ(options.retention, 1h);
  EXPECT_EQ(options.key_retention, 2h);
  EXPECT_EQ(options.dead_retention, 3h);
  EXPECT_EQ(options.capacity, 10u);
  EXPECT_EQ(options.max_pending_writes, 20u);
  EXPECT_EQ(options.max_batch, 30u);
}

}  // namespace
}  // namespace hookfence::server

namespace hookfence::server {
namespace {

TEST(DeliveryConfigTest, DefaultsMatchTheDocumentation) {
  const ConfigLoad load = Parse(kStripeSource);
  ASSERT_TRUE(load.config.has_value()) << Describe(load);
  const Config& config = *load.config;
  EXPECT_EQ(config.delivery.max_held, 1024u);
  EXPECT_EQ(config.delivery.poll_interval, 1s);
  EXPECT_EQ(config.delivery.shutdown_grace, 10s);
  const DeliveryConfig& delivery = config.sources.at(0).delivery;
  EXPECT_EQ(delivery.mode, SourceMode::kAsync);
  EXPECT_EQ(delivery.ordering_key, "");
  EXPECT_EQ(delivery.max_attempts, 12);
  EXPECT_FALSE(delivery.retry_4xx);
  EXPECT_EQ(delivery.backoff_base, 5min);
  EXPECT_EQ(delivery.backoff_max, 16h);
  EXPECT_EQ(delivery.response_timeout, 30s);
  EXPECT_EQ(delivery.max_in_flight, 64);
  EXPECT_EQ(delivery.max_per_second, 0);
  EXPECT_TRUE(delivery.verify_tls);
  EXPECT_THAT(delivery.headers, IsEmpty());
  EXPECT_EQ(delivery.signing_secret, "");
  EXPECT_EQ(delivery.breaker_failures, 5);
  EXPECT_EQ(delivery.max_response_bytes, 65536u);
}

TEST(DeliveryConfigTest, ReadsEveryKey) {
  const ConfigLoad load = Parse(R"(
[delivery]
max_held = 10
poll_interval = "50ms"
shutdown_grace = "0s"

[[sources]]
name = "app"
provider = "stripe"
secrets = ["whsec_test"]
destination = "https://app.example.com/hooks"
mode = "sync"
ordering_key = "data.object.id"
max_attempts = 3
retry_4xx = true
backoff_base = "100ms"
backoff_max = "1s"
max_retry_after = "2s"
connect_timeout = "1s"
response_timeout = "2s"
max_in_flight = 4
max_per_second = 0.5
verify_tls = false
ca_file = "/etc/ssl/app.pem"
headers = { Authorization = "Bearer ${TOKEN}", X-Tenant = "acme" }
signing_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
breaker_failures = 2
breaker_cool_down = "1s"
breaker_max_cool_down = "4s"
max_response_bytes = "1KiB"
)",
                                FakeEnv({{"TOKEN", "t0k"}}));
  ASSERT_TRUE(load.config.has_value()) << Describe(load);
  const Config& config = *load.config;
  EXPECT_EQ(config.delivery.max_held, 10u);
  EXPECT_EQ(config.delivery.poll_interval, 50ms);
  EXPECT_EQ(config.delivery.shutdown_grace, 0s);
  const DeliveryConfig& delivery = config.sources.at(0).delivery;
  EXPECT_EQ(delivery.mode, SourceMode::kSync);
  EXPECT_EQ(delivery.ordering_key, "data.object.id");
  EXPECT_EQ(delivery.max_attempts, 3);
  EXPECT_TRUE(delivery.retry_4xx);
  EXPECT_EQ(delivery.backoff_base, 100ms);
  EXPECT_EQ(delivery.backoff_max, 1s);
  EXPECT_EQ(delivery.max_retry_after, 2s);
  EXPECT_EQ(delivery.connect_timeout, 1s);
  EXPECT_EQ(delivery.response_timeout, 2s);
  EXPECT_EQ(delivery.max_in_flight, 4);
  EXPECT_EQ(delivery.max_per_second, 0.5);
  EXPECT_FALSE(delivery.verify_tls);
  EXPECT_EQ(delivery.ca_file, "/etc/ssl/app.pem");
  EXPECT_THAT(delivery.headers,
              ElementsAre(std::pair<std::string, std::string>("Authorization", "Bearer t0k"),
                          std::pair<std::string, std::string>("X-Tenant", "acme")));
  EXPECT_EQ(delivery.signing_secret, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  EXPECT_EQ(delivery.breaker_failures, 2);
  EXPECT_EQ(delivery.breaker_cool_down, 1s);
  EXPECT_EQ(delivery.breaker_max_cool_down, 4s);
  EXPECT_EQ(delivery.max_response_bytes, 1024u);
}

TEST(DeliveryConfigTest, RefusesBadDeliverySettings) {
  struct Case {
    std::string keys;
    std::string expected;
  };
  const Case cases[] = {
      {R"(mode = "fire-and-forget")", "sources[0].mode: unknown mode \"fire-and-forget\""},
      {R"(ordering_key = "$.data.id")", "sources[0].ordering_key: "},
      {R"(ordering_key = "items[0].id")", "sources[0].ordering_key: "},
      {"max_attempts = 0", "sources[0].max_attempts: 0 is out of range"},
      {"max_in_flight = 0", "sources[0].max_in_flight: 0 is out of range"},
      {R"(backoff_base = "2h"
backoff_max = "1h")",
       "sources[0] (backoff_base, backoff_max): "},
      {R"(breaker_cool_down = "1h"
breaker_max_cool_down = "1m")",
       "sources[0] (breaker_cool_down, breaker_max_cool_down): "},
      {"max_per_second = -1", "sources[0].max_per_second: "},
      {R"(max_per_second = "fast")", "sources[0].max_per_second: expected a number"},
      {R"(headers = "Authorization: x")", "sources[0].headers: expected a table"},
      {R"(headers = { Idempotency-Key = "mine" })", "sources[0] (headers, signing_secret): "},
      {R"(signing_secret = "not-a-whsec")", "sources[0] (headers, signing_secret): "},
      {R"(response_timeout = "0s")", "sources[0].response_timeout must be longer than zero"},
      {"retry_4xx = 1", "sources[0].retry_4xx: expected a boolean"},
  };
  for (const Case& c : cases) {
    const ConfigLoad load = Parse(std::string(kStripeSource) + c.keys + "\n");
    EXPECT_FALSE(load.config.has_value()) << c.keys;
    ASSERT_FALSE(load.errors.empty()) << c.keys;
    EXPECT_THAT(load.errors[0].message, StartsWith(c.expected)) << c.keys << "\n" << Describe(load);
  }
  const ConfigLoad dispatcher = Parse(WithSource("[delivery]\nmax_held = 0\npoll = \"1s\"\n"));
  ASSERT_EQ(dispatcher.errors.size(), 2u) << Describe(dispatcher);
  EXPECT_THAT(dispatcher.errors[0].message, StartsWith("unknown key \"poll\" in [delivery]"));
  EXPECT_THAT(dispatcher.errors[1].message, StartsWith("delivery.max_held: 0 is out of range"));
}

}  // namespace
}  // namespace hookfence::server

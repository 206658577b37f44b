// The gateway's configuration (hookfence.toml) as typed values, and its loader.
//
// One TOML file; `${ENV}` and `${ENV:-default}` are substituted in string values; an unset variable
// without a default, or an empty secret, is an error. Every other setting has a default; unknown
// keys are rejected. Errors carry the line and column they refer to.
// Thread-safety: plain values; the loader functions are reentrant.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hookfence/clock.h"
#include "hookfence/providers.h"
#include "hookfence/result.h"
#include "hookfence/store.h"

namespace hookfence::server {

struct TlsConfig {
  std::string cert_file;  // PEM certificate chain; empty: plain HTTP
  std::string key_file;   // PEM private key
  bool enabled() const { return !cert_file.empty(); }
};

struct ServerConfig {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8080;  // 0: any free port (tests)
  std::uint64_t max_body_bytes = 1048576;
  std::uint64_t max_header_bytes = 16384;  // request line + headers
  std::string admin_token;                 // empty: the admin API refuses every request (401)
  int threads = 0;                         // I/O threads; 0: one per core
  Duration read_timeout = std::chrono::seconds(10);  // to read one whole request
  Duration idle_timeout = std::chrono::seconds(60);  // between keep-alive requests
  std::string log_level = "info";                    // trace | debug | info | warn | error | off
  // How late an I/O thread's loop may run before new webhooks on it get 429 overloaded (LoopLag).
  // Past it the loop is well behind (a refused event waits for the provider's retry, so not
  // sooner). 0: never refuse for it.
  Duration max_loop_lag = std::chrono::milliseconds(20);
  TlsConfig tls;
};

struct StoreConfig {
  std::string url = "sqlite://hookfence.db";
  bool volatile_ok = false;  // [store] volatile: allow memory:// (events are lost on exit)
  Duration lease = std::chrono::seconds(30);
  Duration max_clock_skew = std::chrono::seconds(1);
  Duration retention = std::chrono::hours(24 * 7);
  Duration key_retention = std::chrono::hours(24 * 30);
  Duration dead_retention = std::chrono::hours(24 * 30);
  std::uint64_t capacity = 0;                // 0: unbounded
  std::uint64_t max_pending_writes = 10000;  // past it: 429 overloaded
  std::uint64_t max_batch = 512;
  Duration sweep_interval = std::chrono::minutes(1);
};

// How a source's events reach its destination (docs/delivery.md).
enum class SourceMode {
  kAsync,  // answer the provider once stored; the dispatcher delivers (at least once)
  kSync,   // forward inline and answer with the app's response (stored and replayed)
};

// A source's delivery settings: its destination's client, limits, breaker and retry policy.
struct DeliveryConfig {
  SourceMode mode = SourceMode::kAsync;
  std::string ordering_key;  // a JSON path such as "data.object.id"; empty: unordered
  int max_attempts = 12;
  bool retry_4xx = false;
  Duration backoff_base = std::chrono::minutes(5);
  Duration backoff_max = std::chrono::hours(16);
  Duration max_retry_after = std::chrono::hours(16);
  Duration connect_timeout = std::chrono::seconds(5);
  Duration response_timeout = std::chrono::seconds(30);
  int max_in_flight = 64;     // requests to the destination at once
  double max_per_second = 0;  // 0: no rate limit
  bool verify_tls = true;
  std::string ca_file;         // PEM bundle for https destinations; empty: system store
  Headers headers;             // static headers on every delivery (e.g. Authorization)
  std::string signing_secret;  // "whsec_…": sign deliveries (Standard Webhooks); empty: no
  int breaker_failures = 5;    // consecutive failures that open the circuit breaker
  Duration breaker_cool_down = std::chrono::seconds(30);
  Duration breaker_max_cool_down = std::chrono::minutes(10);
  std::uint64_t max_response_bytes = 65536;  // the app's answer kept (sync mode replays it)
};

struct SourceConfig {
  std::string name;         // [a-z0-9_-]{1,64}; served at POST /webhooks/<name>
  ProviderConfig provider;  // provider, secrets, tolerance and provider-specific keys
  std::string destination;  // where events are delivered (http(s) URL)
  DeliveryConfig delivery;
  int line = 0;  // where the [[sources]] entry starts, for messages
};

// The dispatcher of this gateway ([delivery]).
struct DispatcherConfig {
  // Events leased to this gateway's dispatcher at once (waiting or in flight). Past it, new
  // events are stored Queued and claimed from the store as room frees up.
  std::uint64_t max_held = 1024;
  // How often the store is polled for retries that fell due and leases that lapsed.
  Duration poll_interval = std::chrono::seconds(1);
  // How long shutdown waits for deliveries in flight before giving up on them (their leases
  // lapse and another claim redelivers them).
  Duration shutdown_grace = std::chrono::seconds(10);
};

struct Config {
  ServerConfig server;
  StoreConfig store;
  DispatcherConfig delivery;
  std::vector<SourceConfig> sources;
};

struct ConfigIssue {
  int line = 0;  // 1-based; 0 when the issue has no single place
  int column = 0;
  std::string message;
};

struct ConfigLoad {
  std::optional<Config> config;       // set when there are no errors
  std::vector<ConfigIssue> errors;    // every error found, not only the first
  std::vector<ConfigIssue> warnings;  // e.g. key_retention shorter than a provider's retries
  // Where the text holds a secret written in it rather than taken from ${ENV} (e.g.
  // "sources[0].secrets[0]", "server.admin_token", "store.url (password)"), in file order.
  std::vector<std::string> literal_secrets;
};

// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
// The process environment.
EnvLookup ProcessEnv();

// Parses and validates configuration text. `origin` names it in messages (usually the path).
ConfigLoad ParseConfig(std::string_view toml, std::string_view origin, const EnvLookup& env);
// Reads and parses a file; a file that cannot be read is one error.
ConfigLoad LoadConfigFile(const std::string& path, const EnvLookup& env);

// "250ms", "30s", "5m", "2h", "7d", or combinations such as "1h30m" (units d h m s ms us, largest
// first, each at most once; "0s" for zero). kInvalidArgument otherwise, also past ~292 000 years.
Result<Duration> ParseDuration(std::string_view text);
// An integer byte count, or with a unit: "512", "512B", "64KiB", "1MiB", "2GiB", "1TiB" (also
// KB/MB/GB/TB = powers of 1000). kInvalidArgument otherwise, also past 2^64 - 1.
Result<std::uint64_t> ParseSize(std::string_view text);

// "origin:line:column: kind: message\n" per issue, for people (check-config, serve); kind is e.g.
// "error" or "warning". The column, or line and column, are left out where they are 0.
std::string FormatIssues(std::string_view origin, const std::vector<ConfigIssue>& issues,
                         std::string_view kind);

// StoreOptions from the [store] table (the clock is left at its default).
StoreOptions ToStoreOptions(const StoreConfig& store);

}  // namespace hookfence::server

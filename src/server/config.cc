// The hookfence.toml loader: toml++ parses, this file checks every key against the schema in
// docs/configuration.md and collects every error and warning with its line and column.
#include "src/server/config.h"

#include <sys/stat.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <span>
#include <sstream>
#include <utility>

#include "src/delivery/app_request.h"
#include "src/delivery/backoff.h"
#include "src/delivery/circuit_breaker.h"
#include "src/delivery/ordering_key.h"
#include "src/delivery/rate_limiter.h"
#include "src/server/env_substitution.h"
#include "src/store/store_url.h"

namespace hookfence::server {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kTopKeys[] = {"server", "store", "delivery", "sources"};
constexpr std::string_view kDeliveryKeys[] = {"max_held", "poll_interval", "shutdown_grace"};
constexpr std::string_view kServerKeys[] = {
    "listen",       "max_body_bytes", "max_header_bytes", "admin_token",  "threads",
    "read_timeout", "idle_timeout",   "log_level",        "max_loop_lag", "tls"};
constexpr std::string_view kTlsKeys[] = {"cert", "key"};
constexpr std::string_view kStoreKeys[] = {
    "url",           "volatile",       "lease",    "max_clock_skew",     "retention",
    "key_retention", "dead_retention", "capacity", "max_pending_writes", "max_batch",
    "sweep_interval"};
constexpr std::string_view kSourceKeys[] = {
    "name", "provider", "secrets", "tolerance", "destination", "notification_url",
    "signature_header", "encoding", "prefix", "id_header",
    // Delivery (docs/delivery.md).
    "mode", "ordering_key", "max_attempts", "retry_4xx", "backoff_base", "backoff_max",
    "max_retry_after", "connect_timeout", "response_timeout", "max_in_flight", "max_per_second",
    "verify_tls", "ca_file", "headers", "signing_secret", "breaker_failures", "breaker_cool_down",
    "breaker_max_cool_down", "max_response_bytes"};
constexpr std::string_view kModes[] = {"async", "sync"};
constexpr std::string_view kLogLevels[] = {"trace", "debug", "info", "warn", "error", "off"};
constexpr int kMaxThreads = 1024;

// Keys that belong to one provider only.
struct ProviderSpecificKey {
  std::string_view key;
  std::string_view provider;
};
constexpr ProviderSpecificKey kProviderSpecificKeys[] = {
    {"notification_url", "square"}, {"signature_header", "hmac"},
    {"encoding", "hmac"},           {"prefix", "hmac"},
    {"id_header", "hmac"},
};

// How long after the first attempt a provider may still send the same event again (DESIGN §3).
// docs/configuration.md cites where each figure comes from; keep the two in step.
struct RetryHorizon {
  std::string_view provider;
  Duration horizon;
  std::string_view why;
};
constexpr RetryHorizon kRetryHorizons[] = {
    {"stripe", 72h, "Stripe retries for up to 3 days"},
    {"razorpay", 24h * 8, "Razorpay retries for 24 hours, then allows manual replays for 7 days"},
    {"github", 72h, "GitHub never retries, but deliveries can be redelivered by hand for 3 days"},
    {"shopify", 48h, "Shopify has retried for up to 48 hours"},
    {"slack", 1h, "Slack retries within minutes; hookfence allows 1 hour"},
    {"paddle", 72h, "Paddle retries for up to 3 days"},
    {"square", 24h, "Square retries for up to 24 hours"},
    {"standard-webhooks", 28h, "Standard Webhooks senders such as Svix retry for about 28 hours"},
    {"svix", 28h, "Svix retries for about 28 hours"},
};

std::string Quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::string Join(std::span<const std::string_view> items) {
  std::string out;
  for (std::string_view item : items) {
    if (!out.empty()) {
      out += ", ";
    }
    out += item;
  }
  return out;
}

bool Contains(std::span<const std::string_view> items, std::string_view item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

// Levenshtein distance, for "did you mean" hints on misspelt keys.
std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string_view TypeName(toml::node_type type) {
  switch (type) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    default:
      return "nothing";
  }
}

// "1d", "1h30m", "250ms": the shortest spelling ParseDuration reads back.
std::string FormatDuration(Duration duration) {
  struct Unit {
    std::string_view name;
    std::int64_t micros;
  };
  static constexpr Unit kUnits[] = {{"d", 86'400'000'000}, {"h", 3'600'000'000}, {"m", 60'000'000},
                                    {"s", 1'000'000},      {"ms", 1'000},        {"us", 1}};
  std::int64_t left = duration.count();
  if (left == 0) {
    return "0s";
  }
  std::string out;
  for (const Unit& unit : kUnits) {
    if (left >= unit.micros) {
      out += std::to_string(left / unit.micros);
      out += unit.name;
      left %= unit.micros;
    }
  }
  return out;
}

bool IsSourceName(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// An absolute http:// or https:// URL with a host, and no whitespace or control characters.
bool IsHttpUrl(std::string_view url) {
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else {
    return false;
  }
  const bool printable = std::all_of(url.begin(), url.end(), [](char c) {
    return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
  });
  const std::size_t authority_end = rest.find_first_of("/?#");
  return printable && authority_end != 0 && !rest.empty();
}

struct Listen {
  std::string host;
  std::uint16_t port = 0;
};

// "host:port" or "[ipv6]:port"; kInvalidArgument explaining what is wrong.
Result<Listen> ParseListen(std::string_view text) {
  const auto invalid = [&](std::string_view why) {
    return InvalidArgumentError("invalid listen address " + Quoted(text) + ": " + std::string(why));
  };
  std::string_view host;
  std::string_view port;
  if (text.starts_with("[")) {
    const std::size_t close = text.find("]:");
    if (close == std::string_view::npos) {
      return invalid("expected \"[IPv6]:port\", e.g. \"[::1]:8080\"");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    const bool ipv6_chars = std::all_of(host.begin(), host.end(), [](char c) {
      return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.';
    });
    if (host.find(':') == std::string_view::npos || !ipv6_chars) {
      return invalid("brackets hold an IPv6 address such as \"::1\"");
    }
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return invalid("expected \"host:port\", e.g. \"127.0.0.1:8080\"");
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return invalid("an IPv6 address goes in brackets, e.g. \"[::1]:8080\"");
    }
    const bool host_chars = std::all_of(host.begin(), host.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == '_';
    });
    if (!host_chars) {
      return invalid("the host must be an IP address or a host name");
    }
  }
  if (host.empty()) {
    return invalid("the host is empty (use 0.0.0.0 or [::] for every interface)");
  }
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return invalid("the port must be a number from 0 to 65535");
  }
  const long value = std::strtol(std::string(port).c_str(), nullptr, 10);
  if (value > 65535) {
    return invalid("the port must be a number from 0 to 65535");
  }
  return Listen{std::string(host), static_cast<std::uint16_t>(value)};
}

// Checks a parsed document against the schema, filling a Config and the issues found.
class Loader {
 public:
  explicit Loader(const EnvLookup& env) : env_(env) {}

  ConfigLoad Run(std::string_view text, std::string_view origin) {
    toml::table root;
    try {
      root = toml::parse(text, origin);
    } catch (const toml::parse_error& error) {
      AddError(error.source(), std::string(error.description()));
      return std::move(load_);
    }
    CheckKeys(root, "the top level", kTopKeys);
    if (const toml::node* server = root.get("server")) {
      if (const toml::table* table = ExpectTable(*server, "server")) {
        LoadServer(*table);
      }
    }
    if (const toml::node* store = root.get("store")) {
      if (const toml::table* table = ExpectTable(*store, "store")) {
        LoadStore(*table);
      }
    }
    if (const toml::node* delivery = root.get("delivery")) {
      if (const toml::table* table = ExpectTable(*delivery, "delivery")) {
        LoadDispatcher(*table);
      }
    }
    if (const toml::node* sources = root.get("sources")) {
      LoadSources(*sources);
    }
    CrossCheck();
    if (load_.errors.empty()) {
      load_.config = std::move(config_);
    }
    return std::move(load_);
  }

 private:
  static ConfigIssue IssueAt(const toml::source_region& where, std::string message) {
    return ConfigIssue{static_cast<int>(where.begin.line), static_cast<int>(where.begin.column),
                       std::move(message)};
  }
  void AddError(const toml::source_region& where, std::string message) {
    load_.errors.push_back(IssueAt(where, std::move(message)));
  }
  void AddWarning(const toml::source_region& where, std::string message) {
    load_.warnings.push_back(IssueAt(where, std::move(message)));
  }

  // Reports every key of `table` that is not in `allowed`, at the key.
  void CheckKeys(const toml::table& table, std::string_view section,
                 std::span<const std::string_view> allowed) {
    for (auto&& [key, value] : table) {
      (void)value;
      if (Contains(allowed, key.str())) {
        continue;
      }
      std::string message = "unknown key " + Quoted(key.str()) + " in " + std::string(section);
      for (std::string_view candidate : allowed) {
        const std::size_t distance = EditDistance(key.str(), candidate);
        if (distance <= 2 && distance * 3 <= key.str().size()) {
          message += " (did you mean " + Quoted(candidate) + "?)";
          break;
        }
      }
      message += "; allowed keys: " + Join(allowed);
      AddError(key.source(), std::move(message));
    }
  }

  void WrongType(const toml::node& node, std::string_view path, std::string_view expected) {
    AddError(node.source(), std::string(path) + ": expected " + std::string(expected) + ", got " +
                                std::string(TypeName(node.type())));
  }

  const toml::table* ExpectTable(const toml::node& node, std::string_view path) {
    const toml::table* table = node.as_table();
    if (table == nullptr) {
      WrongType(node, path, "a table");
    }
    return table;
  }

  // Remembers `path` when the string at `node` is a secret written in the file itself (no ${ENV}
  // reference): LoadConfigFile warns when such a file is readable by every user.
  void NoteLiteralSecret(const toml::node& node, std::string path) {
    const toml::value<std::string>* value = node.as_string();
    if (value != nullptr && !value->get().empty() && value->get().find("${") == std::string::npos) {
      load_.literal_secrets.push_back(std::move(path));
    }
  }

  // A string value with ${ENV} references substituted.
  std::optional<std::string> ReadString(const toml::node& node, std::string_view path) {
    const toml::value<std::string>* value = node.as_string();
    if (value == nullptr) {
      WrongType(node, path, "a string");
      return std::nullopt;
    }
    Result<std::string> substituted = internal::SubstituteEnv(value->get(), env_);
    if (!substituted.ok()) {
      AddError(node.source(), std::string(path) + ": " + substituted.status().message());
      return std::nullopt;
    }
    return std::move(substituted).value();
  }

  std::optional<std::int64_t> ReadInteger(const toml::node& node, std::string_view path,
                                          std::int64_t min, std::int64_t max) {
    const toml::value<std::int64_t>* value = node.as_integer();
    if (value == nullptr) {
      WrongType(node, path, "an integer");
      return std::nullopt;
    }
    if (value->get() < min || value->get() > max) {
      std::string range = std::to_string(min) + " to " + std::to_string(max);
      if (max == std::numeric_limits<std::int64_t>::max()) {
        range = "at least " + std::to_string(min);
      }
      AddError(node.source(), std::string(path) + ": " + std::to_string(value->get()) +
                                  " is out of range; expected " + range);
      return std::nullopt;
    }
    return value->get();
  }

  std::optional<bool> ReadBool(const toml::node& node, std::string_view path) {
    const toml::value<bool>* value = node.as_boolean();
    if (value == nullptr) {
      WrongType(node, path, "a boolean (true or false)");
      return std::nullopt;
    }
    return value->get();
  }

  enum class Zero { kAllowed, kRefused };

  std::optional<Duration> ReadDuration(const toml::node& node, std::string_view path, Zero zero) {
    if (!node.is_string()) {
      WrongType(node, path, "a duration string such as \"30s\"");
      return std::nullopt;
    }
    const std::optional<std::string> text = ReadString(node, path);
    if (!text.has_value()) {
      return std::nullopt;
    }
    Result<Duration> duration = ParseDuration(*text);
    if (!duration.ok()) {
      AddError(node.source(), std::string(path) + ": " + duration.status().message());
      return std::nullopt;
    }
    if (zero == Zero::kRefused && duration->count() == 0) {
      AddError(node.source(), std::string(path) + " must be longer than zero");
      return std::nullopt;
    }
    return *duration;
  }

  // Reads `key` of `table` into `field` when present (kept as is when absent or invalid); `prefix`
  // names the table in messages ("store", "sources[0]").
  void ReadDurationKey(const toml::table& table, std::string_view prefix, std::string_view key,
                       Zero zero, Duration& field) {
    if (const toml::node* node = table.get(key)) {
      field =
          ReadDuration(*node, std::string(prefix) + "." + std::string(key), zero).value_or(field);
    }
  }

  // A positive byte count: an integer or a size string such as "1MiB".
  std::optional<std::uint64_t> ReadSize(const toml::node& node, std::string_view path) {
    std::uint64_t bytes = 0;
    if (const toml::value<std::int64_t>* value = node.as_integer()) {
      if (value->get() < 0) {
        AddError(node.source(), std::string(path) + ": a size cannot be negative");
        return std::nullopt;
      }
      bytes = static_cast<std::uint64_t>(value->get());
    } else if (node.is_string()) {
      const std::optional<std::string> text = ReadString(node, path);
      if (!text.has_value()) {
        return std::nullopt;
      }
      Result<std::uint64_t> size = ParseSize(*text);
      if (!size.ok()) {
        AddError(node.source(), std::string(path) + ": " + size.status().message());
        return std::nullopt;
      }
      bytes = *size;
    } else {
      WrongType(node, path, "an integer or a size string such as \"1MiB\"");
      return std::nullopt;
    }
    if (bytes == 0) {
      AddError(node.source(), std::string(path) + " must be larger than zero");
      return std::nullopt;
    }
    return bytes;
  }

  void LoadServer(const toml::table& table) {
    CheckKeys(table, "[server]", kServerKeys);
    ServerConfig& server = config_.server;
    if (const toml::node* node = table.get("listen")) {
      if (std::optional<std::string> text = ReadString(*node, "server.listen")) {
        Result<Listen> listen = ParseListen(*text);
        if (listen.ok()) {
          server.listen_host = listen->host;
          server.listen_port = listen->port;
        } else {
          AddError(node->source(), "server.listen: " + listen.status().message());
        }
      }
    }
    if (const toml::node* node = table.get("max_body_bytes")) {
      server.max_body_bytes =
          ReadSize(*node, "server.max_body_bytes").value_or(server.max_body_bytes);
    }
    if (const toml::node* node = table.get("max_header_bytes")) {
      server.max_header_bytes =
          ReadSize(*node, "server.max_header_bytes").value_or(server.max_header_bytes);
    }
    if (const toml::node* node = table.get("admin_token")) {
      admin_token_at_ = node->source();
      const std::optional<std::string> token = ReadString(*node, "server.admin_token");
      NoteLiteralSecret(*node, "server.admin_token");
      admin_token_failed_ = !token.has_value();
      server.admin_token = token.value_or("");
    }
    if (const toml::node* node = table.get("threads")) {
      server.threads = static_cast<int>(
          ReadInteger(*node, "server.threads", 0, kMaxThreads).value_or(server.threads));
    }
    if (const toml::node* node = table.get("read_timeout")) {
      server.read_timeout =
          ReadDuration(*node, "server.read_timeout", Zero::kRefused).value_or(server.read_timeout);
    }
    if (const toml::node* node = table.get("idle_timeout")) {
      server.idle_timeout =
          ReadDuration(*node, "server.idle_timeout", Zero::kRefused).value_or(server.idle_timeout);
    }
    if (const toml::node* node = table.get("max_loop_lag")) {
      server.max_loop_lag =
          ReadDuration(*node, "server.max_loop_lag", Zero::kAllowed).value_or(server.max_loop_lag);
    }
    if (const toml::node* node = table.get("log_level")) {
      if (std::optional<std::string> level = ReadString(*node, "server.log_level")) {
        if (Contains(kLogLevels, *level)) {
          server.log_level = *level;
        } else {
          AddError(node->source(), "server.log_level: unknown level " + Quoted(*level) +
                                       "; expected one of " + Join(kLogLevels));
        }
      }
    }
    if (const toml::node* node = table.get("tls")) {
      if (const toml::table* tls = ExpectTable(*node, "server.tls")) {
        LoadTls(*tls);
      }
    }
  }

  void LoadTls(const toml::table& table) {
    CheckKeys(table, "[server.tls]", kTlsKeys);
    TlsConfig& tls = config_.server.tls;
    if (const toml::node* node = table.get("cert")) {
      tls.cert_file = ReadString(*node, "server.tls.cert").value_or("");
    }
    if (const toml::node* node = table.get("key")) {
      tls.key_file = ReadString(*node, "server.tls.key").value_or("");
    }
    if (tls.cert_file.empty() != tls.key_file.empty()) {
      AddError(table.source(), std::string("[server.tls]: ") +
                                   (tls.cert_file.empty() ? "key is set but cert is not"
                                                          : "cert is set but key is not") +
                                   "; set both for HTTPS, or neither for plain HTTP");
    }
  }

  void LoadStore(const toml::table& table) {
    CheckKeys(table, "[store]", kStoreKeys);
    StoreConfig& store = config_.store;
    if (const toml::node* node = table.get("volatile")) {
      store.volatile_ok = ReadBool(*node, "store.volatile").value_or(false);
    }
    if (const toml::node* node = table.get("url")) {
      if (std::optional<std::string> url = ReadString(*node, "store.url")) {
        store.url = *url;
        Result<store::StoreUrl> parsed = store::ParseStoreUrl(*url);
        if (parsed.ok() && !parsed->password.empty()) {
          NoteLiteralSecret(*node, "store.url (password)");
        }
        if (!parsed.ok()) {
          AddError(node->source(), "store.url: " + parsed.status().message());
        } else if (parsed->backend == store::Backend::kMemory && !store.volatile_ok) {
          AddError(node->source(),
                   "store.url: memory:// is not durable (every event is lost when the process "
                   "exits) and the gateway refuses a non-durable store; set [store] volatile = "
                   "true to allow it (tests and demos only)");
        }
      }
    }
    const auto duration = [&](std::string_view key, Zero zero, Duration& field) {
      ReadDurationKey(table, "store", key, zero, field);
    };
    duration("lease", Zero::kRefused, store.lease);
    duration("max_clock_skew", Zero::kAllowed, store.max_clock_skew);
    duration("retention", Zero::kAllowed, store.retention);
    duration("key_retention", Zero::kRefused, store.key_retention);
    duration("dead_retention", Zero::kAllowed, store.dead_retention);
    duration("sweep_interval", Zero::kRefused, store.sweep_interval);
    if (const toml::node* node = table.get("key_retention")) {
      key_retention_at_ = node->source();
    }
    const auto count = [&](std::string_view key, std::int64_t min, std::uint64_t& field) {
      if (const toml::node* node = table.get(key)) {
        const std::optional<std::int64_t> value = ReadInteger(
            *node, "store." + std::string(key), min, std::numeric_limits<std::int64_t>::max());
        if (value.has_value()) {
          field = static_cast<std::uint64_t>(*value);
        }
      }
    };
    count("capacity", 0, store.capacity);
    count("max_pending_writes", 0, store.max_pending_writes);
    count("max_batch", 1, store.max_batch);
  }

  void LoadSources(const toml::node& node) {
    const toml::array* array = node.as_array();
    if (array == nullptr || !array->is_array_of_tables()) {
      if (array == nullptr || !array->empty()) {
        WrongType(node, "sources", "an array of tables ([[sources]] entries)");
        return;
      }
    }
    std::map<std::string, int, std::less<>> first_line_of_name;
    for (std::size_t i = 0; i < array->size(); ++i) {
      const toml::table& table = *array->get(i)->as_table();
      LoadSource(table, "sources[" + std::to_string(i) + "]", first_line_of_name);
    }
  }

  void LoadSource(const toml::table& table, const std::string& path,
                  std::map<std::string, int, std::less<>>& first_line_of_name) {
    const std::size_t errors_before = load_.errors.size();
    CheckKeys(table, "[[sources]]", kSourceKeys);
    SourceConfig source;
    source.line = static_cast<int>(table.source().begin.line);
    ProviderConfig& provider = source.provider;
    const auto missing = [&](std::string_view key) {
      AddError(table.source(), path + ": missing required key " + Quoted(key));
    };

    if (const toml::node* node = table.get("name")) {
      if (std::optional<std::string> name = ReadString(*node, path + ".name")) {
        source.name = *name;
        if (!IsSourceName(*name)) {
          AddError(node->source(), path + ".name: " + Quoted(*name) +
                                       " is not a valid source name ([a-z0-9_-], 1 to 64 "
                                       "characters: it is the URL path /webhooks/<name>)");
        } else if (auto first = first_line_of_name.find(*name); first != first_line_of_name.end()) {
          AddError(node->source(), path + ".name: duplicate source name " + Quoted(*name) +
                                       " (first defined at line " + std::to_string(first->second) +
                                       ")");
        } else {
          first_line_of_name.emplace(*name, source.line);
        }
      }
    } else {
      missing("name");
    }

    bool provider_known = false;
    if (const toml::node* node = table.get("provider")) {
      if (std::optional<std::string> name = ReadString(*node, path + ".provider")) {
        provider.provider = *name;
        const std::vector<std::string_view> names = ProviderNames();
        provider_known = Contains(names, *name);
        if (!provider_known) {
          AddError(node->source(), path + ".provider: unknown provider " + Quoted(*name) +
                                       "; expected one of " + Join(names));
        }
      }
    } else {
      missing("provider");
    }

    if (const toml::node* node = table.get("secrets")) {
      LoadSecrets(*node, path + ".secrets", provider.secrets);
    } else {
      missing("secrets");
    }

    if (const toml::node* node = table.get("tolerance")) {
      provider.tolerance =
          ReadDuration(*node, path + ".tolerance", Zero::kAllowed).value_or(provider.tolerance);
    }

    if (const toml::node* node = table.get("destination")) {
      if (std::optional<std::string> url = ReadString(*node, path + ".destination")) {
        source.destination = *url;
        if (!IsHttpUrl(*url)) {
          AddError(node->source(), path + ".destination: " + Quoted(*url) +
                                       " is not an http:// or https:// URL with a host");
        }
      }
    } else {
      missing("destination");
    }

    LoadSourceDelivery(table, path, source.delivery);

    for (const ProviderSpecificKey& specific : kProviderSpecificKeys) {
      const toml::node* node = table.get(specific.key);
      if (node == nullptr) {
        continue;
      }
      const std::string key_path = path + "." + std::string(specific.key);
      if (provider_known && provider.provider != specific.provider) {
        AddError(node->source(), key_path +
                                     " applies only to provider = " + Quoted(specific.provider) +
                                     ", not " + Quoted(provider.provider));
        continue;
      }
      std::optional<std::string> value = ReadString(*node, key_path);
      if (!value.has_value()) {
        continue;
      }
      if (specific.key == "notification_url") {
        provider.notification_url = *value;
        if (!IsHttpUrl(*value)) {
          AddError(node->source(), key_path + ": " + Quoted(*value) +
                                       " is not an http:// or https:// URL with a host");
        }
      } else if (specific.key == "signature_header") {
        provider.signature_header = *value;
      } else if (specific.key == "encoding") {
        provider.encoding = *value;
        if (*value != "hex" && *value != "base64") {
          AddError(node->source(),
                   key_path + ": unknown encoding " + Quoted(*value) + "; expected hex or base64");
        }
      } else if (specific.key == "prefix") {
        provider.prefix = *value;
      } else if (specific.key == "id_header") {
        provider.id_header = *value;
      }
    }

    // The provider's own checks (secret format, required keys), once ours found nothing: its
    // message would only repeat ours otherwise.
    if (load_.errors.size() == errors_before) {
      Result<std::unique_ptr<Provider>> made = MakeProvider(provider);
      if (!made.ok()) {
        AddError(table.source(), path + " (provider " + Quoted(provider.provider) +
                                     "): " + made.status().message());
      }
    }
    config_.sources.push_back(std::move(source));
  }

  void LoadDispatcher(const toml::table& table) {
    CheckKeys(table, "[delivery]", kDeliveryKeys);
    DispatcherConfig& delivery = config_.delivery;
    if (const toml::node* node = table.get("max_held")) {
      delivery.max_held =
          static_cast<std::uint64_t>(ReadInteger(*node, "delivery.max_held", 1, 1'000'000)
                                         .value_or(static_cast<std::int64_t>(delivery.max_held)));
    }
    ReadDurationKey(table, "delivery", "poll_interval", Zero::kRefused, delivery.poll_interval);
    ReadDurationKey(table, "delivery", "shutdown_grace", Zero::kAllowed, delivery.shutdown_grace);
  }

  // The delivery keys of one [[sources]] entry, each checked by the component that uses it.
  void LoadSourceDelivery(const toml::table& table, const std::string& path,
                          DeliveryConfig& delivery) {
    const auto at = [&](std::string_view key) { return table.get(key); };
    const auto key_path = [&](std::string_view key) { return path + "." + std::string(key); };
    if (const toml::node* node = at("mode")) {
      if (std::optional<std::string> mode = ReadString(*node, key_path("mode"))) {
        if (*mode == "sync") {
          delivery.mode = SourceMode::kSync;
        } else if (*mode != "async") {
          AddError(node->source(), key_path("mode") + ": unknown mode " + Quoted(*mode) +
                                       "; expected one of " + Join(kModes));
        }
      }
    }
    if (const toml::node* node = at("ordering_key")) {
      if (std::optional<std::string> ordering = ReadString(*node, key_path("ordering_key"))) {
        Status valid = delivery::ValidateOrderingPath(*ordering);
        if (valid.ok()) {
          delivery.ordering_key = *ordering;
        } else {
          AddError(node->source(), key_path("ordering_key") + ": " + valid.message());
        }
      }
    }
    const auto integer = [&](std::string_view key, std::int64_t min, std::int64_t max, int& field) {
      if (const toml::node* node = at(key)) {
        field = static_cast<int>(ReadInteger(*node, key_path(key), min, max).value_or(field));
      }
    };
    integer("max_attempts", 1, 1000, delivery.max_attempts);
    integer("max_in_flight", 1, 100'000, delivery.max_in_flight);
    integer("breaker_failures", 1, 1'000'000, delivery.breaker_failures);
    const auto boolean = [&](std::string_view key, bool& field) {
      if (const toml::node* node = at(key)) {
        field = ReadBool(*node, key_path(key)).value_or(field);
      }
    };
    boolean("retry_4xx", delivery.retry_4xx);
    boolean("verify_tls", delivery.verify_tls);
    const auto duration = [&](std::string_view key, Zero zero, Duration& field) {
      ReadDurationKey(table, path, key, zero, field);
    };
    duration("backoff_base", Zero::kRefused, delivery.backoff_base);
    duration("backoff_max", Zero::kRefused, delivery.backoff_max);
    duration("max_retry_after", Zero::kAllowed, delivery.max_retry_after);
    duration("connect_timeout", Zero::kRefused, delivery.connect_timeout);
    duration("response_timeout", Zero::kRefused, delivery.response_timeout);
    duration("breaker_cool_down", Zero::kRefused, delivery.breaker_cool_down);
    duration("breaker_max_cool_down", Zero::kRefused, delivery.breaker_max_cool_down);
    if (const toml::node* node = at("max_response_bytes")) {
      delivery.max_response_bytes =
          ReadSize(*node, key_path("max_response_bytes")).value_or(delivery.max_response_bytes);
    }
    if (const toml::node* node = at("max_per_second")) {
      if (node->is_integer() || node->is_floating_point()) {
        delivery.max_per_second = node->value<double>().value_or(0);
        delivery::RateLimiterOptions limiter{.max_per_second = delivery.max_per_second};
        if (Status valid = delivery::ValidateRateLimiterOptions(limiter); !valid.ok()) {
          AddError(node->source(), key_path("max_per_second") + ": " + valid.message());
        }
      } else {
        WrongType(*node, key_path("max_per_second"), "a number (0: no limit)");
      }
    }
    if (const toml::node* node = at("ca_file")) {
      delivery.ca_file = ReadString(*node, key_path("ca_file")).value_or("");
    }
    if (const toml::node* node = at("signing_secret")) {
      delivery.signing_secret = ReadString(*node, key_path("signing_secret")).value_or("");
      NoteLiteralSecret(*node, key_path("signing_secret"));
    }
    if (const toml::node* node = at("headers")) {
      LoadHeaders(*node, key_path("headers"), delivery.headers);
    }
    // Checks that need several keys at once, at the [[sources]] entry.
    delivery::BackoffPolicy backoff{.base = delivery.backoff_base,
                                    .cap = delivery.backoff_max,
                                    .max_retry_after = delivery.max_retry_after};
    if (Status valid = delivery::ValidateBackoffPolicy(backoff); !valid.ok()) {
      AddError(table.source(), path + " (backoff_base, backoff_max): " + valid.message());
    }
    delivery::CircuitBreakerOptions breaker{.failure_threshold = delivery.breaker_failures,
                                            .cool_down = delivery.breaker_cool_down,
                                            .max_cool_down = delivery.breaker_max_cool_down};
    if (Status valid = delivery::ValidateCircuitBreakerOptions(breaker); !valid.ok()) {
      AddError(table.source(),
               path + " (breaker_cool_down, breaker_max_cool_down): " + valid.message());
    }
    delivery::AppRequestOptions app{.static_headers = delivery.headers,
                                    .signing_secret = delivery.signing_secret};
    if (Status valid = delivery::ValidateAppRequestOptions(app); !valid.ok()) {
      AddError(table.source(), path + " (headers, signing_secret): " + valid.message());
    }
  }

  void LoadHeaders(const toml::node& node, const std::string& path, Headers& headers) {
    const toml::table* table = node.as_table();
    if (table == nullptr) {
      WrongType(node, path, "a table of header names to strings, e.g. { Authorization = \"…\" }");
      return;
    }
    for (auto&& [name, value] : *table) {
      if (std::optional<std::string> text =
              ReadString(value, path + "." + std::string(name.str()))) {
        headers.emplace_back(std::string(name.str()), std::move(*text));
      }
    }
  }

  void LoadSecrets(const toml::node& node, const std::string& path,
                   std::vector<std::string>& secrets) {
    const toml::array* array = node.as_array();
    if (array == nullptr) {
      WrongType(node, path, "an array of strings");
      return;
    }
    if (array->empty()) {
      AddError(node.source(), path + " is empty; list at least one secret");
      return;
    }
    for (std::size_t i = 0; i < array->size(); ++i) {
      const toml::node& element = *array->get(i);
      const std::string element_path = path + "[" + std::to_string(i) + "]";
      std::optional<std::string> secret = ReadString(element, element_path);
      NoteLiteralSecret(element, element_path);
      if (!secret.has_value()) {
        continue;
      }
      if (secret->empty()) {
        AddError(element.source(), element_path +
                                       " is empty (after ${ENV} substitution); an empty key "
                                       "would let anyone forge a signature");
        continue;
      }
      secrets.push_back(std::move(*secret));
    }
  }

  // Checks that need several tables at once.
  void CrossCheck() {
    if (config_.server.admin_token.empty() && !admin_token_failed_) {
      AddWarning(admin_token_at_,
                 "server.admin_token is empty: the admin API (/v1/) is disabled and answers 401 "
                 "to every request");
    }
    if (config_.sources.empty()) {
      load_.warnings.push_back(
          ConfigIssue{0, 0, "no [[sources]] are configured: every webhook will be answered 404"});
    }
    const Duration key_retention = config_.store.key_retention;
    for (const SourceConfig& source : config_.sources) {
      for (const RetryHorizon& retry : kRetryHorizons) {
        if (retry.provider != source.provider.provider || key_retention >= retry.horizon) {
          continue;
        }
        AddWarning(key_retention_at_,
                   "store.key_retention (" + FormatDuration(key_retention) +
                       ") is shorter than the retry horizon of source " + Quoted(source.name) +
                       " (" + FormatDuration(retry.horizon) + ": " + std::string(retry.why) +
                       "); an event redelivered after its record is swept is accepted as new");
      }
    }
  }

  const EnvLookup& env_;
  Config config_;
  ConfigLoad load_;
  // Where these keys are, for warnings; zero lines when they were left at their defaults.
  toml::source_region admin_token_at_{};
  bool admin_token_failed_ = false;  // already reported as an error
  toml::source_region key_retention_at_{};
};

}  // namespace

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) {
      return std::nullopt;
    }
    return std::string(value);
  };
}

ConfigLoad ParseConfig(std::string_view toml, std::string_view origin, const EnvLookup& env) {
  return Loader(env).Run(toml, origin);
}

namespace {

// A file every user may read must not hold secrets: a warning naming them and both fixes (not an
// error, so a quick start with a literal test secret still runs).
void WarnIfReadableByAll(const std::string& path, ConfigLoad* load) {
  struct stat info {};
  if (load->literal_secrets.empty() || stat(path.c_str(), &info) != 0 ||
      (info.st_mode & S_IROTH) == 0) {
    return;
  }
  std::string where;
  for (const std::string& secret : load->literal_secrets) {
    where += (where.empty() ? "" : ", ") + secret;
  }
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
  load->warnings.push_back(ConfigIssue{
      0, 0,
      std::string("the file is readable by every user (mode ") + mode +
          ") and holds secrets written in it (" + where + "); run chmod 600 " + Quoted(path) +
          ", or take them from the environment, e.g. secrets = [\"${STRIPE_WEBHOOK_SECRET}\"]"});
}

}  // namespace

ConfigLoad LoadConfigFile(const std::string& path, const EnvLookup& env) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  if (file) {
    text << file.rdbuf();
  }
  if (!file) {
    ConfigLoad load;
    load.errors.push_back(
        ConfigIssue{0, 0, "cannot read " + Quoted(path) + ": " + std::strerror(errno)});
    return load;
  }
  ConfigLoad load = ParseConfig(text.str(), path, env);
  WarnIfReadableByAll(path, &load);
  return load;
}

std::string FormatIssues(std::string_view origin, const std::vector<ConfigIssue>& issues,
                         std::string_view kind) {
  std::string out;
  for (const ConfigIssue& issue : issues) {
    out += origin;
    if (issue.line > 0) {
      out += ":" + std::to_string(issue.line);
      if (issue.column > 0) {
        out += ":" + std::to_string(issue.column);
      }
    }
    out += ": ";
    out += kind;
    out += ": ";
    out += issue.message;
    out += "\n";
  }
  return out;
}

StoreOptions ToStoreOptions(const StoreConfig& store) {
  StoreOptions options;
  options.max_clock_skew = store.max_clock_skew;
  options.retention = store.retention;
  options.key_retention = store.key_retention;
  options.dead_retention = store.dead_retention;
  options.capacity = store.capacity;
  options.max_pending_writes = static_cast<std::size_t>(store.max_pending_writes);
  options.allow_volatile = store.volatile_ok;
  options.max_batch = static_cast<std::size_t>(store.max_batch);
  return options;
}

}  // namespace hookfence::server

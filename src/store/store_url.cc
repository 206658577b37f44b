#include "src/store/store_url.h"

#include <charconv>

namespace hookfence::store {
namespace {

Result<std::string> PercentDecode(std::string_view text, std::string_view what) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    int value = 0;
    if (i + 2 >= text.size()) {
      return InvalidArgumentError("store URL: a '%' in the " + std::string(what) +
                                  " must be followed by two hex digits");
    }
    const auto [end, error] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
    if (error != std::errc() || end != text.data() + i + 3) {
      return InvalidArgumentError("store URL: a '%' in the " + std::string(what) +
                                  " must be followed by two hex digits");
    }
    out.push_back(static_cast<char>(value));
    i += 2;
  }
  return out;
}

Result<StoreUrl> ParseNetworkUrl(Backend backend, std::string_view scheme, std::string_view rest) {
  StoreUrl url;
  url.backend = backend;
  std::string_view query;
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string_view authority = rest;
  std::string_view path;
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    authority = rest.substr(0, slash);
    path = rest.substr(slash + 1);
  }
  // The password may hold '@' only percent-encoded, so the last '@' ends the credentials.
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view credentials = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const auto colon = credentials.find(':');
    HF_ASSIGN_OR_RETURN(url.user, PercentDecode(credentials.substr(0, colon), "user name"));
    if (colon != std::string_view::npos) {
      HF_ASSIGN_OR_RETURN(url.password, PercentDecode(credentials.substr(colon + 1), "password"));
    }
  }
  std::string_view host = authority;
  if (const auto colon = authority.rfind(':');
      colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    host = authority.substr(0, colon);
    const std::string_view port = authority.substr(colon + 1);
    const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), url.port);
    if (port.empty() || error != std::errc() || end != port.data() + port.size() || url.port < 1 ||
        url.port > 65535) {
      return InvalidArgumentError("store URL: port '" + std::string(port) + "' of " +
                                  std::string(scheme) + ":// is not a number in 1..65535");
    }
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  url.host = std::string(host);
  HF_ASSIGN_OR_RETURN(url.database, PercentDecode(path, "database name"));
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    HF_ASSIGN_OR_RETURN(std::string name, PercentDecode(pair.substr(0, eq), "option name"));
    std::string value;
    if (eq != std::string_view::npos) {
      HF_ASSIGN_OR_RETURN(value, PercentDecode(pair.substr(eq + 1), "option value"));
    }
    if (!url.options.emplace(name, std::move(value)).second) {
      return InvalidArgumentError("store URL: option '" + name + "' is given twice");
    }
  }
  return url;
}

}  // namespace

Result<StoreUrl> ParseStoreUrl(std::string_view url) {
  const auto separator = url.find("://");
  if (separator == std::string_view::npos) {
    return InvalidArgumentError(
        "store URL '" + RedactStoreUrl(url) +
        "' has no scheme; expected memory://, sqlite://PATH, postgres://, redis:// or mysql://");
  }
  const std::string_view scheme = url.substr(0, separator);
  const std::string_view rest = url.substr(separator + 3);
  if (scheme == "memory") {
    if (!rest.empty()) {
      return InvalidArgumentError("memory:// takes no path or options, got '" + std::string(url) +
                                  "'");
    }
    StoreUrl parsed;
    parsed.backend = Backend::kMemory;
    return parsed;
  }
  if (scheme == "sqlite") {
    if (rest.empty()) {
      return InvalidArgumentError(
          "sqlite:// needs a file path: sqlite://hookfence.db (relative) or "
          "sqlite:///var/lib/hookfence/hookfence.db (absolute)");
    }
    // SQLite's special names are not files: ":memory:" (and "file:" URIs naming one) would be
    // answered "durable" and keep nothing, and each connection would see its own database.
    if (rest == ":memory:" || rest.rfind("file:", 0) == 0) {
      return InvalidArgumentError("sqlite:// needs a file path, not '" + std::string(rest) +
                                  "'; for a store that keeps nothing use memory://");
    }
    StoreUrl parsed;
    parsed.backend = Backend::kSqlite;
    parsed.path = std::string(rest);
    return parsed;
  }
  if (scheme == "postgres" || scheme == "postgresql") {
    return ParseNetworkUrl(Backend::kPostgres, scheme, rest);
  }
  if (scheme == "redis") return ParseNetworkUrl(Backend::kRedis, scheme, rest);
  if (scheme == "mysql" || scheme == "mariadb") {
    return ParseNetworkUrl(Backend::kMysql, scheme, rest);
  }
  return InvalidArgumentError(
      "unknown store scheme '" + std::string(scheme) +
      "'; expected memory://, sqlite://PATH, postgres://, redis:// or mysql://");
}

std::string RedactStoreUrl(std::string_view url) {
  const auto separator = url.find("://");
  if (separator == std::string_view::npos) return std::string(url);
  const auto authority_start = separator + 3;
  const auto authority_end = url.find_first_of("/?", authority_start);
  const std::string_view authority = url.substr(authority_start, authority_end - authority_start);
  const auto at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  const auto colon = authority.find(':');
  if (colon == std::string_view::npos || colon > at) return std::string(url);
  std::string out(url.substr(0, authority_start + colon + 1));
  out += "***";
  out += url.substr(authority_start + at);
  return out;
}

}  // namespace hookfence::store

#include "src/store/store_url.h"

namespace hookfence::store {

Result<StoreUrl> ParseStoreUrl(std::string_view url) {
  const auto separator = url.find("://");
  if (separator == std::string_view::npos) {
    return InvalidArgumentError("store URL '" + std::string(url) +
                                "' has no scheme; expected memory:// or sqlite://PATH");
  }
  const std::string_view scheme = url.substr(0, separator);
  const std::string_view rest = url.substr(separator + 3);
  if (scheme == "memory") {
    if (!rest.empty()) {
      return InvalidArgumentError("memory:// takes no path or options, got '" + std::string(url) +
                                  "'");
    }
    return StoreUrl{Backend::kMemory, ""};
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
    return StoreUrl{Backend::kSqlite, std::string(rest)};
  }
  if (scheme == "postgres" || scheme == "postgresql" || scheme == "redis" || scheme == "mysql") {
    return InvalidArgumentError("store scheme '" + std::string(scheme) +
                                "' is not available in this build; use memory:// or sqlite://");
  }
  return InvalidArgumentError("unknown store scheme '" + std::string(scheme) +
                              "'; expected memory:// or sqlite://PATH");
}

}  // namespace hookfence::store

#include "src/server/env_substitution.h"

#include <optional>

namespace hookfence::server::internal {
namespace {

bool IsNameStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

}  // namespace

Result<std::string> SubstituteEnv(std::string_view text, const EnvLookup& env) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c != '$' || i + 1 == text.size()) {
      out += c;
      ++i;
      continue;
    }
    if (text[i + 1] == '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (text[i + 1] != '{') {
      out += c;
      ++i;
      continue;
    }
    // A reference: ${NAME} or ${NAME:-default}.
    const std::size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      return InvalidArgumentError("unterminated \"${\" (write \"$${\" for a literal \"${\")");
    }
    const std::string_view inside = text.substr(i + 2, close - (i + 2));
    std::size_t name_end = 0;
    while (name_end < inside.size() && IsNameChar(inside[name_end])) {
      ++name_end;
    }
    const std::string name(inside.substr(0, name_end));
    if (name.empty() || !IsNameStart(name.front())) {
      return InvalidArgumentError("invalid variable reference \"${" + std::string(inside) +
                                  "}\": a name is [A-Za-z_][A-Za-z0-9_]*");
    }
    const std::string_view tail = inside.substr(name_end);
    std::optional<std::string_view> fallback;
    if (!tail.empty()) {
      if (tail.substr(0, 2) != ":-") {
        return InvalidArgumentError("invalid variable reference \"${" + std::string(inside) +
                                    "}\": expected \"}\" or \":-default}\" after the name");
      }
      fallback = tail.substr(2);
    }
    std::optional<std::string> value = env ? env(name) : std::nullopt;
    if (fallback.has_value()) {
      out += (value.has_value() && !value->empty()) ? std::string_view(*value) : *fallback;
    } else if (value.has_value()) {
      out += *value;
    } else {
      return InvalidArgumentError("environment variable " + name + " is not set (use ${" + name +
                                  ":-default} for a default)");
    }
    i = close + 1;
  }
  return out;
}

}  // namespace hookfence::server::internal

// One way to start a simdjson on-demand parse of a request body, and the token checks that go with
// it, shared by every component that reads JSON on the hot path (event ids, ordering keys).
//
// simdjson reads up to SIMDJSON_PADDING bytes past the end of its input, so it needs a padded
// copy; one parser and one buffer per thread, reused, keep parsing free of allocations once
// warmed up. The returned document refers to them: it is valid until the next call on the same
// thread. Thread-safety: per-thread state only.
#pragma once

#include <simdjson.h>

#include <cstring>
#include <string>
#include <string_view>

namespace hookfence::internal {

inline simdjson::simdjson_result<simdjson::ondemand::document> IterateJson(std::string_view body) {
  thread_local simdjson::ondemand::parser parser;
  thread_local std::string padded;
  padded.resize(body.size() + simdjson::SIMDJSON_PADDING);
  if (!body.empty()) {
    std::memcpy(padded.data(), body.data(), body.size());
  }
  std::memset(padded.data() + body.size(), 0, simdjson::SIMDJSON_PADDING);
  return parser.iterate(padded.data(), body.size(), padded.size());
}

// A scalar value's raw token without the whitespace that follows it in the document.
inline std::string_view RawToken(simdjson::ondemand::value value) {
  std::string_view token = value.raw_json_token();
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t' || token.back() == '\n' ||
                            token.back() == '\r')) {
    token.remove_suffix(1);
  }
  return token;
}

// RFC 8259 §6: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? — simdjson's on-demand parser
// does not check the grammar of numbers it is not asked to convert.
inline bool IsJsonNumber(std::string_view s) {
  std::size_t i = 0;
  auto digits = [&] {
    const std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      ++i;
    }
    return i > start;
  };
  if (i < s.size() && s[i] == '-') {
    ++i;
  }
  if (i < s.size() && s[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) {
      return false;
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      ++i;
    }
    if (!digits()) {
      return false;
    }
  }
  return i == s.size();
}

// -?(0|[1-9][0-9]*): a JSON number with no fraction or exponent (any width).
inline bool IsJsonInteger(std::string_view s) {
  return IsJsonNumber(s) && s.find_first_of(".eE") == std::string_view::npos;
}

}  // namespace hookfence::internal

// One way to start a simdjson on-demand parse of a request body, shared by every component that
// reads JSON on the hot path (event ids, ordering keys).
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

}  // namespace hookfence::internal

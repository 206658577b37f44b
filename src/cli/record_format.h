// How the CLI shows records: aligned text for people, JSON (Boost.JSON) for scripts.
//
// Text output is made safe for a terminal: control characters in stored strings (an upstream's
// error message, a header value) are replaced, so a hostile payload cannot move the cursor or
// forge lines. JSON strings are made valid UTF-8 for the same reason: `jq` must never choke.
// Thread-safety: pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "hookfence/record.h"

namespace hookfence::cli {

// List returns summaries (no payload, no response); Get returns everything.
enum class Detail { kSummary, kFull };

// `store get`: one field per line, then the attempt log as a small table. Ends with a newline.
std::string FormatRecordText(const Record& record);

// `store list`: a header and one row per record (seq, key, state, attempts, fence, received_at,
// last_error shortened). Ends with a newline.
std::string FormatRecordTable(const std::vector<Record>& records);

// Every field of `record` as JSON; timestamps as ISO-8601 strings, absent ones as null. kFull adds
// "payload" and "response" (their sizes and headers, never the bodies).
boost::json::object RecordToJson(const Record& record, Detail detail);

}  // namespace hookfence::cli

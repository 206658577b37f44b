// The CLI's side of the gateway's admin API (docs/gateway.md): one request per call with the
// bearer token, and the answers' records parsed back, so a command prints a record fetched from a
// gateway exactly as one read from a store.
// Thread-safety: functions are reentrant.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "hookfence/record.h"
#include "hookfence/result.h"
#include "src/server/http_client.h"

namespace hookfence::cli {

// Where the admin API answers: the gateway's base URL (http[s]://host[:port], optionally with a
// path prefix a proxy adds) and the bearer token.
struct AdminEndpoint {
  server::Url base;
  std::string token;
  // Sent as Hookfence-Operator when set: who runs the command, for the gateway's audit lines.
  std::string requested_by;
};

// kInvalidArgument for a URL ParseUrl refuses.
Result<AdminEndpoint> MakeAdminEndpoint(std::string_view url, std::string token);

struct AdminAnswer {
  int status = 0;
  std::string body;         // as received: the JSON a --json command prints unchanged
  boost::json::value json;  // `body` parsed
};

// Sends `method` to `target` ("/v1/...", query included) under the endpoint's base. Any HTTP
// status comes back as an answer; kUnavailable when the gateway cannot be reached, kInternal when
// the answer is not JSON.
Result<AdminAnswer> AdminCall(const AdminEndpoint& endpoint, std::string_view method,
                              std::string_view target);

// Ok for a 2xx answer. Otherwise an error carrying the API's code and message, its code following
// the HTTP status: 400 kInvalidArgument, 401 kUnauthenticated, 404 kNotFound, 409
// kFailedPrecondition, 429 kResourceExhausted, 503 kUnavailable, anything else kInternal.
Status CheckAnswer(const AdminAnswer& answer);

// A record in RecordToJson's shape (either detail). Bodies never travel over the admin API: a
// payload or response parsed here has a body of `size` NUL bytes, which is all FormatRecordText
// shows of it. kInternal, naming the field, when the shape is not RecordToJson's.
Result<Record> RecordFromJson(const boost::json::value& json);

}  // namespace hookfence::cli

// The gateway's view of one HTTP exchange, independent of Beast: the handlers see these, and
// only http_session.cc speaks Beast.
// Thread-safety: plain values.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "hookfence/record.h"

namespace hookfence::server {

class LoopLag;

struct HttpRequest {
  std::string method;  // "POST", "GET", ...
  std::string target;  // path and query, as received
  Headers headers;     // as received, in order
  std::string body;
  std::string remote;  // peer address, for logs
  // The I/O loop that read it, which refuses webhooks while it runs late (LoopLag::Admit); null
  // outside a gateway session.
  LoopLag* loop = nullptr;
};

struct HttpResponse {
  int status = 200;
  Headers headers;  // Content-Type is set by the helpers below
  std::string body;
  bool close = false;  // close the connection after this response
  // The whole response as sent on a kept-alive connection, serialized once (Prebuilt): the hot
  // path's fixed answers skip building and serializing a message per request. Describes exactly
  // the fields above.
  std::shared_ptr<const std::string> wire;
};

// `response` with `wire` filled in (serialized where responses are written, http_session.cc).
HttpResponse Prebuilt(HttpResponse response);

// A case-insensitive lookup of the first header called `name`.
std::optional<std::string_view> FindHeader(const Headers& headers, std::string_view name);

// {"status":"<status>","message":"<message>"} with the given HTTP status.
HttpResponse StatusResponse(int http_status, std::string_view status, std::string_view message);
// {"error":"<code>","message":"<message>"}.
HttpResponse ErrorResponse(int http_status, std::string_view code, std::string_view message);
// Adds Retry-After (seconds).
HttpResponse WithRetryAfter(HttpResponse response, int seconds);

// The path without the query, and the value of one query parameter (percent-decoded).
std::string_view PathOf(std::string_view target);
std::optional<std::string> QueryParam(std::string_view target, std::string_view name);
// Percent-decodes; nullopt for a malformed escape. '+' means a space only in query strings
// (form encoding); in a path it is itself.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space = false);

}  // namespace hookfence::server

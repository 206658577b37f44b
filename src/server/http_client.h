// A small blocking HTTP/1.1 client for `hookfence send` and for tests: one request per call,
// over a fresh connection, plain or TLS.
// Thread-safety: functions are reentrant.
#pragma once

#include <string>
#include <string_view>

#include "hookfence/result.h"
#include "src/server/http_types.h"

namespace hookfence::server {

struct Url {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target;  // path and query, "/" at least
};

// http://host[:port][/path] or https://…; IPv6 hosts in brackets. kInvalidArgument otherwise.
Result<Url> ParseUrl(std::string_view url);

struct ClientOptions {
  Duration timeout = std::chrono::seconds(10);
  // TLS: verify the server's certificate against the system store (or `ca_file`).
  bool verify_tls = true;
  std::string ca_file;
};

// Sends one request and reads the whole response. kUnavailable when the connection fails or
// times out.
Result<HttpResponse> SendRequest(std::string_view method, const Url& url, const Headers& headers,
                                 std::string_view body, const ClientOptions& options = {});

}  // namespace hookfence::server

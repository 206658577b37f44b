// What the HTTP session does with a request Beast has parsed, shared with the request-path fuzzer
// (http_request_fuzz.cc) so that it exercises exactly the session's rules.
// Thread-safety: plain functions.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "src/server/http_types.h"

namespace hookfence::server {

using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// The request as the handlers see it; the body is moved, never copied.
HttpRequest ToRequest(boost::beast::http::request<boost::beast::http::string_body>&& message,
                      std::string remote);

// Why a parsed header's framing cannot be trusted (answered 400 bad_request, connection closed),
// or nullopt. A Transfer-Encoding must end in chunked (RFC 9112 §6.3) and never come with a
// Content-Length: a request smuggling attempt is refused, never guessed at.
std::optional<std::string_view> FramingProblem(const RequestParser& parser);

}  // namespace hookfence::server

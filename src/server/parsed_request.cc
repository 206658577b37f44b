#include "src/server/parsed_request.h"

namespace hookfence::server {

namespace http = boost::beast::http;

HttpRequest ToRequest(http::request<http::string_body>&& message, std::string remote) {
  HttpRequest request;
  request.remote = std::move(remote);
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  for (const auto& field : message) {
    request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  request.body = std::move(message.body());
  return request;
}

std::optional<std::string_view> FramingProblem(const RequestParser& parser) {
  const auto& head = parser.get();
  if (head.count(http::field::transfer_encoding) == 0) return std::nullopt;
  if (!parser.chunked()) return "Transfer-Encoding must end in chunked; nothing else is accepted";
  if (head.count(http::field::content_length) > 0) {
    return "Content-Length and Transfer-Encoding must not both be sent";
  }
  return std::nullopt;
}

}  // namespace hookfence::server

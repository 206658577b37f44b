#include "src/server/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace hookfence::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

Result<Url> ParseUrl(std::string_view url) {
  Url parsed;
  std::string_view rest;
  if (url.substr(0, 7) == "http://") {
    rest = url.substr(7);
  } else if (url.substr(0, 8) == "https://") {
    parsed.tls = true;
    rest = url.substr(8);
  } else {
    return InvalidArgumentError("URL must start with http:// or https://: " + std::string(url));
  }
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  parsed.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return InvalidArgumentError("bad IPv6 host in URL");
    parsed.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size() && authority[close + 1] == ':')
      port = authority.substr(close + 2);
  } else {
    const auto colon = authority.rfind(':');
    parsed.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (parsed.host.empty()) return InvalidArgumentError("URL has no host: " + std::string(url));
  parsed.port = port.empty() ? (parsed.tls ? "443" : "80") : std::string(port);
  return parsed;
}

namespace {

template <class Stream>
Result<HttpResponse> Exchange(Stream& stream, std::string_view method, const Url& url,
                              const Headers& headers, std::string_view body) {
  http::request<http::string_body> request{http::string_to_verb(method), url.target, 11};
  request.set(http::field::host, url.host);
  request.set(http::field::user_agent, "hookfence");
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = std::string(body);
  request.prepare_payload();
  beast::error_code ec;
  http::write(stream, request, ec);
  if (ec) return UnavailableError("sending the request failed: " + ec.message());
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  http::read(stream, buffer, parser, ec);
  if (ec) return UnavailableError("reading the response failed: " + ec.message());
  auto& message = parser.get();
  HttpResponse response;
  response.status = static_cast<int>(message.result_int());
  for (const auto& field : message) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = std::move(message.body());
  return response;
}

}  // namespace

Result<HttpResponse> SendRequest(std::string_view method, const Url& url, const Headers& headers,
                                 std::string_view body, const ClientOptions& options) {
  asio::io_context ioc;
  asio::ip::tcp::resolver resolver(ioc);
  beast::error_code ec;
  auto endpoints = resolver.resolve(url.host, url.port, ec);
  if (ec) return UnavailableError("cannot resolve " + url.host + ": " + ec.message());
  beast::tcp_stream tcp(ioc);
  tcp.expires_after(options.timeout);
  tcp.connect(endpoints, ec);
  if (ec)
    return UnavailableError("cannot connect to " + url.host + ":" + url.port + ": " + ec.message());
  if (!url.tls) {
    auto response = Exchange(tcp, method, url, headers, body);
    tcp.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    return response;
  }
  asio::ssl::context context(asio::ssl::context::tls_client);
  if (options.verify_tls) {
    context.set_verify_mode(asio::ssl::verify_peer);
    if (options.ca_file.empty()) {
      context.set_default_verify_paths();
    } else {
      context.load_verify_file(options.ca_file, ec);
      if (ec) return InvalidArgumentError("cannot read CA file: " + ec.message());
    }
  } else {
    context.set_verify_mode(asio::ssl::verify_none);
  }
  beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp), context);
  // SNI; SSL_set_tlsext_host_name is a macro with a C cast, so call what it expands to.
  SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
           const_cast<char*>(url.host.c_str()));
  stream.set_verify_callback(asio::ssl::host_name_verification(url.host));
  stream.handshake(asio::ssl::stream_base::client, ec);
  if (ec) return UnavailableError("TLS handshake failed: " + ec.message());
  auto response = Exchange(stream, method, url, headers, body);
  stream.shutdown(ec);
  return response;
}

}  // namespace hookfence::server

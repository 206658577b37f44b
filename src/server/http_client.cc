#include "src/server/http_client.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "src/server/http_client_common.h"

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

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

Status Failed(std::string_view what, const beast::error_code& ec) {
  return UnavailableError(std::string(what) + " failed: " +
                          (ec == beast::error::timeout ? std::string("timed out") : ec.message()));
}

// One request and its response on a connected stream; every step bounded by `timeout` (Beast's
// stream timeouts apply to asynchronous operations only, hence the coroutine).
template <class Stream>
asio::awaitable<void> Exchange(Stream& stream, std::string method, Url url, Headers headers,
                               std::string body, Duration timeout, Result<HttpResponse>* out) {
  ClientRequest request =
      BuildClientRequest(http::string_to_verb(method), url, headers, std::move(body));
  beast::get_lowest_layer(stream).expires_after(timeout);
  auto [write_ec, written] = co_await http::async_write(stream, request, kTuple);
  if (write_ec) {
    *out = Failed("sending the request", write_ec);
    co_return;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  beast::get_lowest_layer(stream).expires_after(timeout);
  auto [read_ec, read] = co_await http::async_read(stream, buffer, parser, kTuple);
  if (read_ec) {
    *out = Failed("reading the response", read_ec);
    co_return;
  }
  auto& message = parser.get();
  HttpResponse response;
  response.status = static_cast<int>(message.result_int());
  for (const auto& field : message) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = std::move(message.body());
  *out = std::move(response);
}

asio::awaitable<void> Connect(beast::tcp_stream& tcp, Url url, Duration timeout, Status* out) {
  asio::ip::tcp::resolver resolver(co_await asio::this_coro::executor);
  auto [resolve_ec, endpoints] = co_await resolver.async_resolve(url.host, url.port, kTuple);
  if (resolve_ec) {
    *out = UnavailableError("cannot resolve " + url.host + ": " + resolve_ec.message());
    co_return;
  }
  tcp.expires_after(timeout);
  auto [connect_ec, endpoint] = co_await tcp.async_connect(endpoints, kTuple);
  if (connect_ec) {
    *out = Failed("connecting to " + url.host + ":" + url.port, connect_ec);
    co_return;
  }
  *out = Status::Ok();
}

asio::awaitable<void> RunPlain(std::string method, Url url, Headers headers, std::string body,
                               Duration timeout, Result<HttpResponse>* out) {
  beast::tcp_stream tcp(co_await asio::this_coro::executor);
  Status connected;
  co_await Connect(tcp, url, timeout, &connected);
  if (!connected.ok()) {
    *out = connected;
    co_return;
  }
  co_await Exchange(tcp, std::move(method), url, std::move(headers), std::move(body), timeout, out);
  beast::error_code ignored;
  tcp.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
}

asio::awaitable<void> RunTls(std::string method, Url url, Headers headers, std::string body,
                             Duration timeout, asio::ssl::context* context,
                             Result<HttpResponse>* out) {
  beast::ssl_stream<beast::tcp_stream> stream(co_await asio::this_coro::executor, *context);
  Status connected;
  co_await Connect(beast::get_lowest_layer(stream), url, timeout, &connected);
  if (!connected.ok()) {
    *out = connected;
    co_return;
  }
  PrepareTlsClient(stream, url.host);
  beast::get_lowest_layer(stream).expires_after(timeout);
  auto [handshake_ec] = co_await stream.async_handshake(asio::ssl::stream_base::client, kTuple);
  if (handshake_ec) {
    *out = Failed("the TLS handshake", handshake_ec);
    co_return;
  }
  co_await Exchange(stream, std::move(method), url, std::move(headers), std::move(body), timeout,
                    out);
  beast::get_lowest_layer(stream).expires_after(timeout);
  co_await stream.async_shutdown(kTuple);
}

}  // namespace

Result<HttpResponse> SendRequest(std::string_view method, const Url& url, const Headers& headers,
                                 std::string_view body, const ClientOptions& options) {
  asio::io_context ioc;
  Result<HttpResponse> result = UnavailableError("the request was not sent");
  if (!url.tls) {
    asio::co_spawn(
        ioc,
        RunPlain(std::string(method), url, headers, std::string(body), options.timeout, &result),
        asio::detached);
    ioc.run();
    return result;
  }
  auto context = MakeTlsClientContext(options.verify_tls, options.ca_file);
  if (!context.ok()) return context.status();
  asio::co_spawn(ioc,
                 RunTls(std::string(method), url, headers, std::string(body), options.timeout,
                        context->get(), &result),
                 asio::detached);
  ioc.run();
  return result;
}

}  // namespace hookfence::server

#include "src/server/destination_client.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <exception>
#include <mutex>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include "src/server/http_client.h"
#include "src/server/http_client_common.h"

namespace hookfence::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using Kind = DestinationAnswer::Kind;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::uint32_t kMaxHeaderBytes = 64 * 1024;
constexpr std::size_t kReadChunkBytes = 16 * 1024;

using ConnectionStream = std::variant<beast::tcp_stream, TlsClientStream>;

ConnectionStream MakeStream(const asio::strand<asio::any_io_executor>& strand,
                            asio::ssl::context* tls) {
  if (tls != nullptr) {
    return ConnectionStream(std::in_place_type<TlsClientStream>, strand, *tls);
  }
  return ConnectionStream(std::in_place_type<beast::tcp_stream>, strand);
}

// One connection to the destination. The stream's executor is the connection's own strand, and
// every operation on it runs in a coroutine spawned there: one exchange at a time, whoever posts.
struct Connection {
  Connection(asio::any_io_executor executor, asio::ssl::context* tls)
      : strand(asio::make_strand(std::move(executor))), stream(MakeStream(strand, tls)) {}

  beast::tcp_stream& tcp() {
    if (auto* secure = std::get_if<TlsClientStream>(&stream)) {
      return beast::get_lowest_layer(*secure);
    }
    return std::get<beast::tcp_stream>(stream);
  }

  asio::strand<asio::any_io_executor> strand;
  ConnectionStream stream;
  beast::flat_buffer buffer;  // bytes read past one response stay for the next
  bool connected = false;
};

// One try on one connection.
struct Outcome {
  DestinationAnswer answer;
  bool reusable = false;  // read whole and keep-alive: the connection may go back to the pool
  bool retry = false;     // a pooled connection the server had closed: try a new one
};

Outcome Failed(Kind kind, std::string error) {
  Outcome outcome;
  outcome.answer.kind = kind;
  outcome.answer.error = std::move(error);
  return outcome;
}

// `what` failed with `ec`: a timeout when its deadline expired (whatever error a layer above the
// TCP stream made of it), else a connection error.
Outcome Classify(const std::string& what, const beast::error_code& ec,
                 SteadyClock::time_point deadline) {
  if (ec == beast::error::timeout || SteadyClock::now() >= deadline) {
    return Failed(Kind::kTimeout, what + ": timed out");
  }
  if (ec == http::error::end_of_stream || ec == asio::error::eof) {
    return Failed(Kind::kConnectionError, what + ": the server closed the connection");
  }
  return Failed(Kind::kConnectionError, what + ": " + ec.message());
}

// How a server's closing of a connection that sat in the pool shows to the next exchange on it.
bool ClosedWhileIdle(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::connection_aborted ||
         ec == asio::error::broken_pipe || ec == asio::ssl::error::stream_truncated;
}

bool IsCertificateVerifyFailure(const beast::error_code& ec) {
  return ec.category() == asio::error::get_ssl_category() &&
         ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_CERTIFICATE_VERIFY_FAILED;
}

bool IsPort(const std::string& port) {
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  const int value = std::stoi(port);
  return value > 0 && value <= 65535;
}

}  // namespace

class DestinationClient::Impl {
 public:
  Impl(DestinationOptions options, Url url, std::unique_ptr<asio::ssl::context> tls)
      : options_(std::move(options)),
        url_(std::move(url)),
        where_(HostAndPort(url_)),
        tls_(std::move(tls)) {}

  // DestinationClient::Post; `impl` keeps the state alive while the exchange runs.
  static asio::awaitable<DestinationAnswer> Post(std::shared_ptr<Impl> impl, Headers headers,
                                                 std::string body) {
    const SteadyClock::time_point start = SteadyClock::now();
    auto request = std::make_shared<const ClientRequest>(
        BuildClientRequest(http::verb::post, impl->url_, headers, std::move(body)));
    const asio::any_io_executor executor = co_await asio::this_coro::executor;
    std::shared_ptr<Connection> connection = impl->CheckOut();
    bool reused = connection != nullptr;
    if (!reused) {
      connection = impl->NewConnection(executor);
    }
    Outcome outcome = co_await RunOnStrand(impl, connection, request, reused);
    if (outcome.retry) {
      connection = impl->NewConnection(executor);
      reused = false;
      outcome = co_await RunOnStrand(impl, connection, request, reused);
    }
    if (outcome.reusable) {
      impl->CheckIn(std::move(connection));
    }
    DestinationAnswer answer = std::move(outcome.answer);
    answer.reused_connection = reused;
    answer.latency = std::chrono::duration_cast<Duration>(SteadyClock::now() - start);
    co_return answer;
  }

  void CloseIdle() {
    std::vector<std::shared_ptr<Connection>> closing;
    {
      std::lock_guard lock(mu_);
      closing.swap(idle_);
    }
    // No operation is pending on an idle connection: destroying it closes its socket.
  }

  std::size_t idle_connections() const {
    std::lock_guard lock(mu_);
    return idle_.size();
  }

 private:
  // The most recently used idle connection (the least likely to have been closed by the server),
  // or null.
  std::shared_ptr<Connection> CheckOut() {
    std::lock_guard lock(mu_);
    if (idle_.empty()) {
      return nullptr;
    }
    std::shared_ptr<Connection> connection = std::move(idle_.back());
    idle_.pop_back();
    return connection;
  }

  // Pools `connection`, or closes it (by dropping it) when the pool is full.
  void CheckIn(std::shared_ptr<Connection> connection) {
    std::lock_guard lock(mu_);
    if (idle_.size() < options_.max_idle_connections) {
      idle_.push_back(std::move(connection));
    }
  }

  std::shared_ptr<Connection> NewConnection(asio::any_io_executor executor) const {
    return std::make_shared<Connection>(std::move(executor), tls_.get());
  }

  // Runs one Attempt on the connection's strand and comes back to the caller's executor.
  static asio::awaitable<Outcome> RunOnStrand(std::shared_ptr<Impl> impl,
                                              std::shared_ptr<Connection> connection,
                                              std::shared_ptr<const ClientRequest> request,
                                              bool reused) {
    const asio::strand<asio::any_io_executor> strand = connection->strand;
    auto [exception, outcome] = co_await asio::co_spawn(
        strand, Attempt(impl, std::move(connection), std::move(request), reused), kTuple);
    if (exception) {
      co_return Failed(Kind::kConnectionError, "POST to " + impl->where_ + ": internal error");
    }
    co_return outcome;
  }

  // Connects when the connection is new, then exchanges the request for a response.
  static asio::awaitable<Outcome> Attempt(std::shared_ptr<Impl> impl,
                                          std::shared_ptr<Connection> connection,
                                          std::shared_ptr<const ClientRequest> request,
                                          bool reused) {
    if (!connection->connected) {
      std::optional<Outcome> failed = co_await Connect(impl, connection);
      if (failed) {
        co_return std::move(*failed);
      }
      connection->connected = true;
    }
    Outcome outcome;
    if (std::holds_alternative<TlsClientStream>(connection->stream)) {
      outcome = co_await Exchange<TlsClientStream>(impl, connection, request, reused);
    } else {
      outcome = co_await Exchange<beast::tcp_stream>(impl, connection, request, reused);
    }
    co_return outcome;
  }

  // Resolves, connects and, for TLS, shakes hands, all before one deadline; nullopt on success.
  static asio::awaitable<std::optional<Outcome>> Connect(std::shared_ptr<Impl> impl,
                                                         std::shared_ptr<Connection> connection) {
    const SteadyClock::time_point deadline = SteadyClock::now() + impl->options_.connect_timeout;
    tcp::resolver resolver(connection->strand);
    auto [resolve_ec, endpoints] =
        co_await resolver.async_resolve(impl->url_.host, impl->url_.port, kTuple);
    if (resolve_ec) {
      co_return Failed(Kind::kConnectionError,
                       "resolve " + impl->url_.host + ": " + resolve_ec.message());
    }
    if (SteadyClock::now() >= deadline) {
      co_return Failed(Kind::kTimeout, "resolve " + impl->url_.host + ": timed out");
    }
    beast::tcp_stream& tcp_stream = connection->tcp();
    tcp_stream.expires_at(deadline);
    auto [connect_ec, endpoint] = co_await tcp_stream.async_connect(endpoints, kTuple);
    if (connect_ec) {
      co_return Classify("connect to " + impl->where_, connect_ec, deadline);
    }
    beast::error_code ignored;
    tcp_stream.socket().set_option(tcp::no_delay(true), ignored);
    if (auto* secure = std::get_if<TlsClientStream>(&connection->stream)) {
      PrepareTlsClient(*secure, impl->url_.host);
      auto [handshake_ec] =
          co_await secure->async_handshake(asio::ssl::stream_base::client, kTuple);
      if (handshake_ec) {
        co_return HandshakeFailure(*impl, *secure, handshake_ec, deadline);
      }
    }
    tcp_stream.expires_never();
    co_return std::nullopt;
  }

  static Outcome HandshakeFailure(const Impl& impl, TlsClientStream& stream,
                                  const beast::error_code& ec, SteadyClock::time_point deadline) {
    const std::string what = "TLS handshake with " + impl.where_;
    if (!IsCertificateVerifyFailure(ec)) {
      return Classify(what, ec, deadline);
    }
    const long verify_result = SSL_get_verify_result(stream.native_handle());
    return Failed(Kind::kConnectionError, what + ": certificate verify failed (" +
                                              X509_verify_cert_error_string(verify_result) + ")");
  }

  // Sends the request and reads the response, all before one deadline.
  template <class Stream>
  static asio::awaitable<Outcome> Exchange(std::shared_ptr<Impl> impl,
                                           std::shared_ptr<Connection> connection,
                                           std::shared_ptr<const ClientRequest> request,
                                           bool reused) {
    Stream& stream = std::get<Stream>(connection->stream);
    beast::tcp_stream& tcp_stream = connection->tcp();
    const SteadyClock::time_point deadline = SteadyClock::now() + impl->options_.response_timeout;
    tcp_stream.expires_at(deadline);
    auto [write_ec, written] = co_await http::async_write(stream, *request, kTuple);
    if (write_ec) {
      Outcome outcome = Classify("send the request to " + impl->where_, write_ec, deadline);
      outcome.retry = reused && ClosedWhileIdle(write_ec);
      co_return outcome;
    }

    http::response_parser<http::buffer_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(boost::none);  // cut below at max_response_bytes, without failing
    auto [header_ec, header_bytes] =
        co_await http::async_read_header(stream, connection->buffer, parser, kTuple);
    if (header_ec) {
      Outcome outcome = Classify("read the response from " + impl->where_, header_ec, deadline);
      outcome.retry = reused && !parser.got_some() && connection->buffer.size() == 0 &&
                      ClosedWhileIdle(header_ec);
      co_return outcome;
    }

    Outcome outcome;
    DestinationAnswer& answer = outcome.answer;
    std::array<char, kReadChunkBytes> chunk;
    while (!parser.is_done()) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      auto [body_ec, body_bytes] =
          co_await http::async_read(stream, connection->buffer, parser, kTuple);
      if (body_ec && body_ec != http::error::need_buffer) {
        co_return Classify("read the response body from " + impl->where_, body_ec, deadline);
      }
      const std::size_t got = chunk.size() - parser.get().body().size;
      const std::size_t room = impl->options_.max_response_bytes - answer.body.size();
      answer.body.append(chunk.data(), std::min<std::uint64_t>(got, room));
      if (got > room) {
        answer.truncated = true;
        break;
      }
    }
    tcp_stream.expires_never();
    answer.kind = Kind::kResponse;
    answer.status = static_cast<int>(parser.get().result_int());
    for (const auto& field : parser.get()) {
      answer.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    outcome.reusable = !answer.truncated && parser.is_done() && parser.keep_alive();
    co_return outcome;
  }

  const DestinationOptions options_;
  const Url url_;
  const std::string where_;                        // host:port, for messages
  const std::unique_ptr<asio::ssl::context> tls_;  // null for http://

  mutable std::mutex mu_;
  std::vector<std::shared_ptr<Connection>> idle_;  // most recently used last
};

Result<std::shared_ptr<DestinationClient>> DestinationClient::Create(DestinationOptions options) {
  HF_ASSIGN_OR_RETURN(Url url, ParseUrl(options.url));
  if (!IsPort(url.port)) {
    return InvalidArgumentError("URL has a bad port: " + options.url);
  }
  std::unique_ptr<asio::ssl::context> tls;
  if (url.tls || !options.ca_file.empty()) {
    HF_ASSIGN_OR_RETURN(tls, MakeTlsClientContext(options.verify_tls, options.ca_file));
  }
  if (!url.tls) {
    tls.reset();
  }
  auto impl = std::make_shared<Impl>(std::move(options), std::move(url), std::move(tls));
  return std::shared_ptr<DestinationClient>(new DestinationClient(std::move(impl)));
}

DestinationClient::DestinationClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

DestinationClient::~DestinationClient() { impl_->CloseIdle(); }

asio::awaitable<DestinationAnswer> DestinationClient::Post(Headers headers, std::string body) {
  // Not a coroutine itself: the returned coroutine holds the shared state, never `this`.
  return Impl::Post(impl_, std::move(headers), std::move(body));
}

void DestinationClient::CloseIdle() { impl_->CloseIdle(); }

std::size_t DestinationClient::idle_connections() const { return impl_->idle_connections(); }

}  // namespace hookfence::server

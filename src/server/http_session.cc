#include "src/server/http_session.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <sstream>

#include "src/server/parsed_request.h"
#include "src/server/routes.h"

namespace hookfence::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadChunk = 64 * 1024;

// "address:port" of the peer ("[v6]:port" for IPv6), or "unknown" once it has gone.
std::string RemoteOf(beast::tcp_stream& tcp) {
  boost::system::error_code ec;
  const asio::ip::tcp::endpoint peer = tcp.socket().remote_endpoint(ec);
  if (ec) return "unknown";
  const std::string address = peer.address().to_string();
  const std::string host = peer.address().is_v6() ? "[" + address + "]" : address;
  return host + ":" + std::to_string(peer.port());
}

http::response<http::string_body> ToMessage(const HttpResponse& answer, bool keep_alive) {
  http::response<http::string_body> response{static_cast<http::status>(answer.status), 11};
  response.set(http::field::server, "hookfence");
  for (const auto& [name, value] : answer.headers) response.set(name, value);
  response.body() = answer.body;
  response.keep_alive(keep_alive);
  response.prepare_payload();
  return response;
}

template <class Stream>
asio::awaitable<void> Write(Stream& stream, const HttpResponse& answer, bool keep_alive,
                            Duration timeout) {
  beast::get_lowest_layer(stream).expires_after(timeout);
  if (keep_alive && answer.wire != nullptr) {
    co_await asio::async_write(stream, asio::buffer(*answer.wire), kTuple);
    co_return;
  }
  http::response<http::string_body> response = ToMessage(answer, keep_alive);
  co_await http::async_write(stream, response, kTuple);
}

// The request loop shared by plain and TLS connections.
template <class Stream>
asio::awaitable<void> ServeRequests(Stream& stream, std::shared_ptr<GatewayCore> core,
                                    SessionLimits limits, std::shared_ptr<SessionRegistry> registry,
                                    std::shared_ptr<std::atomic<bool>> idle, LoopLag* lag) {
  auto& tcp = beast::get_lowest_layer(stream);
  // Bounded: header_limit and body_limit do not count chunk-size lines and their extensions,
  // which would otherwise pile up here without end.
  beast::flat_buffer buffer(limits.max_header_bytes + kReadChunk);
  const std::string remote = RemoteOf(tcp);  // once: the peer of a connection does not change
  while (!registry->stopping()) {
    if (buffer.size() == 0) {
      // Idle between requests: wait for the first byte of the next one.
      tcp.expires_after(limits.idle_timeout);
      idle->store(true);
      if (registry->stopping()) co_return;  // shutdown began before this session went idle
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(kReadChunk), kTuple);
      idle->store(false);
      if (ec) co_return;
      buffer.commit(n);
    }
    tcp.expires_after(limits.read_timeout);  // the whole request, header and body
    RequestParser parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    parser.body_limit(limits.max_body_bytes);
    auto [header_ec, header_bytes] =
        co_await http::async_read_header(stream, buffer, parser, kTuple);
    if (header_ec == http::error::header_limit) {
      co_await Write(stream,
                     ErrorResponse(431, "headers_too_large",
                                   "the request line or headers are larger than allowed"),
                     false, limits.read_timeout);
      co_return;
    }
    if (header_ec == http::error::body_limit) {
      // Beast checks a Content-Length against the body limit while it reads the header, so an
      // announced oversized body is refused here, before any of it is read.
      co_await Write(stream,
                     ErrorResponse(413, "body_too_large",
                                   "the body is larger than " +
                                       std::to_string(limits.max_body_bytes) + " bytes"),
                     false, limits.read_timeout);
      co_return;  // the body is never read
    }
    if (header_ec) {
      if (header_ec == beast::error::timeout || header_ec == http::error::end_of_stream ||
          header_ec == asio::error::operation_aborted) {
        co_return;  // cut off (slowloris), closed by the peer, or shutting down
      }
      co_await Write(stream, ErrorResponse(400, "bad_request", header_ec.message()), false,
                     limits.read_timeout);
      co_return;
    }
    if (auto problem = FramingProblem(parser)) {
      co_await Write(stream, ErrorResponse(400, "bad_request", *problem), false,
                     limits.read_timeout);
      co_return;
    }
    auto& head = parser.get();
    if (beast::iequals(head[http::field::expect], "100-continue")) {
      http::response<http::empty_body> go_on{http::status::continue_, 11};
      auto [ec, n] = co_await http::async_write(stream, go_on, kTuple);
      if (ec) co_return;
    }
    auto [body_ec, body_bytes] = co_await http::async_read(stream, buffer, parser, kTuple);
    if (body_ec == http::error::body_limit) {
      co_await Write(stream, ErrorResponse(413, "body_too_large", "the body is too large"), false,
                     limits.read_timeout);
      co_return;
    }
    if (body_ec) {
      if (body_ec != beast::error::timeout && body_ec != http::error::end_of_stream &&
          body_ec != asio::error::operation_aborted) {
        co_await Write(stream, ErrorResponse(400, "bad_request", body_ec.message()), false,
                       limits.read_timeout);
      }
      co_return;
    }
    http::request<http::string_body> message = parser.release();
    const bool keep_alive = message.keep_alive();
    tcp.expires_never();  // the store round has its own bounds
    HttpRequest request = ToRequest(std::move(message), remote);
    if (lag != nullptr) lag->Note();
    request.loop = lag;
    HttpResponse answer = co_await Route(core, std::move(request));
    const bool keep = keep_alive && !answer.close && !registry->stopping();
    co_await Write(stream, answer, keep, limits.read_timeout);
    if (!keep) co_return;
  }
}

}  // namespace

HttpResponse Prebuilt(HttpResponse response) {
  std::ostringstream out;
  out << ToMessage(response, true);
  response.wire = std::make_shared<const std::string>(std::move(out).str());
  return response;
}

std::uint64_t SessionRegistry::Add(asio::any_io_executor strand, asio::ip::tcp::socket* socket,
                                   std::shared_ptr<std::atomic<bool>> idle) {
  std::lock_guard lock(mu_);
  const std::uint64_t id = next_id_++;
  sessions_.emplace(id, Entry{std::move(strand), socket, std::move(idle)});
  return id;
}

void SessionRegistry::Remove(std::uint64_t id) {
  {
    std::lock_guard lock(mu_);
    sessions_.erase(id);
  }
  cv_.notify_all();
}

void SessionRegistry::CancelAll() {
  stopping_.store(true);
  std::lock_guard lock(mu_);
  for (const auto& [id, entry] : sessions_) {
    asio::post(entry.strand, [self = shared_from_this(), id = id] { self->CancelIfIdle(id); });
  }
}

// Runs on the session's strand, where Remove also runs: a session still registered here still
// owns its socket.
void SessionRegistry::CancelIfIdle(std::uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end() || !it->second.idle->load()) return;
  boost::system::error_code ignored;
  it->second.socket->cancel(ignored);
}

bool SessionRegistry::WaitEmpty(Duration timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return sessions_.empty(); });
}

std::size_t SessionRegistry::size() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

asio::awaitable<void> ServeConnection(beast::tcp_stream stream,
                                      std::shared_ptr<asio::ssl::context> tls,
                                      std::shared_ptr<GatewayCore> core, SessionLimits limits,
                                      std::shared_ptr<SessionRegistry> registry,
                                      std::shared_ptr<LoopLag> lag) {
  auto strand = co_await asio::this_coro::executor;
  auto idle = std::make_shared<std::atomic<bool>>(false);
  if (tls == nullptr) {
    const std::uint64_t id = registry->Add(strand, &stream.socket(), idle);
    co_await ServeRequests(stream, core, limits, registry, idle, lag.get());
    boost::system::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    registry->Remove(id);
    co_return;
  }
  beast::ssl_stream<beast::tcp_stream> secure(std::move(stream), *tls);
  const std::uint64_t id = registry->Add(strand, &beast::get_lowest_layer(secure).socket(), idle);
  beast::get_lowest_layer(secure).expires_after(limits.read_timeout);
  auto [ec] = co_await secure.async_handshake(asio::ssl::stream_base::server, kTuple);
  if (!ec) {
    co_await ServeRequests(secure, core, limits, registry, idle, lag.get());
    beast::get_lowest_layer(secure).expires_after(std::chrono::seconds(2));
    co_await secure.async_shutdown(kTuple);
  }
  registry->Remove(id);
}

}  // namespace hookfence::server

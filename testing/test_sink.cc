#include "testing/test_sink.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

namespace hookfence::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
// Connections still open this long after Stop cancelled them are abandoned to ioc.stop().
constexpr auto kStopGrace = std::chrono::seconds(5);

// One accepted connection. Shared between its session and whoever must cancel it (Stop,
// Release), whose posted handlers may outlive the session.
struct Connection {
  Connection(tcp::socket socket, std::uint64_t connection_id)
      : stream(std::move(socket)), timer(stream.get_executor()), id(connection_id) {}

  beast::tcp_stream stream;  // its executor is the connection's strand
  asio::steady_timer timer;  // stalls and slow answers
  const std::uint64_t id;
  // True while the session waits out a stall; read and written on the strand only, so a Release
  // that races with the stall's own expiry cannot cut short the slow-answer wait that follows.
  bool stalled = false;
};

// What one Start runs: the io_context, its threads, the listener and the live connections.
struct Server {
  explicit Server(int thread_count) : ioc(thread_count), acceptor(asio::make_strand(ioc)) {}

  // False when the server is stopping: the caller closes the connection instead of serving it.
  bool Add(const std::shared_ptr<Connection>& connection) {
    std::lock_guard lock(mu);
    if (stopping.load()) {
      return false;
    }
    connections.emplace(connection->id, connection);
    return true;
  }

  void Remove(std::uint64_t id) {
    {
      std::lock_guard lock(mu);
      connections.erase(id);
    }
    cv.notify_all();
  }

  // Closes the listener and every connection, each on its own strand.
  void CancelAll() {
    std::lock_guard lock(mu);
    stopping.store(true);
    asio::post(acceptor.get_executor(), [this] {
      boost::system::error_code ignored;
      acceptor.close(ignored);
    });
    for (const auto& [id, connection] : connections) {
      asio::post(connection->timer.get_executor(), [connection] {
        boost::system::error_code ignored;
        connection->timer.cancel();
        connection->stream.socket().close(ignored);
      });
    }
  }

  bool WaitEmpty(Duration timeout) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [this] { return connections.empty(); });
  }

  asio::io_context ioc;
  tcp::acceptor acceptor;  // on a strand of its own, so Stop can close it safely
  std::vector<std::thread> threads;
  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::uint64_t, std::shared_ptr<Connection>> connections;
};

bool IsSuccess(int status) { return status >= 200 && status < 300; }

http::response<http::string_body> ToMessage(const server::HttpResponse& answer, bool keep_alive) {
  http::response<http::string_body> message{static_cast<http::status>(answer.status), 11};
  message.set(http::field::server, "hookfence-test-sink");
  for (const auto& [name, value] : answer.headers) {
    message.insert(name, value);
  }
  message.body() = answer.body;
  message.keep_alive(keep_alive);
  message.prepare_payload();
  return message;
}

void Close(Connection& connection) {
  boost::system::error_code ignored;
  connection.stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  connection.stream.socket().close(ignored);
}

}  // namespace

std::optional<std::string_view> ReceivedRequest::Header(std::string_view name) const {
  return server::FindHeader(headers, name);
}

SinkReply StatusReply(int status, std::optional<int> retry_after_seconds) {
  SinkReply reply;
  reply.response.status = status;
  reply.response.headers.emplace_back("Content-Type", "text/plain");
  reply.response.body = std::to_string(status) + " " +
                        std::string(http::obsolete_reason(static_cast<http::status>(status)));
  if (retry_after_seconds) {
    reply.response = server::WithRetryAfter(std::move(reply.response), *retry_after_seconds);
  }
  return reply;
}

SinkReply CloseReply() {
  SinkReply reply;
  reply.close_without_answer = true;
  return reply;
}

class TestSink::Impl {
 public:
  explicit Impl(Options options) : options_(std::move(options)) {}
  ~Impl() { Stop(); }

  Result<std::uint16_t> Start() {
    std::lock_guard lifecycle(lifecycle_mu_);
    if (server_ != nullptr) {
      return FailedPreconditionError("the test sink is already running");
    }
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(options_.host, ec);
    if (ec) {
      return InvalidArgumentError("test sink host " + options_.host + ": " + ec.message());
    }
    const std::uint16_t wanted = port_.load() != 0 ? port_.load() : options_.port;
    auto server = std::make_unique<Server>(options_.threads);
    const tcp::endpoint endpoint(address, wanted);
    server->acceptor.open(endpoint.protocol(), ec);
    if (!ec) {
      // A restart rebinds the same port while the last run's connections sit in TIME_WAIT.
      server->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
      server->acceptor.bind(endpoint, ec);
    }
    if (!ec) {
      server->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      return UnavailableError("test sink cannot listen on " + options_.host + ":" +
                              std::to_string(wanted) + ": " + ec.message());
    }
    port_.store(server->acceptor.local_endpoint().port());
    asio::co_spawn(server->acceptor.get_executor(), AcceptLoop(server.get()), asio::detached);
    for (int i = 0; i < std::max(1, options_.threads); ++i) {
      server->threads.emplace_back([raw = server.get()] { raw->ioc.run(); });
    }
    server_ = std::move(server);
    return port_.load();
  }

  void Stop() {
    std::lock_guard lifecycle(lifecycle_mu_);
    if (server_ == nullptr) {
      return;
    }
    server_->CancelAll();
    server_->WaitEmpty(kStopGrace);
    server_->ioc.stop();
    for (auto& thread : server_->threads) {
      thread.join();
    }
    server_.reset();
    {
      // Sessions abandoned to ioc.stop() never reached EndStall.
      std::lock_guard lock(mu_);
      held_.clear();
    }
    cv_.notify_all();
  }

  std::uint16_t port() const { return port_.load(); }

  void AnswerAll(SinkReply reply) {
    std::lock_guard lock(mu_);
    all_reply_ = std::move(reply);
  }

  void AnswerNext(int count, SinkReply reply) {
    std::lock_guard lock(mu_);
    next_count_ = std::max(0, count);
    next_reply_ = std::move(reply);
  }

  void AnswerWithProbability(double p, SinkReply reply, std::uint64_t seed) {
    std::lock_guard lock(mu_);
    probability_ = std::clamp(p, 0.0, 1.0);
    probability_reply_ = std::move(reply);
    rng_.seed(seed);
  }

  void Stall(std::optional<Duration> max_hold) {
    std::lock_guard lock(mu_);
    stalling_ = true;
    max_hold_ = max_hold;
  }

  void Release() {
    std::lock_guard lock(mu_);
    stalling_ = false;
    for (const auto& [id, connection] : held_) {
      asio::post(connection->timer.get_executor(), [connection] {
        if (connection->stalled) {
          connection->timer.cancel();
        }
      });
    }
  }

  void AnswerSlowly(Duration delay) {
    std::lock_guard lock(mu_);
    slow_delay_ = delay;
  }

  void SetHook(RequestHook hook) {
    std::lock_guard lock(mu_);
    hook_ = hook ? std::make_shared<const RequestHook>(std::move(hook)) : nullptr;
  }

  void Reset() {
    Release();
    std::lock_guard lock(mu_);
    all_reply_ = SinkReply{};
    next_count_ = 0;
    probability_ = 0;
    slow_delay_ = Duration(0);
    hook_ = nullptr;
    max_hold_.reset();
  }

  std::size_t count() const {
    std::lock_guard lock(mu_);
    return log_.size();
  }

  std::vector<ReceivedRequest> Requests() const {
    std::lock_guard lock(mu_);
    return log_;
  }

  std::vector<ReceivedRequest> RequestsWithHeader(std::string_view name,
                                                  std::string_view value) const {
    std::vector<ReceivedRequest> matching;
    std::lock_guard lock(mu_);
    for (const auto& request : log_) {
      const auto found = request.Header(name);
      if (found && *found == value) {
        matching.push_back(request);
      }
    }
    return matching;
  }

  EffectsView Effects(std::string_view key_header) const {
    EffectsView view;
    std::map<std::string, bool, std::less<>> applied;  // key -> its effect has applied
    std::lock_guard lock(mu_);
    view.requests = log_.size();
    for (const auto& request : log_) {
      const auto key = request.Header(key_header);
      if (!key) {
        ++view.without_key;
        continue;
      }
      bool& done = applied[std::string(*key)];
      if (done) {
        ++view.duplicates;
        ++view.duplicate_keys[std::string(*key)];
      } else if (IsSuccess(request.answer_status)) {
        done = true;
        ++view.applied;
        view.applied_keys.emplace_back(*key);
      } else {
        ++view.failed;
      }
    }
    return view;
  }

  std::uint64_t connections() const { return next_connection_.load(); }

  std::size_t held() const {
    std::lock_guard lock(mu_);
    return held_.size();
  }

  void Clear() {
    std::lock_guard lock(mu_);
    log_.clear();
  }

  bool WaitForCount(std::size_t n, SteadyTime deadline) const {
    std::unique_lock lock(mu_);
    return cv_.wait_until(lock, deadline, [this, n] { return log_.size() >= n; });
  }

  bool WaitForHeld(std::size_t n, SteadyTime deadline) const {
    std::unique_lock lock(mu_);
    return cv_.wait_until(lock, deadline, [this, n] { return held_.size() >= n; });
  }

 private:
  asio::awaitable<void> AcceptLoop(Server* server) {
    for (;;) {
      tcp::socket socket(asio::make_strand(server->ioc));
      auto [ec] = co_await server->acceptor.async_accept(socket, kTuple);
      if (ec == asio::error::operation_aborted || !server->acceptor.is_open()) {
        co_return;
      }
      if (ec) {
        continue;
      }
      auto connection = std::make_shared<Connection>(std::move(socket), ++next_connection_);
      if (!server->Add(connection)) {
        Close(*connection);
        co_return;
      }
      asio::co_spawn(connection->timer.get_executor(), Serve(connection, server), asio::detached);
    }
  }

  // The request loop of one connection, on its strand.
  asio::awaitable<void> Serve(std::shared_ptr<Connection> connection, Server* server) {
    beast::flat_buffer buffer;
    std::uint64_t index = 0;
    for (;;) {
      connection->stream.expires_after(options_.idle_timeout);
      http::request_parser<http::string_body> parser;
      parser.header_limit(64 * 1024);
      parser.body_limit(options_.max_body_bytes);
      auto [header_ec, header_bytes] =
          co_await http::async_read_header(connection->stream, buffer, parser, kTuple);
      if (header_ec) {
        break;  // closed by the peer, idle too long, malformed, or stopping
      }
      connection->stream.expires_after(options_.read_timeout);
      if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
        http::response<http::empty_body> go_on{http::status::continue_, 11};
        auto [continue_ec, continue_bytes] =
            co_await http::async_write(connection->stream, go_on, kTuple);
        if (continue_ec) {
          break;
        }
      }
      auto [body_ec, body_bytes] =
          co_await http::async_read(connection->stream, buffer, parser, kTuple);
      if (body_ec) {
        break;
      }
      connection->stream.expires_never();  // a stall or a slow answer is bounded by its timer
      http::request<http::string_body> message = parser.release();
      const bool keep_alive = message.keep_alive();
      const SinkReply reply = Receive(connection->id, ++index, std::move(message));
      const bool go_on = co_await Hold(connection, server, reply.delay);
      if (!go_on || reply.close_without_answer) {
        break;
      }
      const bool keep = keep_alive && !reply.response.close;
      auto response = ToMessage(reply.response, keep);
      connection->stream.expires_after(options_.read_timeout);
      auto [write_ec, write_bytes] =
          co_await http::async_write(connection->stream, response, kTuple);
      if (write_ec || !keep) {
        break;
      }
    }
    Close(*connection);
    server->Remove(connection->id);
  }

  // Waits out a stall, then the slow-answer delay plus `extra`. False when the sink is stopping.
  asio::awaitable<bool> Hold(std::shared_ptr<Connection> connection, Server* server,
                             Duration extra) {
    if (BeginStall(connection)) {
      // Expiry, Release and Stop all end the wait alike; Stop is told apart below.
      co_await connection->timer.async_wait(kTuple);
      EndStall(*connection);
    }
    // Stop sets `stopping` before it posts its cancellation, so a wait that starts after this
    // check is cancelled by it.
    if (server->stopping.load()) {
      co_return false;
    }
    const Duration delay = SlowDelay() + extra;
    if (delay > Duration(0)) {
      connection->timer.expires_after(delay);
      co_await connection->timer.async_wait(kTuple);
    }
    co_return !server->stopping.load();
  }

  // Runs on the connection's strand. Registering under the lock that Release takes means a
  // Release either sees this hold (and posts its cancel behind the wait that follows on this
  // strand) or has already ended the stall.
  bool BeginStall(const std::shared_ptr<Connection>& connection) {
    {
      std::lock_guard lock(mu_);
      if (!stalling_) {
        return false;
      }
      if (max_hold_) {
        connection->timer.expires_after(*max_hold_);
      } else {
        connection->timer.expires_at(asio::steady_timer::time_point::max());
      }
      connection->stalled = true;
      held_.emplace(connection->id, connection);
    }
    cv_.notify_all();
    return true;
  }

  void EndStall(Connection& connection) {
    connection.stalled = false;
    std::lock_guard lock(mu_);
    held_.erase(connection.id);
  }

  Duration SlowDelay() const {
    std::lock_guard lock(mu_);
    return slow_delay_;
  }

  // Records one request and decides its reply. The hook runs outside the lock: it may call the
  // sink's accessors.
  SinkReply Receive(std::uint64_t connection_id, std::uint64_t index,
                    http::request<http::string_body> message) {
    ReceivedRequest request;
    request.arrived_at = std::chrono::steady_clock::now();
    request.connection = connection_id;
    request.index_on_connection = index;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    for (const auto& field : message) {
      request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(message.body());
    std::shared_ptr<const RequestHook> hook;
    {
      std::lock_guard lock(mu_);
      request.sequence = ++next_sequence_;
      hook = hook_;
    }
    std::optional<SinkReply> reply;
    if (hook != nullptr) {
      reply = (*hook)(request);
    }
    std::optional<ReceivedRequest> observed;
    {
      std::lock_guard lock(mu_);
      if (!reply) {
        reply = DecideLocked();
      }
      request.answer_status = reply->close_without_answer ? 0 : reply->response.status;
      if (options_.on_record) {
        observed = request;
      }
      // Hooks run unlocked, so a later arrival can be recorded first: keep the log in order.
      const auto position = std::upper_bound(
          log_.begin(), log_.end(), request.sequence,
          [](std::uint64_t sequence, const ReceivedRequest& r) { return sequence < r.sequence; });
      log_.insert(position, std::move(request));
    }
    cv_.notify_all();
    if (observed) {
      options_.on_record(*observed);
    }
    return std::move(*reply);
  }

  SinkReply DecideLocked() {
    if (next_count_ > 0) {
      --next_count_;
      return next_reply_;
    }
    if (probability_ > 0 && std::bernoulli_distribution(probability_)(rng_)) {
      return probability_reply_;
    }
    return all_reply_;
  }

  const Options options_;
  std::atomic<std::uint16_t> port_{0};
  std::atomic<std::uint64_t> next_connection_{0};

  std::mutex lifecycle_mu_;  // serialises Start and Stop
  std::unique_ptr<Server> server_;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;  // a request recorded, or a hold begun
  std::vector<ReceivedRequest> log_;    // in sequence order
  std::uint64_t next_sequence_ = 0;
  SinkReply all_reply_;
  int next_count_ = 0;
  SinkReply next_reply_;
  double probability_ = 0;
  SinkReply probability_reply_;
  std::mt19937_64 rng_;
  bool stalling_ = false;
  std::optional<Duration> max_hold_;
  std::map<std::uint64_t, std::shared_ptr<Connection>> held_;
  Duration slow_delay_{0};
  std::shared_ptr<const RequestHook> hook_;
};

TestSink::TestSink() : TestSink(Options{}) {}
TestSink::TestSink(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}
TestSink::~TestSink() = default;

Result<std::uint16_t> TestSink::Start() { return impl_->Start(); }
void TestSink::Stop() { impl_->Stop(); }
std::uint16_t TestSink::port() const { return impl_->port(); }
std::string TestSink::Url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(impl_->port()) + std::string(path);
}

void TestSink::AnswerAll(SinkReply reply) { impl_->AnswerAll(std::move(reply)); }
void TestSink::AnswerNext(int count, SinkReply reply) {
  impl_->AnswerNext(count, std::move(reply));
}
void TestSink::AnswerWithProbability(double p, SinkReply reply, std::uint64_t seed) {
  impl_->AnswerWithProbability(p, std::move(reply), seed);
}
void TestSink::Stall(std::optional<Duration> max_hold) { impl_->Stall(max_hold); }
void TestSink::Release() { impl_->Release(); }
void TestSink::AnswerSlowly(Duration delay) { impl_->AnswerSlowly(delay); }
void TestSink::SetHook(RequestHook hook) { impl_->SetHook(std::move(hook)); }
void TestSink::Reset() { impl_->Reset(); }

std::size_t TestSink::count() const { return impl_->count(); }
std::vector<ReceivedRequest> TestSink::Requests() const { return impl_->Requests(); }
std::vector<ReceivedRequest> TestSink::RequestsWithHeader(std::string_view name,
                                                          std::string_view value) const {
  return impl_->RequestsWithHeader(name, value);
}
EffectsView TestSink::Effects(std::string_view key_header) const {
  return impl_->Effects(key_header);
}
std::uint64_t TestSink::connections() const { return impl_->connections(); }
std::size_t TestSink::held() const { return impl_->held(); }
void TestSink::Clear() { impl_->Clear(); }

bool TestSink::WaitForCount(std::size_t n, SteadyTime deadline) const {
  return impl_->WaitForCount(n, deadline);
}
bool TestSink::WaitForCount(std::size_t n, Duration timeout) const {
  return impl_->WaitForCount(n, std::chrono::steady_clock::now() + timeout);
}
bool TestSink::WaitForHeld(std::size_t n, SteadyTime deadline) const {
  return impl_->WaitForHeld(n, deadline);
}

}  // namespace hookfence::testing

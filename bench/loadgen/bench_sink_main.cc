// hookfence_bench_sink: a fast HTTP/1.1 server for the gateway benchmarks (docs/benchmarks.md §4).
//
//   hookfence_bench_sink [--port 0] [--threads 1] [--raw]
//
// Sink mode (default): the app behind the gateway in the delivery benchmark. Answers 200 with an
// empty body to every POST and counts requests and distinct Idempotency-Key values (a set of the
// keys, so ~100 bytes per delivered event); GET /count answers
// {"requests":N,"distinct":M,"first_ms":F,"last_ms":L}, where first_ms and last_ms are when the
// first and the latest POST arrived, in milliseconds of the system clock (Unix time).
// testing/TestSink keeps every request with its headers and body for the tests' assertions, which
// a run of millions of deliveries cannot afford.
//
// Raw mode (--raw): the raw HTTP limit. Reads each request with Beast's parser, as the gateway
// does, and answers a pre-serialised 200 with the gateway's own "accepted" body; nothing else.
//
// Prints {"listening":<port>} first, and the counts as JSON when SIGINT or SIGTERM stops it.
// Every connection has an idle timeout (60 s) and a body limit (16 MiB).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

namespace hookfence::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

constexpr std::string_view kEmptyOk = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
constexpr std::string_view kAcceptedOk =
    "HTTP/1.1 200 OK\r\nServer: hookfence\r\nContent-Type: application/json\r\n"
    "Content-Length: 48\r\n\r\n{\"status\":\"accepted\",\"message\":\"stored durably\"}";

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What the sink counts; shared by the sink's threads.
class Tally {
 public:
  void Add(std::string_view key) {
    const std::int64_t now = NowMs();
    std::lock_guard lock(mu_);
    ++requests_;
    if (first_ms_ == 0) first_ms_ = now;
    last_ms_ = now;
    if (!key.empty()) keys_.emplace(key);
  }

  std::string Json() const {
    std::lock_guard lock(mu_);
    return "{\"requests\":" + std::to_string(requests_) +
           ",\"distinct\":" + std::to_string(keys_.size()) +
           ",\"first_ms\":" + std::to_string(first_ms_) +
           ",\"last_ms\":" + std::to_string(last_ms_) + "}";
  }

 private:
  mutable std::mutex mu_;
  std::uint64_t requests_ = 0;
  std::int64_t first_ms_ = 0;
  std::int64_t last_ms_ = 0;
  std::unordered_set<std::string> keys_;
};

struct SinkOptions {
  bool raw = false;
  Tally* tally = nullptr;
};

std::string CountAnswer(const Tally& tally) {
  const std::string body = tally.Json();
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

asio::awaitable<void> Session(tcp::socket socket, SinkOptions options) {
  beast::tcp_stream stream(std::move(socket));
  stream.socket().set_option(tcp::no_delay(true));
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    stream.expires_after(std::chrono::seconds(60));
    auto [read_error, read_bytes] = co_await http::async_read(stream, buffer, parser, kTuple);
    if (read_error) break;
    const http::request<http::string_body>& request = parser.get();
    std::string count_answer;
    std::string_view answer = kEmptyOk;
    if (options.raw) {
      answer = kAcceptedOk;
    } else if (request.method() == http::verb::get && request.target() == "/count") {
      count_answer = CountAnswer(*options.tally);
      answer = count_answer;
    } else {
      const auto key = request.find("Idempotency-Key");
      options.tally->Add(key == request.end() ? std::string_view()
                                              : std::string_view(key->value()));
    }
    stream.expires_after(std::chrono::seconds(60));
    auto [write_error, written] =
        co_await asio::async_write(stream, asio::buffer(answer.data(), answer.size()), kTuple);
    if (write_error || !request.keep_alive()) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

asio::awaitable<void> Listen(tcp::acceptor& acceptor, SinkOptions options) {
  for (;;) {
    auto [error, socket] = co_await acceptor.async_accept(kTuple);
    if (error) {
      if (error == asio::error::operation_aborted) co_return;
      continue;
    }
    asio::co_spawn(acceptor.get_executor(), Session(std::move(socket), options), asio::detached);
  }
}

int Usage() {
  std::fputs("usage: hookfence_bench_sink [--port N] [--threads N] [--raw]\n", stderr);
  return 2;
}

}  // namespace
}  // namespace hookfence::bench

int main(int argc, char** argv) {
  namespace asio = boost::asio;
  using hookfence::bench::Usage;
  long port = 0;
  long threads = 1;
  hookfence::bench::SinkOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--raw") {
      options.raw = true;
      continue;
    }
    if (i + 1 >= argc) return Usage();
    char* end = nullptr;
    const long value = std::strtol(argv[++i], &end, 10);
    if (end == argv[i] || *end != '\0') return Usage();
    if (flag == "--port") {
      port = value;
    } else if (flag == "--threads") {
      threads = value;
    } else {
      return Usage();
    }
  }
  if (port < 0 || port > 65535 || threads < 1 || threads > 64) return Usage();

  hookfence::bench::Tally tally;
  options.tally = &tally;
  asio::io_context io(static_cast<int>(threads));
  asio::ip::tcp::acceptor acceptor(io);
  boost::system::error_code error;
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"),
                                         static_cast<std::uint16_t>(port));
  acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    std::fprintf(stderr, "hookfence_bench_sink: %s\n", error.message().c_str());
    return 1;
  }
  std::printf("{\"listening\":%u}\n", static_cast<unsigned>(acceptor.local_endpoint().port()));
  std::fflush(stdout);

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
  asio::co_spawn(io, hookfence::bench::Listen(acceptor, options), asio::detached);
  std::vector<std::thread> pool;
  for (long i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();
  for (std::thread& thread : pool) thread.join();
  std::printf("%s\n", tally.Json().c_str());
  return 0;
}

// DestinationClient over real sockets: the TestSink plays a plain-HTTP app (answers, stalls,
// hang-ups, restarts), a small Beast responder in this file plays an HTTPS one.
#include "src/server/destination_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <future>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "hookfence/version.h"
#include "src/server/http_types.h"
#include "testing/test_sink.h"
#include "tests/integration/self_signed_cert.h"

namespace hookfence::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using server::DestinationAnswer;
using server::DestinationClient;
using server::DestinationOptions;
using Kind = DestinationAnswer::Kind;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
// How long a test waits for one Post; every Post is bounded well below this by its own timeouts.
constexpr auto kAnswerDeadline = std::chrono::seconds(20);

DestinationOptions OptionsFor(std::string url) {
  DestinationOptions options;
  options.url = std::move(url);
  return options;
}

SinkReply BodyReply(int status, std::string body) {
  SinkReply reply;
  reply.response.status = status;
  reply.response.body = std::move(body);
  return reply;
}

// A port on 127.0.0.1 that nothing listens on (bound, then released).
std::uint16_t UnusedPort() {
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc);
  boost::system::error_code ec;
  acceptor.open(tcp::v4(), ec);
  acceptor.bind(tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0), ec);
  return ec ? 0 : acceptor.local_endpoint().port();
}

// Plays the app over HTTPS, which TestSink does not speak: answers every request 200 "tls ok"
// on keep-alive connections and counts the handshakes that succeeded. One thread.
class TlsResponder {
 public:
  explicit TlsResponder(const SelfSignedCert& cert) {
    boost::system::error_code ec;
    context_.use_certificate_chain_file(cert.cert_file, ec);
    if (!ec) {
      context_.use_private_key_file(cert.key_file, asio::ssl::context::pem, ec);
    }
    if (!ec) {
      acceptor_.open(tcp::v4(), ec);
    }
    if (!ec) {
      acceptor_.bind(tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0), ec);
    }
    if (!ec) {
      acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      ADD_FAILURE() << "TLS responder: " << ec.message();
      return;
    }
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(ioc_, Accept(&acceptor_, &context_, &handshakes_), asio::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }

  ~TlsResponder() {
    ioc_.stop();
    if (thread_.joinable()) {
      thread_.join();
    }
  }

  std::uint16_t port() const { return port_; }
  int handshakes() const { return handshakes_.load(); }

 private:
  static asio::awaitable<void> Accept(tcp::acceptor* acceptor, asio::ssl::context* context,
                                      std::atomic<int>* handshakes) {
    for (;;) {
      auto [ec, socket] = co_await acceptor->async_accept(kTuple);
      if (ec) {
        co_return;
      }
      asio::co_spawn(acceptor->get_executor(), Serve(std::move(socket), context, handshakes),
                     asio::detached);
    }
  }

  static asio::awaitable<void> Serve(tcp::socket socket, asio::ssl::context* context,
                                     std::atomic<int>* handshakes) {
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *context);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
    auto [handshake_ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kTuple);
    if (handshake_ec) {
      co_return;
    }
    ++*handshakes;
    beast::flat_buffer buffer;
    for (;;) {
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
      http::request<http::string_body> request;
      auto [read_ec, read] = co_await http::async_read(stream, buffer, request, kTuple);
      if (read_ec) {
        co_return;
      }
      http::response<http::string_body> response{http::status::ok, 11};
      response.body() = "tls ok";
      response.keep_alive(request.keep_alive());
      response.prepare_payload();
      auto [write_ec, written] = co_await http::async_write(stream, response, kTuple);
      if (write_ec || !response.keep_alive()) {
        co_return;
      }
    }
  }

  asio::ssl::context context_{asio::ssl::context::tls_server};
  asio::io_context ioc_;
  tcp::acceptor acceptor_{ioc_};
  std::atomic<int> handshakes_{0};
  std::uint16_t port_ = 0;
  std::thread thread_;
};

// A TestSink on 127.0.0.1 and an io_context run by two threads on which the test's Posts run.
class DestinationClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto port = sink_.Start();
    ASSERT_TRUE(port.ok()) << port.status();
    for (int i = 0; i < 2; ++i) {
      threads_.emplace_back([this] { ioc_.run(); });
    }
  }

  void TearDown() override {
    work_.reset();
    ioc_.stop();
    for (auto& thread : threads_) {
      thread.join();
    }
  }

  static std::shared_ptr<DestinationClient> MakeClient(DestinationOptions options) {
    auto client = DestinationClient::Create(std::move(options));
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *client : nullptr;
  }

  std::future<DestinationAnswer> StartPost(DestinationClient& client, std::string body,
                                           Headers headers = {}) {
    return asio::co_spawn(ioc_, client.Post(std::move(headers), std::move(body)), asio::use_future);
  }

  static DestinationAnswer Await(std::future<DestinationAnswer>& answer) {
    if (answer.wait_for(kAnswerDeadline) != std::future_status::ready) {
      ADD_FAILURE() << "no answer within the test's deadline";
      DestinationAnswer none;
      none.error = "no answer within the test's deadline";
      return none;
    }
    return answer.get();
  }

  DestinationAnswer Post(DestinationClient& client, std::string body, Headers headers = {}) {
    auto answer = StartPost(client, std::move(body), std::move(headers));
    return Await(answer);
  }

  TestSink sink_;
  asio::io_context ioc_{2};
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(ioc_);
  std::vector<std::thread> threads_;
};

TEST_F(DestinationClientTest, PostsTheRequestAndReturnsTheAnswer) {
  SinkReply reply = BodyReply(202, "accepted by the app");
  reply.response.headers.emplace_back("X-App", "seen");
  sink_.AnswerAll(reply);
  auto client = MakeClient(OptionsFor(sink_.Url("/hooks/in?from=test")));
  ASSERT_NE(client, nullptr);

  const DestinationAnswer answer =
      Post(*client, R"({"id":1})",
           {{"Idempotency-Key", "src:1"}, {"Host", "evil.example"}, {"Content-Length", "999"}});

  ASSERT_EQ(answer.kind, Kind::kResponse) << answer.error;
  EXPECT_EQ(answer.status, 202);
  EXPECT_EQ(answer.body, "accepted by the app");
  EXPECT_EQ(server::FindHeader(answer.headers, "X-App").value_or(""), "seen");
  EXPECT_FALSE(answer.truncated);
  EXPECT_FALSE(answer.reused_connection);
  EXPECT_GT(answer.latency.count(), 0);

  const auto requests = sink_.Requests();
  ASSERT_EQ(requests.size(), 1u);
  const ReceivedRequest& request = requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/hooks/in?from=test");
  EXPECT_EQ(request.body, R"({"id":1})");
  EXPECT_EQ(request.Header("Idempotency-Key").value_or(""), "src:1");
  // The client frames the message and names the destination itself.
  EXPECT_EQ(request.Header("Host").value_or(""), "127.0.0.1:" + std::to_string(sink_.port()));
  EXPECT_EQ(request.Header("Content-Length").value_or(""), "8");
  EXPECT_EQ(request.Header("User-Agent").value_or(""), "hookfence/" + std::string(Version()));
}

TEST_F(DestinationClientTest, ReusesOneKeepAliveConnectionForSequentialPosts) {
  auto client = MakeClient(OptionsFor(sink_.Url()));
  ASSERT_NE(client, nullptr);
  for (int i = 0; i < 10; ++i) {
    const DestinationAnswer answer = Post(*client, "post " + std::to_string(i));
    ASSERT_EQ(answer.kind, Kind::kResponse) << answer.error;
    EXPECT_EQ(answer.status, 200);
    EXPECT_EQ(answer.reused_connection, i > 0) << "post " << i;
  }
  EXPECT_EQ(sink_.connections(), 1u);
  EXPECT_EQ(sink_.count(), 10u);
  EXPECT_EQ(client->idle_connections(), 1u);
  client->CloseIdle();
  EXPECT_EQ(client->idle_connections(), 0u);
}

TEST_F(DestinationClientTest, AnswersConcurrentPostsAndBoundsThePool) {
  DestinationOptions options = OptionsFor(sink_.Url());
  options.max_idle_connections = 4;
  auto client = MakeClient(options);
  ASSERT_NE(client, nullptr);
  // Held answers keep every connection busy, so each of the 20 posts needs its own.
  sink_.Stall();
  std::vector<std::future<DestinationAnswer>> answers;
  for (int i = 0; i < 20; ++i) {
    answers.push_back(StartPost(*client, "concurrent " + std::to_string(i)));
  }
  ASSERT_TRUE(sink_.WaitForHeld(20, std::chrono::steady_clock::now() + kAnswerDeadline));
  sink_.Release();
  for (auto& future : answers) {
    const DestinationAnswer answer = Await(future);
    EXPECT_EQ(answer.kind, Kind::kResponse) << answer.error;
    EXPECT_EQ(answer.status, 200);
  }
  std::set<std::string> bodies;
  for (const auto& request : sink_.Requests()) {
    bodies.insert(request.body);
  }
  EXPECT_EQ(bodies.size(), 20u);
  EXPECT_EQ(sink_.connections(), 20u);
  EXPECT_EQ(client->idle_connections(), 4u);
}

TEST_F(DestinationClientTest, AServerErrorIsAResponse) {
  sink_.AnswerAll(StatusReply(503, 7));
  auto client = MakeClient(OptionsFor(sink_.Url()));
  ASSERT_NE(client, nullptr);
  const DestinationAnswer answer = Post(*client, "{}");
  ASSERT_EQ(answer.kind, Kind::kResponse) << answer.error;
  EXPECT_EQ(answer.status, 503);
  EXPECT_EQ(server::FindHeader(answer.headers, "Retry-After").value_or(""), "7");
  EXPECT_EQ(client->idle_connections(), 1u);
}

TEST_F(DestinationClientTest, AStalledAnswerTimesOut) {
  DestinationOptions options = OptionsFor(sink_.Url());
  options.response_timeout = std::chrono::milliseconds(200);
  auto client = MakeClient(options);
  ASSERT_NE(client, nullptr);
  sink_.Stall();
  const DestinationAnswer answer = Post(*client, "{}");
  sink_.Release();
  EXPECT_EQ(answer.kind, Kind::kTimeout) << answer.error;
  EXPECT_NE(answer.error.find("timed out"), std::string::npos) << answer.error;
  EXPECT_EQ(sink_.count(), 1u);  // a timeout is not retried
  EXPECT_EQ(client->idle_connections(), 0u);
}

TEST_F(DestinationClientTest, ARefusedConnectionIsAConnectionError) {
  const std::uint16_t port = UnusedPort();
  ASSERT_NE(port, 0);
  auto client = MakeClient(OptionsFor("http://127.0.0.1:" + std::to_string(port) + "/"));
  ASSERT_NE(client, nullptr);
  const DestinationAnswer answer = Post(*client, "{}");
  EXPECT_EQ(answer.kind, Kind::kConnectionError);
  EXPECT_NE(answer.error.find("connect to 127.0.0.1:" + std::to_string(port)), std::string::npos)
      << answer.error;
  EXPECT_NE(answer.error.find("refused"), std::string::npos) << answer.error;
}

TEST_F(DestinationClientTest, AHangUpWithoutAnswerIsAConnectionError) {
  sink_.AnswerAll(CloseReply());
  auto client = MakeClient(OptionsFor(sink_.Url()));
  ASSERT_NE(client, nullptr);
  const DestinationAnswer answer = Post(*client, "{}");
  EXPECT_EQ(answer.kind, Kind::kConnectionError);
  EXPECT_NE(answer.error.find("closed"), std::string::npos) << answer.error;
  EXPECT_EQ(sink_.count(), 1u);  // a new connection is never retried
  EXPECT_EQ(client->idle_connections(), 0u);
}

TEST_F(DestinationClientTest, RetriesOnceWhenThePooledConnectionWasClosedWhileIdle) {
  auto client = MakeClient(OptionsFor(sink_.Url()));
  ASSERT_NE(client, nullptr);
  ASSERT_EQ(Post(*client, "first").status, 200);
  ASSERT_EQ(client->idle_connections(), 1u);
  const std::uint16_t port = sink_.port();
  sink_.Stop();  // closes the pooled connection from the server's side
  auto restarted = sink_.Start();
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  ASSERT_EQ(*restarted, port);

  const DestinationAnswer answer = Post(*client, "second");
  ASSERT_EQ(answer.kind, Kind::kResponse) << answer.error;
  EXPECT_EQ(answer.status, 200);
  EXPECT_FALSE(answer.reused_connection);
  EXPECT_EQ(sink_.connections(), 2u);
  EXPECT_EQ(sink_.count(), 2u);
  EXPECT_EQ(client->idle_connections(), 1u);
}

TEST_F(DestinationClientTest, RetriesAFailedPooledConnectionOnlyOnce) {
  auto client = MakeClient(OptionsFor(sink_.Url()));
  ASSERT_NE(client, nullptr);
  ASSERT_EQ(Post(*client, "first").status, 200);
  sink_.AnswerAll(CloseReply());
  // The pooled connection hangs up before answering, and so does the new one: two tries.
  const DestinationAnswer answer = Post(*client, "second");
  EXPECT_EQ(answer.kind, Kind::kConnectionError);
  EXPECT_FALSE(answer.reused_connection);
  EXPECT_EQ(sink_.count(), 3u);
  EXPECT_EQ(sink_.connections(), 2u);
  EXPECT_EQ(sink_.RequestsWithHeader("Content-Length", "6").size(), 2u);
}

TEST_F(DestinationClientTest, CutsTheBodyAtMaxResponseBytes) {
  DestinationOptions options = OptionsFor(sink_.Url());
  options.max_response_bytes = 40000;
  auto client = MakeClient(options);
  ASSERT_NE(client, nullptr);

  std::string long_body(100000, 'x');
  for (std::size_t i = 0; i < long_body.size(); i += 7) {
    long_body[i] = static_cast<char>('a' + i % 26);
  }
  sink_.AnswerAll(BodyReply(200, long_body));
  const DestinationAnswer cut = Post(*client, "{}");
  ASSERT_EQ(cut.kind, Kind::kResponse) << cut.error;
  EXPECT_EQ(cut.status, 200);
  EXPECT_TRUE(cut.truncated);
  EXPECT_EQ(cut.body, long_body.substr(0, 40000));
  EXPECT_EQ(client->idle_connections(), 0u);  // the rest was never read: not reusable

  sink_.AnswerAll(BodyReply(200, long_body.substr(0, 40000)));
  const DestinationAnswer whole = Post(*client, "{}");
  ASSERT_EQ(whole.kind, Kind::kResponse) << whole.error;
  EXPECT_FALSE(whole.truncated);
  EXPECT_EQ(whole.body, long_body.substr(0, 40000));
  EXPECT_EQ(client->idle_connections(), 1u);
}

TEST_F(DestinationClientTest, CreateRejectsBadUrlsAndUnreadableCaFiles) {
  auto ftp = DestinationClient::Create(OptionsFor("ftp://127.0.0.1/"));
  ASSERT_FALSE(ftp.ok());
  EXPECT_EQ(ftp.status().code(), StatusCode::kInvalidArgument);
  auto port = DestinationClient::Create(OptionsFor("http://127.0.0.1:http/"));
  ASSERT_FALSE(port.ok());
  EXPECT_EQ(port.status().code(), StatusCode::kInvalidArgument);
  DestinationOptions options = OptionsFor("https://localhost/");
  options.ca_file = "/nonexistent/ca.pem";
  auto ca = DestinationClient::Create(options);
  ASSERT_FALSE(ca.ok());
  EXPECT_EQ(ca.status().code(), StatusCode::kInvalidArgument);
}

// The same client against the HTTPS responder, with a certificate made for the test.
class DestinationClientTlsTest : public DestinationClientTest {
 protected:
  void SetUp() override {
    DestinationClientTest::SetUp();
    auto cert = MakeSelfSignedCert(dir_);
    ASSERT_TRUE(cert.ok()) << cert.status();
    cert_ = *cert;
    responder_ = std::make_unique<TlsResponder>(cert_);
    ASSERT_NE(responder_->port(), 0);
  }

  void TearDown() override {
    responder_.reset();
    DestinationClientTest::TearDown();
  }

  std::string Url(const std::string& host) const {
    return "https://" + host + ":" + std::to_string(responder_->port()) + "/hooks";
  }

  ScratchDir dir_;
  SelfSignedCert cert_;
  std::unique_ptr<TlsResponder> responder_;
};

TEST_F(DestinationClientTlsTest, RefusesACertificateItDoesNotTrust) {
  auto client = MakeClient(OptionsFor(Url("localhost")));
  ASSERT_NE(client, nullptr);
  const DestinationAnswer answer = Post(*client, "{}");
  EXPECT_EQ(answer.kind, Kind::kConnectionError);
  EXPECT_NE(answer.error.find("certificate verify failed"), std::string::npos) << answer.error;
  EXPECT_EQ(responder_->handshakes(), 0);
}

TEST_F(DestinationClientTlsTest, TrustsTheCaFileAndKeepsTheConnection) {
  DestinationOptions options = OptionsFor(Url("localhost"));
  options.ca_file = cert_.cert_file;
  auto client = MakeClient(options);
  ASSERT_NE(client, nullptr);
  for (int i = 0; i < 2; ++i) {
    const DestinationAnswer answer = Post(*client, "{}");
    ASSERT_EQ(answer.kind, Kind::kResponse) << answer.error;
    EXPECT_EQ(answer.status, 200);
    EXPECT_EQ(answer.body, "tls ok");
    EXPECT_EQ(answer.reused_connection, i > 0);
  }
  EXPECT_EQ(responder_->handshakes(), 1);
}

TEST_F(DestinationClientTlsTest, SkipsVerificationWhenTurnedOff) {
  DestinationOptions options = OptionsFor(Url("127.0.0.1"));
  options.verify_tls = false;
  auto client = MakeClient(options);
  ASSERT_NE(client, nullptr);
  const DestinationAnswer answer = Post(*client, "{}");
  ASSERT_EQ(answer.kind, Kind::kResponse) << answer.error;
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, "tls ok");
}

}  // namespace
}  // namespace hookfence::testing

#include "testing/test_sink.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <future>
#include <thread>

#include "src/server/http_client.h"

namespace hookfence::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

// Generous: only reached when the sink is broken.
constexpr auto kDeadline = seconds(10);

// One connection kept open across requests, to see keep-alive from the sink's side (SendRequest
// opens a fresh connection per call).
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port) : socket_(ioc_) {
    socket_.connect({asio::ip::make_address("127.0.0.1"), port}, connect_error_);
  }

  // The status of the answer, or -1 when the exchange failed.
  int Post(std::string body) {
    if (connect_error_) {
      return -1;
    }
    http::request<http::string_body> request{http::verb::post, "/raw", 11};
    request.set(http::field::host, "127.0.0.1");
    request.keep_alive(true);
    request.body() = std::move(body);
    request.prepare_payload();
    beast::error_code ec;
    http::write(socket_, request, ec);
    if (ec) {
      return -1;
    }
    http::response<http::string_body> response;
    http::read(socket_, buffer_, response, ec);
    return ec ? -1 : response.result_int();
  }

  // Blocks until the sink closes the connection; true when it did (end of stream or reset).
  bool WaitClosed() {
    char byte = 0;
    beast::error_code ec;
    socket_.read_some(asio::buffer(&byte, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }

 private:
  asio::io_context ioc_;
  asio::ip::tcp::socket socket_;
  beast::flat_buffer buffer_;
  beast::error_code connect_error_;
};

class TestSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto port = sink_.Start();
    ASSERT_TRUE(port.ok()) << port.status().message();
    ASSERT_NE(*port, 0);
  }

  Result<server::HttpResponse> Post(std::string body, Headers headers = {},
                                    std::string path = "/hook") {
    auto url = server::ParseUrl(sink_.Url(path));
    if (!url.ok()) {
      return url.status();
    }
    server::ClientOptions options;
    options.timeout = kDeadline;
    return server::SendRequest("POST", *url, headers, body, options);
  }

  // The status answered, or -1 for a failed exchange.
  int PostStatus(std::string body, Headers headers = {}) {
    auto response = Post(std::move(body), std::move(headers));
    return response.ok() ? response->status : -1;
  }

  TestSink sink_;
};

TEST_F(TestSinkTest, RecordsEachRequest) {
  const auto before = steady_clock::now();
  auto response = Post("hello", {{"X-Test", "one"}, {"Idempotency-Key", "src:1"}}, "/in?x=1");
  const auto after = steady_clock::now();
  ASSERT_TRUE(response.ok()) << response.status().message();
  EXPECT_EQ(response->status, 200);

  ASSERT_EQ(sink_.count(), 1u);
  const auto requests = sink_.Requests();
  ASSERT_EQ(requests.size(), 1u);
  const ReceivedRequest& request = requests[0];
  EXPECT_EQ(request.sequence, 1u);
  EXPECT_EQ(request.connection, 1u);
  EXPECT_EQ(request.index_on_connection, 1u);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/in?x=1");
  EXPECT_EQ(request.body, "hello");
  EXPECT_EQ(request.Header("x-test"), "one");
  EXPECT_EQ(request.Header("Idempotency-Key"), "src:1");
  EXPECT_FALSE(request.Header("X-Absent").has_value());
  EXPECT_GE(request.arrived_at, before);
  EXPECT_LE(request.arrived_at, after);
  EXPECT_EQ(request.answer_status, 200);
}

TEST_F(TestSinkTest, KeepAliveRequestsShareOneConnection) {
  RawConnection connection(sink_.port());
  EXPECT_EQ(connection.Post("a"), 200);
  EXPECT_EQ(connection.Post("b"), 200);
  EXPECT_EQ(connection.Post("c"), 200);
  EXPECT_EQ(PostStatus("d"), 200);  // a connection of its own

  const auto requests = sink_.Requests();
  ASSERT_EQ(requests.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(requests[i].body, std::string(1, static_cast<char>('a' + i)));
    EXPECT_EQ(requests[i].connection, requests[0].connection);
    EXPECT_EQ(requests[i].index_on_connection, static_cast<std::uint64_t>(i + 1));
  }
  EXPECT_NE(requests[3].connection, requests[0].connection);
  EXPECT_EQ(requests[3].index_on_connection, 1u);
  EXPECT_EQ(sink_.connections(), 2u);
}

TEST_F(TestSinkTest, ConcurrentClientsAreAllRecordedInSequence) {
  constexpr int kThreads = 6;
  constexpr int kPerThread = 20;
  std::vector<std::future<int>> failures;
  for (int t = 0; t < kThreads; ++t) {
    failures.push_back(std::async(std::launch::async, [this] {
      int failed = 0;
      for (int i = 0; i < kPerThread; ++i) {
        failed += PostStatus("x") == 200 ? 0 : 1;
      }
      return failed;
    }));
  }
  for (auto& failed : failures) {
    EXPECT_EQ(failed.get(), 0);
  }
  const auto requests = sink_.Requests();
  ASSERT_EQ(requests.size(), static_cast<std::size_t>(kThreads * kPerThread));
  for (std::size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(requests[i].sequence, i + 1);
  }
}

TEST_F(TestSinkTest, AnswersAStatusToEveryRequest) {
  sink_.AnswerAll(StatusReply(503));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(PostStatus("x"), 503);
  }
  sink_.Reset();
  EXPECT_EQ(PostStatus("x"), 200);

  const auto requests = sink_.Requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[0].answer_status, 503);
  EXPECT_EQ(requests[3].answer_status, 200);
}

TEST_F(TestSinkTest, AnswersTheNextRequestsWithRetryAfter) {
  sink_.AnswerNext(2, StatusReply(429, 7));
  for (int i = 0; i < 2; ++i) {
    auto response = Post("x");
    ASSERT_TRUE(response.ok()) << response.status().message();
    EXPECT_EQ(response->status, 429);
    EXPECT_EQ(server::FindHeader(response->headers, "Retry-After"), "7");
  }
  auto after = Post("x");
  ASSERT_TRUE(after.ok()) << after.status().message();
  EXPECT_EQ(after->status, 200);
  EXPECT_FALSE(server::FindHeader(after->headers, "Retry-After").has_value());

  sink_.AnswerAll(StatusReply(404));
  sink_.AnswerNext(1, StatusReply(202));  // next-N decides before the answer for all
  EXPECT_EQ(PostStatus("x"), 202);
  EXPECT_EQ(PostStatus("x"), 404);
}

TEST_F(TestSinkTest, AnswersWithASeededProbability) {
  constexpr int kRequests = 40;
  const auto run = [this] {
    std::vector<int> statuses;
    for (int i = 0; i < kRequests; ++i) {
      statuses.push_back(PostStatus("x"));
    }
    return statuses;
  };
  sink_.AnswerWithProbability(0.5, StatusReply(503), 42);
  const std::vector<int> first = run();
  sink_.AnswerWithProbability(0.5, StatusReply(503), 42);
  const std::vector<int> second = run();
  EXPECT_EQ(first, second);  // the same seed, the same answers
  const auto failed = std::count(first.begin(), first.end(), 503);
  const auto passed = std::count(first.begin(), first.end(), 200);
  EXPECT_EQ(failed + passed, kRequests);
  EXPECT_GT(failed, 0);
  EXPECT_GT(passed, 0);

  sink_.AnswerWithProbability(1.0, StatusReply(500), 7);
  EXPECT_EQ(PostStatus("x"), 500);
  sink_.AnswerWithProbability(0.0, StatusReply(500), 7);
  EXPECT_EQ(PostStatus("x"), 200);
}

TEST_F(TestSinkTest, StallHoldsAnswersUntilReleased) {
  sink_.Stall();
  auto first = std::async(std::launch::async, [this] { return PostStatus("a"); });
  auto second = std::async(std::launch::async, [this] { return PostStatus("b"); });
  ASSERT_TRUE(sink_.WaitForHeld(2, steady_clock::now() + kDeadline));
  EXPECT_EQ(sink_.held(), 2u);
  // Held means not yet answered: the answer is written only after the hold ends.
  EXPECT_EQ(first.wait_for(milliseconds(0)), std::future_status::timeout);
  EXPECT_EQ(second.wait_for(milliseconds(0)), std::future_status::timeout);

  sink_.Release();
  EXPECT_EQ(first.get(), 200);
  EXPECT_EQ(second.get(), 200);
  EXPECT_EQ(sink_.held(), 0u);
  EXPECT_EQ(PostStatus("c"), 200);  // the stall ended with the release
}

TEST_F(TestSinkTest, StallWithAMaximumAnswersWhenItsTimerFires) {
  constexpr auto kHold = milliseconds(200);
  sink_.Stall(kHold);
  sink_.AnswerAll(StatusReply(503));  // a stall holds whatever answer was decided
  const auto start = steady_clock::now();
  EXPECT_EQ(PostStatus("x"), 503);
  EXPECT_GE(steady_clock::now() - start, kHold);
}

TEST_F(TestSinkTest, AnswersSlowly) {
  constexpr auto kDelay = milliseconds(150);
  sink_.AnswerSlowly(kDelay);
  auto start = steady_clock::now();
  EXPECT_EQ(PostStatus("x"), 200);
  EXPECT_GE(steady_clock::now() - start, kDelay);

  sink_.AnswerSlowly(Duration(0));
  sink_.SetHook([](const ReceivedRequest&) {
    SinkReply reply;
    reply.delay = std::chrono::milliseconds(100);  // a slow answer for one request type
    return std::optional<SinkReply>(reply);
  });
  start = steady_clock::now();
  EXPECT_EQ(PostStatus("x"), 200);
  EXPECT_GE(steady_clock::now() - start, milliseconds(100));
}

TEST_F(TestSinkTest, ClosesTheConnectionWithoutAnswering) {
  sink_.AnswerNext(1, CloseReply());
  auto response = Post("x");
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(PostStatus("y"), 200);

  const auto requests = sink_.Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].body, "x");  // recorded although never answered
  EXPECT_EQ(requests[0].answer_status, 0);
  EXPECT_EQ(requests[1].answer_status, 200);

  RawConnection connection(sink_.port());
  sink_.AnswerAll(CloseReply());
  EXPECT_EQ(connection.Post("z"), -1);
}

TEST_F(TestSinkTest, HookDecidesOrFallsThroughToTheModes) {
  sink_.AnswerAll(StatusReply(202));
  sink_.SetHook([](const ReceivedRequest& request) -> std::optional<SinkReply> {
    EXPECT_GT(request.sequence, 0u);
    EXPECT_EQ(request.answer_status, 0);  // not decided yet
    if (request.Header("X-Fail") == "yes") {
      return StatusReply(418);
    }
    return std::nullopt;
  });
  EXPECT_EQ(PostStatus("x", {{"X-Fail", "yes"}}), 418);
  EXPECT_EQ(PostStatus("x", {{"X-Fail", "no"}}), 202);
  sink_.SetHook(nullptr);
  EXPECT_EQ(PostStatus("x", {{"X-Fail", "yes"}}), 202);
}

TEST_F(TestSinkTest, EffectsApplyOncePerIdempotencyKey) {
  const Headers key_a = {{"Idempotency-Key", "src:a"}};
  const Headers key_b = {{"Idempotency-Key", "src:b"}};
  sink_.AnswerNext(1, StatusReply(503));
  EXPECT_EQ(PostStatus("a", key_a), 503);  // failed: the app applied nothing
  EXPECT_EQ(PostStatus("a", key_a), 200);  // applies a
  EXPECT_EQ(PostStatus("a", key_a), 200);  // duplicate
  EXPECT_EQ(PostStatus("b", key_b), 200);  // applies b
  sink_.AnswerNext(1, StatusReply(503));
  EXPECT_EQ(PostStatus("b", key_b), 503);  // duplicate still: b had applied
  EXPECT_EQ(PostStatus("none"), 200);      // no key

  const EffectsView effects = sink_.Effects();
  EXPECT_EQ(effects.requests, 6u);
  EXPECT_EQ(effects.applied, 2u);
  EXPECT_EQ(effects.failed, 1u);
  EXPECT_EQ(effects.duplicates, 2u);
  EXPECT_EQ(effects.without_key, 1u);
  EXPECT_EQ(effects.applied_keys, (std::vector<std::string>{"src:a", "src:b"}));
  EXPECT_EQ(effects.duplicate_keys,
            (std::map<std::string, std::size_t>{{"src:a", 1}, {"src:b", 1}}));

  EXPECT_EQ(sink_.RequestsWithHeader("idempotency-key", "src:a").size(), 3u);
  EXPECT_EQ(sink_.RequestsWithHeader("Idempotency-Key", "src:b").size(), 2u);
  EXPECT_TRUE(sink_.RequestsWithHeader("Idempotency-Key", "src:c").empty());

  sink_.Clear();
  EXPECT_EQ(sink_.count(), 0u);
  EXPECT_EQ(sink_.Effects().applied, 0u);
}

TEST_F(TestSinkTest, WaitForCountHonoursItsDeadline) {
  constexpr auto kWait = milliseconds(100);
  const auto start = steady_clock::now();
  EXPECT_FALSE(sink_.WaitForCount(1, start + kWait));
  EXPECT_GE(steady_clock::now() - start, kWait);

  auto senders = std::async(std::launch::async, [this] {
    int ok = 0;
    for (int i = 0; i < 3; ++i) {
      ok += PostStatus("x") == 200 ? 1 : 0;
    }
    return ok;
  });
  EXPECT_TRUE(sink_.WaitForCount(3, kDeadline));
  EXPECT_GE(sink_.count(), 3u);
  EXPECT_EQ(senders.get(), 3);
  EXPECT_TRUE(sink_.WaitForCount(3, steady_clock::now()));  // already true: no wait
}

TEST_F(TestSinkTest, StopDropsHeldAnswersAndRestartKeepsThePort) {
  const std::uint16_t port = sink_.port();
  sink_.Stall();
  auto held = std::async(std::launch::async, [this] { return PostStatus("held"); });
  ASSERT_TRUE(sink_.WaitForHeld(1, steady_clock::now() + kDeadline));
  sink_.Stop();
  EXPECT_EQ(held.get(), -1);          // the client sees the connection close
  EXPECT_EQ(PostStatus("down"), -1);  // refused while stopped
  sink_.Stop();                       // idempotent

  sink_.Release();  // modes survive a restart, so end the stall first
  auto restarted = sink_.Start();
  ASSERT_TRUE(restarted.ok()) << restarted.status().message();
  EXPECT_EQ(*restarted, port);
  EXPECT_FALSE(sink_.Start().ok());  // already running
  EXPECT_EQ(PostStatus("up"), 200);
  const auto requests = sink_.Requests();
  ASSERT_EQ(requests.size(), 2u);  // the log survives too
  EXPECT_EQ(requests[0].body, "held");
  EXPECT_EQ(requests[1].body, "up");
}

TEST_F(TestSinkTest, StopClosesIdleKeepAliveConnections) {
  RawConnection connection(sink_.port());
  EXPECT_EQ(connection.Post("x"), 200);
  const auto start = steady_clock::now();
  sink_.Stop();
  EXPECT_LT(steady_clock::now() - start, seconds(5));  // not left to the idle timeout
  EXPECT_TRUE(connection.WaitClosed());
}

}  // namespace
}  // namespace hookfence::testing

// Sync mode over real sockets (DESIGN §5, docs/delivery.md "Async and sync mode"): the gateway
// forwards the provider's request inline to a TestSink playing the app and answers with the
// app's answer. A final answer is stored and replayed byte for byte to later duplicates; a
// retryable answer, a timeout, a refused connection, an oversized answer or a store failure leave
// the record open, so the provider's retry runs the app again with the same Idempotency-Key.
// Duplicates while the first request runs get 409 in_progress. The dispatcher never delivers a
// sync record.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "testing/test_sink.h"
#include "tests/integration/gateway_fixture.h"

namespace hookfence::testing {
namespace {

using namespace std::chrono_literals;

bool Contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// The header `name` of `response`, or "" when absent.
std::string HeaderOf(const server::HttpResponse& response, std::string_view name) {
  auto value = server::FindHeader(response.headers, name);
  return value ? std::string(*value) : std::string();
}

bool Replayed(const server::HttpResponse& response) {
  return server::FindHeader(response.headers, "Hookfence-Replayed").has_value();
}

// The app's answer: `status` with `content_type` and `body`.
SinkReply AppReply(int status, const std::string& content_type, const std::string& body) {
  SinkReply reply;
  reply.response.status = status;
  reply.response.headers.emplace_back("Content-Type", content_type);
  reply.response.body = body;
  return reply;
}

// A TCP port on 127.0.0.1 that is bound but never listens, so a connection to it is refused;
// holding the socket keeps any other process from taking the port during the test.
class RefusingPort {
 public:
  RefusingPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = 0;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return;
    socklen_t length = sizeof address;
    if (getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
      port_ = ntohs(address.sin_port);
    }
  }
  ~RefusingPort() {
    if (fd_ >= 0) close(fd_);
  }
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;

  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

class SyncModeTest : public GatewayFixture {
 protected:
  void SetUp() override {
    auto port = sink_.Start();
    ASSERT_TRUE(port.ok()) << port.status();
  }
  // The gateway goes first: it may hold connections to the sink.
  void TearDown() override { gateway_.reset(); }

  // DefaultConfig with source "hooks" in sync mode, delivering to the sink.
  server::Config SyncConfig() const {
    server::Config config = DefaultConfig();
    config.sources[0].delivery.mode = server::SourceMode::kSync;
    config.sources[0].destination = sink_.Url("/hooks");
    return config;
  }
  const server::SourceConfig& hooks() const { return config_.sources[0]; }
  std::string Body(const std::string& id) { return R"({"id":")" + id + R"(","n":1})"; }
  server::HttpResponse Send(const std::string& id) { return PostSigned(hooks(), Body(id), id); }

  Record RecordOf(const std::string& id) {
    auto record = store_->Get("hooks:" + id);
    EXPECT_TRUE(record.ok()) << record.status();
    return record.ok() ? *record : Record{};
  }
  // The lease a sync attempt holds, plus the skew the store allows before a takeover.
  Duration LeaseAndSkew() const {
    const server::DeliveryConfig& delivery = config_.sources[0].delivery;
    return delivery.connect_timeout + delivery.response_timeout + 1s + config_.store.max_clock_skew;
  }

  TestSink sink_;
};

TEST_F(SyncModeTest, TheAppsAnswerIsReturnedAndReplayedByteForByte) {
  StartGateway(SyncConfig());
  // UTF-8 text, a NUL, bytes that are not UTF-8 and a CRLF: nothing may be re-encoded or cut.
  const std::string app_body =
      std::string("{\"ok\":\"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x9a\x80\"}") +
      std::string("\x00\x01\x7f\xfe\xff\r\nend", 10);
  ASSERT_EQ(app_body.size(), 33u);
  sink_.AnswerAll(AppReply(201, "application/vnd.x+json", app_body));

  auto first = Send("b1");
  EXPECT_EQ(first.status, 201);
  EXPECT_EQ(HeaderOf(first, "Content-Type"), "application/vnd.x+json");
  EXPECT_EQ(first.body, app_body);
  EXPECT_FALSE(Replayed(first));

  Record record = RecordOf("b1");
  EXPECT_EQ(record.state, State::kCompleted);
  EXPECT_EQ(record.driver, Driver::kCaller);
  ASSERT_TRUE(record.response.has_value());
  EXPECT_EQ(record.response->status, 201);
  EXPECT_EQ(record.response->body, app_body);
  auto stored_type = server::FindHeader(record.response->headers, "Content-Type");
  ASSERT_TRUE(stored_type.has_value());
  EXPECT_EQ(*stored_type, "application/vnd.x+json");

  // The app would answer something else now: a duplicate must get the stored answer instead.
  sink_.AnswerAll(AppReply(200, "text/plain", "second call"));
  auto again = Send("b1");
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(HeaderOf(again, "Content-Type"), "application/vnd.x+json");
  EXPECT_EQ(again.body, app_body);
  EXPECT_EQ(HeaderOf(again, "Hookfence-Replayed"), "true");

  EXPECT_EQ(sink_.count(), 1u);
  auto requests = sink_.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].Header("Idempotency-Key").value_or(""), "hooks:b1");
  EXPECT_EQ(requests[0].body, Body("b1"));
}

TEST_F(SyncModeTest, ConcurrentDuplicatesGet409WhileTheFirstRuns) {
  StartGateway(SyncConfig());
  sink_.AnswerAll(AppReply(200, "text/plain", "handled once"));
  sink_.Stall();
  auto first = std::async(std::launch::async, [this] { return Send("c1"); });
  ASSERT_TRUE(sink_.WaitForHeld(1, std::chrono::steady_clock::now() + 10s));

  std::vector<std::future<server::HttpResponse>> duplicates;
  for (int i = 0; i < 4; ++i) {
    duplicates.push_back(std::async(std::launch::async, [this] { return Send("c1"); }));
  }
  for (auto& duplicate : duplicates) {
    server::HttpResponse response = duplicate.get();
    EXPECT_EQ(response.status, 409) << response.body;
    EXPECT_TRUE(Contains(response.body, R"("error":"in_progress")")) << response.body;
    const std::string retry_after = HeaderOf(response, "Retry-After");
    ASSERT_FALSE(retry_after.empty());
    EXPECT_GE(std::stoi(retry_after), 1) << retry_after;
    EXPECT_FALSE(Replayed(response));
  }
  // The duplicates reached neither the app nor the record's first attempt.
  EXPECT_EQ(sink_.count(), 1u);
  EXPECT_EQ(RecordOf("c1").state, State::kInProgress);

  sink_.Release();
  server::HttpResponse answer = first.get();
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, "handled once");
  EXPECT_FALSE(Replayed(answer));

  for (int i = 0; i < 2; ++i) {
    auto later = Send("c1");
    EXPECT_EQ(later.status, 200);
    EXPECT_EQ(later.body, "handled once");
    EXPECT_EQ(HeaderOf(later, "Hookfence-Replayed"), "true");
  }
  EXPECT_EQ(sink_.count(), 1u);
  EXPECT_EQ(RecordOf("c1").state, State::kCompleted);
}

TEST_F(SyncModeTest, ARetryableAnswerIsNotStored) {
  StartGateway(SyncConfig());
  sink_.AnswerNext(1, AppReply(503, "text/plain", "busy"));
  sink_.AnswerAll(AppReply(200, "text/plain", "done"));

  auto first = Send("r1");
  EXPECT_EQ(first.status, 503);
  EXPECT_EQ(first.body, "busy");
  EXPECT_FALSE(Replayed(first));
  Record record = RecordOf("r1");
  EXPECT_EQ(record.state, State::kPending);
  EXPECT_EQ(record.attempts, 1u);
  EXPECT_FALSE(record.response.has_value());

  // The provider's retry runs the app again and gets its new answer.
  auto retry = Send("r1");
  EXPECT_EQ(retry.status, 200);
  EXPECT_EQ(retry.body, "done");
  EXPECT_FALSE(Replayed(retry));
  auto requests = sink_.RequestsWithHeader("Idempotency-Key", "hooks:r1");
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(sink_.count(), 2u);
  EXPECT_EQ(requests[0].Header("Hookfence-Fence").value_or(""), "1");
  EXPECT_EQ(requests[1].Header("Hookfence-Fence").value_or(""), "2");
  EXPECT_EQ(requests[0].answer_status, 503);
  EXPECT_EQ(requests[1].answer_status, 200);

  auto third = Send("r1");
  EXPECT_EQ(third.status, 200);
  EXPECT_EQ(third.body, "done");
  EXPECT_EQ(HeaderOf(third, "Hookfence-Replayed"), "true");
  EXPECT_EQ(sink_.count(), 2u);
  record = RecordOf("r1");
  EXPECT_EQ(record.state, State::kCompleted);
  ASSERT_TRUE(record.response.has_value());
  EXPECT_EQ(record.response->status, 200);
}

TEST_F(SyncModeTest, AFinal4xxIsStoredAndReplayed) {
  StartGateway(SyncConfig());
  const std::string refusal = R"({"error":"unknown customer"})";
  sink_.AnswerAll(AppReply(422, "application/problem+json", refusal));

  auto first = Send("f1");
  EXPECT_EQ(first.status, 422);
  EXPECT_EQ(first.body, refusal);
  EXPECT_EQ(HeaderOf(first, "Content-Type"), "application/problem+json");
  EXPECT_FALSE(Replayed(first));
  Record record = RecordOf("f1");
  EXPECT_EQ(record.state, State::kCompleted);  // sync mode has no DEAD
  ASSERT_TRUE(record.response.has_value());
  EXPECT_EQ(record.response->status, 422);
  EXPECT_EQ(record.response->body, refusal);

  sink_.AnswerAll(AppReply(200, "text/plain", "accepted now"));
  auto again = Send("f1");
  EXPECT_EQ(again.status, 422);
  EXPECT_EQ(again.body, refusal);
  EXPECT_EQ(HeaderOf(again, "Content-Type"), "application/problem+json");
  EXPECT_EQ(HeaderOf(again, "Hookfence-Replayed"), "true");
  EXPECT_EQ(sink_.count(), 1u);
}

TEST_F(SyncModeTest, TimeoutIs504AndRefusedIs502) {
  RefusingPort refusing;
  ASSERT_NE(refusing.port(), 0);
  server::Config config = SyncConfig();
  config.sources[0].delivery.response_timeout = 200ms;
  server::SourceConfig down = HmacSource("down");
  down.delivery.mode = server::SourceMode::kSync;
  down.destination = "http://127.0.0.1:" + std::to_string(refusing.port()) + "/hooks";
  config.sources.push_back(down);
  StartGateway(config);

  sink_.Stall();
  auto late = Send("t1");
  EXPECT_EQ(late.status, 504) << late.body;
  EXPECT_TRUE(Contains(late.body, R"("error":"destination_timeout")")) << late.body;
  EXPECT_EQ(sink_.count(), 1u);  // the app got the request; its answer came too late
  Record record = RecordOf("t1");
  EXPECT_EQ(record.state, State::kPending);
  EXPECT_EQ(record.attempts, 1u);
  EXPECT_FALSE(record.response.has_value());

  sink_.Reset();
  auto retry = Send("t1");
  EXPECT_EQ(retry.status, 200) << retry.body;
  EXPECT_FALSE(Replayed(retry));
  EXPECT_EQ(sink_.RequestsWithHeader("Idempotency-Key", "hooks:t1").size(), 2u);
  EXPECT_EQ(RecordOf("t1").state, State::kCompleted);

  auto unreachable = PostSigned(config_.sources[1], Body("u1"), "u1");
  EXPECT_EQ(unreachable.status, 502) << unreachable.body;
  EXPECT_TRUE(Contains(unreachable.body, R"("error":"destination_unreachable")"))
      << unreachable.body;
  auto unreachable_record = store_->Get("down:u1");
  ASSERT_TRUE(unreachable_record.ok()) << unreachable_record.status();
  EXPECT_EQ(unreachable_record->state, State::kPending);
  EXPECT_EQ(unreachable_record->attempts, 1u);
  EXPECT_FALSE(unreachable_record->response.has_value());
}

TEST_F(SyncModeTest, ATooLargeAnswerIsNotStored) {
  server::Config config = SyncConfig();
  config.sources[0].delivery.max_response_bytes = 1024;
  StartGateway(config);
  sink_.AnswerNext(1, AppReply(200, "text/plain", std::string(4096, 'x')));
  sink_.AnswerAll(AppReply(200, "text/plain", "small"));

  auto first = Send("l1");
  EXPECT_EQ(first.status, 502);
  EXPECT_TRUE(Contains(first.body, R"("error":"destination_response_too_large")")) << first.body;
  EXPECT_FALSE(Contains(first.body, std::string(100, 'x')));
  Record record = RecordOf("l1");
  EXPECT_EQ(record.state, State::kPending);
  EXPECT_FALSE(record.response.has_value());

  // Nothing was stored, so the retry reaches the app again.
  auto retry = Send("l1");
  EXPECT_EQ(retry.status, 200);
  EXPECT_EQ(retry.body, "small");
  EXPECT_FALSE(Replayed(retry));
  EXPECT_EQ(sink_.count(), 2u);
}

TEST_F(SyncModeTest, AStoreFailureOnCompleteIs503) {
  StartGateway(SyncConfig());
  // The store goes down while the app handles the request (after Begin, before Complete); the
  // dispatcher's polls in the meantime fail too, which is harmless.
  sink_.SetHook([this](const ReceivedRequest&) -> std::optional<SinkReply> {
    faults_->SetDown(true);
    return AppReply(200, "text/plain", "applied");
  });
  auto first = Send("s1");
  faults_->SetDown(false);
  EXPECT_EQ(first.status, 503) << first.body;
  EXPECT_TRUE(Contains(first.body, R"("error":"store_unavailable")")) << first.body;
  EXPECT_FALSE(HeaderOf(first, "Retry-After").empty());
  EXPECT_NE(first.body, "applied");
  sink_.SetHook({});

  Record record = RecordOf("s1");
  EXPECT_EQ(record.state, State::kInProgress);  // still under the first attempt's lease
  EXPECT_FALSE(record.response.has_value());
  auto early = Send("s1");
  EXPECT_EQ(early.status, 409) << early.body;
  EXPECT_TRUE(Contains(early.body, R"("error":"in_progress")")) << early.body;
  EXPECT_EQ(sink_.count(), 1u);

  clock_.Advance(LeaseAndSkew() + 1s);
  sink_.AnswerAll(AppReply(200, "text/plain", "applied again"));
  auto retry = Send("s1");
  EXPECT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(retry.body, "applied again");
  EXPECT_FALSE(Replayed(retry));
  auto requests = sink_.RequestsWithHeader("Idempotency-Key", "hooks:s1");
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].Header("Hookfence-Fence").value_or(""), "1");
  EXPECT_EQ(requests[1].Header("Hookfence-Fence").value_or(""), "2");
  record = RecordOf("s1");
  EXPECT_EQ(record.state, State::kCompleted);
  ASSERT_TRUE(record.response.has_value());
  EXPECT_EQ(record.response->body, "applied again");
}

TEST_F(SyncModeTest, SyncRecordsAreNeverTouchedByTheDispatcher) {
  server::Config config = SyncConfig();
  config.delivery.poll_interval = 20ms;
  StartGateway(config);
  sink_.AnswerNext(1, AppReply(503, "text/plain", "busy"));

  auto first = Send("d1");
  EXPECT_EQ(first.status, 503);
  Record record = RecordOf("d1");
  ASSERT_EQ(record.state, State::kPending);
  ASSERT_EQ(record.attempts, 1u);
  ASSERT_EQ(record.fence, 1u);
  // PENDING and due now: a dispatcher-driven record in this state would be claimed on the next
  // poll. Wait until the dispatcher has polled the store (ClaimDue) several times.
  const long long calls_before = faults_->calls();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (faults_->calls() < calls_before + 5 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_GE(faults_->calls(), calls_before + 5) << "the dispatcher did not poll";

  // A claim would have raised the fence; a delivery would have reached the app.
  record = RecordOf("d1");
  EXPECT_EQ(record.state, State::kPending);
  EXPECT_EQ(record.attempts, 1u);
  EXPECT_EQ(record.fence, 1u);
  EXPECT_FALSE(sink_.WaitForCount(2, 300ms));
  EXPECT_EQ(sink_.count(), 1u);
}

}  // namespace
}  // namespace hookfence::testing

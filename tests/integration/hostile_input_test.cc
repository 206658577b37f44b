// Hostile input against the gateway over real sockets (issue #7): every case asserts the exact
// status and JSON `error` code of DESIGN §5, and that the store and the app saw nothing of it.
//
// Each test starts from a store holding one delivered event ("hooks:seed"), so "unchanged" is
// checked against a store with something in it: every record's key, state, fence, fingerprint,
// attempts and last update, and the number of requests the app received.
#include <poll.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/beast/zlib/deflate_stream.hpp>
#include <boost/crc.hpp>
#include <boost/json/parse.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "hookfence/keys.h"
#include "testing/test_sink.h"
#include "tests/integration/gateway_fixture.h"
#include "tests/integration/provider_poster.h"

namespace hookfence::testing {
namespace {

using namespace std::chrono_literals;

constexpr char kStripeSecret[] = "whsec_test_secret";
// A Standard Webhooks secret: whsec_ and the base64 of the HMAC key.
constexpr char kStandardSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
// The providers' default tolerance for signed timestamps.
constexpr Duration kTolerance = std::chrono::seconds(300);

// What the gateway answered, over the HTTP client or a raw socket.
struct Reply {
  int status = 0;     // of the first response; 0 when none came
  std::string code;   // its JSON "error" member ("" when it has none)
  std::string body;   // its body
  int responses = 0;  // how many responses came (raw sockets only)
  bool closed = false;
  std::string text;  // every byte received (raw sockets only)
};

// The "error" member of a JSON body, "" when there is none.
std::string ErrorCode(std::string_view body) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(body, ec);
  if (ec || !value.is_object()) return "";
  const boost::json::value* error = value.as_object().if_contains("error");
  if (error == nullptr || !error->is_string()) return "";
  return std::string(error->as_string());
}

Reply Of(const server::HttpResponse& response) {
  Reply reply;
  reply.status = response.status;
  reply.body = response.body;
  reply.code = ErrorCode(response.body);
  return reply;
}

// The value of header `name` in a raw response head, "" when absent.
std::string RawHeader(std::string_view head, std::string_view name) {
  std::size_t at = 0;
  while ((at = head.find("\r\n", at)) != std::string_view::npos) {
    at += 2;
    std::string_view line = head.substr(at, head.find("\r\n", at) - at);
    if (line.size() > name.size() && line[name.size()] == ':' &&
        strncasecmp(line.data(), name.data(), name.size()) == 0) {
      std::string_view value = line.substr(name.size() + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      return std::string(value);
    }
  }
  return "";
}

// Splits what a raw connection received into responses (each framed by its Content-Length).
void ParseResponses(Reply* reply) {
  std::string_view rest = reply->text;
  while (rest.substr(0, 9) == "HTTP/1.1 ") {
    const std::size_t end = rest.find("\r\n\r\n");
    if (end == std::string_view::npos) break;
    std::string_view head = rest.substr(0, end);
    const std::string length = RawHeader(head, "Content-Length");
    const std::size_t size = length.empty() ? 0 : std::stoul(length);
    std::string_view body = rest.substr(end + 4, size);
    if (reply->responses++ == 0) {
      reply->status = std::stoi(std::string(rest.substr(9, 3)));
      reply->body = std::string(body);
      reply->code = ErrorCode(body);
    }
    rest.remove_prefix(std::min(rest.size(), end + 4 + size));
  }
}

// Sends `bytes` on a new connection and reads until the gateway closes it (or 10 s pass).
Reply RawExchange(std::uint16_t port, std::string_view bytes) {
  Reply reply;
  const int fd = ConnectTo(port);
  if (fd < 0) return reply;
  WriteAll(fd, bytes);  // the gateway may refuse and close before it has read everything
  reply.text = ReadUntilClosed(fd, 10000, &reply.closed);
  close(fd);
  ParseResponses(&reply);
  return reply;
}

// A POST as raw bytes with Connection: close, then `headers`, then `raw_lines` exactly as given
// (each ending in CRLF), then Content-Length (unless `raw_lines` frames the body itself) and
// `body`.
std::string RawPost(std::string_view target, const Headers& headers, std::string_view body,
                    std::string_view raw_lines = "", bool content_length = true) {
  std::string request =
      "POST " + std::string(target) + " HTTP/1.1\r\nHost: hookfence\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  request += raw_lines;
  if (content_length) request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  request += "\r\n";
  request += body;
  return request;
}

// `request` (from RawPost) asking to keep the connection open for a next request.
std::string KeepAlive(std::string request) {
  constexpr std::string_view kClose = "Connection: close\r\n";
  request.erase(request.find(kClose), kClose.size());
  return request;
}

Headers Without(const Headers& headers, std::string_view name) {
  Headers kept;
  for (const auto& header : headers) {
    if (strcasecmp(header.first.c_str(), std::string(name).c_str()) != 0) kept.push_back(header);
  }
  return kept;
}

Headers Replaced(const Headers& headers, const std::string& name, const std::string& value) {
  Headers replaced = Without(headers, name);
  replaced.emplace_back(name, value);
  return replaced;
}

std::string HeaderValue(const Headers& headers, std::string_view name) {
  return std::string(server::FindHeader(headers, name).value_or(""));
}

// "evt_<n>"-style bodies for the sources whose id lives in the body (Stripe: top-level "id").
std::string StripeBody(std::string_view id_json) {
  return R"({"id":)" + std::string(id_json) + R"(,"object":"event"})";
}

// `depth` nested arrays (or objects with one member "a") with `inner` in the middle.
std::string Nested(int depth, bool objects) {
  std::string text;
  for (int i = 0; i < depth; ++i) text += objects ? R"({"a":)" : "[";
  text += "1";
  for (int i = 0; i < depth; ++i) text += objects ? "}" : "]";
  return text;
}

// A gzip bomb: `members` gzip members, each 1 MiB of zeros, as one body (concatenated members
// are one valid gzip stream). A gateway that inflated it would hold members MiB.
std::string GzipBomb(int members) {
  namespace zlib = boost::beast::zlib;
  const std::string zeros(1 << 20, '\0');
  std::string deflated(64 * 1024, '\0');
  zlib::deflate_stream deflate;
  deflate.reset(9, 15, 8, zlib::Strategy::normal);
  zlib::z_params params;
  params.next_in = zeros.data();
  params.avail_in = zeros.size();
  params.next_out = deflated.data();
  params.avail_out = deflated.size();
  boost::system::error_code ec;
  deflate.write(params, zlib::Flush::finish, ec);
  EXPECT_TRUE(ec == zlib::error::end_of_stream || !ec) << ec.message();
  deflated.resize(params.total_out);
  boost::crc_32_type crc;
  crc.process_bytes(zeros.data(), zeros.size());
  auto little_endian = [](std::uint32_t value) {
    std::string bytes(4, '\0');
    for (int i = 0; i < 4; ++i) bytes[i] = static_cast<char>((value >> (8 * i)) & 0xFF);
    return bytes;
  };
  const std::string header("\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03", 10);
  const std::string member =
      header + deflated + little_endian(crc.checksum()) + little_endian(zeros.size());
  std::string bomb;
  for (int i = 0; i < members; ++i) bomb += member;
  return bomb;
}

// One line per record: what "the store is unchanged" compares.
std::vector<std::string> StoreSnapshot(Store& store) {
  std::vector<std::string> lines;
  ListFilter filter;
  filter.limit = 1000;
  while (true) {
    auto page = store.List(filter);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) break;
    for (const Record& record : page->records) {
      lines.push_back(record.key + " " + std::string(StateName(record.state)) + " fence " +
                      std::to_string(record.fence) + " " + record.fingerprint + " attempts " +
                      std::to_string(record.attempts) + " updated " +
                      std::to_string(ToMicros(record.updated_at)));
    }
    if (page->next_cursor.empty()) break;
    filter.cursor = page->next_cursor;
  }
  return lines;
}

class HostileInputTest : public GatewayFixture {
 protected:
  void SetUp() override {
    ASSERT_TRUE(app_.Start().ok());
    StartGateway(HostileConfig());
    ASSERT_EQ(PostSigned(hooks(), R"({"id":"seed"})", "seed").status, 200);
    ASSERT_TRUE(
        WaitUntil([this] { return store_->Get("hooks:seed")->state == State::kCompleted; }, 30s));
    before_ = StoreSnapshot(*store_);
    delivered_ = app_.count();
    ASSERT_EQ(delivered_, 1u);
  }

  // hooks (hmac, id in X-Webhook-Id), stripe (timestamped, id in the body) and std (Standard
  // Webhooks: timestamped, id in a signed header), all delivering to the test app.
  server::Config HostileConfig() const {
    server::Config config = DefaultConfig();
    config.sources[0].destination = app_.Url("/hooks");
    server::SourceConfig stripe = HmacSource("stripe", kStripeSecret);
    stripe.provider.provider = "stripe";
    stripe.destination = app_.Url("/stripe");
    config.sources.push_back(stripe);
    server::SourceConfig standard = HmacSource("std", kStandardSecret);
    standard.provider.provider = "standard-webhooks";
    standard.destination = app_.Url("/std");
    config.sources.push_back(standard);
    return config;
  }

  // Stops the gateway and starts it again with `config` over the same store file.
  void Restart(const server::Config& config) {
    gateway_.reset();
    StartGateway(config);
  }

  const server::SourceConfig& Source(std::string_view name) const {
    for (const auto& source : config_.sources) {
      if (source.name == name) return source;
    }
    ADD_FAILURE() << "no source " << name;
    return config_.sources[0];
  }
  const server::SourceConfig& hooks() const { return Source("hooks"); }

  // The headers `source`'s provider sends with `body` signed at `at`.
  Headers Signed(std::string_view source, const std::string& body, Timestamp at,
                 const std::string& event_id = "") {
    auto provider = MakeProvider(Source(source).provider);
    EXPECT_TRUE(provider.ok()) << provider.status();
    return (*provider)->Sign(body, at, event_id);
  }

  Reply Send(std::string_view source, const Headers& headers, const std::string& body) {
    return Of(Post("/webhooks/" + std::string(source), headers, body));
  }

  Reply Call(const std::string& method, const std::string& target, const Headers& headers) {
    auto response = server::SendRequest(method, UrlFor(target), headers, "");
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? Of(*response) : Reply{};
  }

  Reply Raw(std::string_view bytes) { return RawExchange(gateway_->port(), bytes); }

  // The answer is exactly `status` with `code`, and neither the store nor the app saw anything.
  void ExpectRefused(const Reply& reply, int status, std::string_view code,
                     const std::string& what) {
    EXPECT_EQ(reply.status, status) << what << ": " << reply.body << reply.text.substr(0, 300);
    EXPECT_EQ(reply.code, code) << what << ": " << reply.body;
    ExpectUntouched(what);
  }

  void ExpectUntouched(const std::string& what) {
    EXPECT_EQ(StoreSnapshot(*store_), before_) << what << ": the store changed";
    EXPECT_EQ(app_.count(), delivered_) << what << ": the app received something";
  }

  TestSink app_;
  std::vector<std::string> before_;
  std::size_t delivered_ = 0;
};

TEST_F(HostileInputTest, ForgedAndTruncatedSignaturesAre401BadSignature) {
  const std::string body = R"({"id":"f1"})";
  const Headers hmac = Signed("hooks", body, clock_.Now(), "f1");
  const std::string good = HeaderValue(hmac, "X-Signature");
  std::string flipped = good;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  std::string forged_first = good;
  forged_first.front() = forged_first.front() == 'a' ? 'b' : 'a';
  const std::string other_secret = [&] {
    server::SourceConfig attacker = HmacSource("hooks", "attacker-secret-0123456789");
    return HeaderValue((*MakeProvider(attacker.provider))->Sign(body, clock_.Now(), "f1"),
                       "X-Signature");
  }();
  struct Case {
    std::string name;
    Headers headers;
  };
  std::vector<Case> cases = {
      {"last hex digit changed", Replaced(hmac, "X-Signature", flipped)},
      {"first hex digit changed", Replaced(hmac, "X-Signature", forged_first)},
      {"another secret's signature", Replaced(hmac, "X-Signature", other_secret)},
      {"truncated to half", Replaced(hmac, "X-Signature", good.substr(0, good.size() / 2))},
      {"one digit short", Replaced(hmac, "X-Signature", good.substr(0, good.size() - 1))},
      {"one digit long", Replaced(hmac, "X-Signature", good + "0")},
      {"empty", Replaced(hmac, "X-Signature", "")},
      {"absent", Without(hmac, "X-Signature")},
      {"not hex", Replaced(hmac, "X-Signature", std::string(good.size(), 'z'))},
  };
  Headers twice = hmac;
  twice.emplace_back("X-Signature", flipped);
  cases.push_back({"sent twice, the valid one first", twice});
  for (const Case& c : cases) {
    ExpectRefused(Send("hooks", c.headers, body), 401, "bad_signature", "hmac, " + c.name);
  }

  // Stripe: v1 tampered with or truncated, keeping its valid timestamp.
  const std::string stripe_body = StripeBody(R"("evt_forged")");
  const Headers stripe = Signed("stripe", stripe_body, clock_.Now());
  const std::string header = HeaderValue(stripe, "Stripe-Signature");
  const std::size_t v1 = header.find("v1=");
  ASSERT_NE(v1, std::string::npos) << header;
  std::string tampered = header;
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"tampered v1", tampered},
           {"truncated v1", header.substr(0, header.size() - 10)},
           {"no v1", header.substr(0, v1 - 1)},
           {"only v1", header.substr(v1)}}) {
    ExpectRefused(Send("stripe", Replaced(stripe, "Stripe-Signature", value), stripe_body), 401,
                  "bad_signature", "stripe, " + name);
  }
}

TEST_F(HostileInputTest, SignatureOfAnotherBodyIs401BadSignature) {
  const std::string signed_body = R"({"id":"b1","amount":1})";
  const std::string sent_body = R"({"id":"b1","amount":1000})";
  ExpectRefused(Send("hooks", Signed("hooks", signed_body, clock_.Now(), "b1"), sent_body), 401,
                "bad_signature", "hmac");
  ExpectRefused(Send("stripe", Signed("stripe", StripeBody(R"("evt_b1")"), clock_.Now()),
                     StripeBody(R"("evt_b2")")),
                401, "bad_signature", "stripe");
  // Standard Webhooks signs the id too: the same body under another id is another message.
  Headers standard = Signed("std", signed_body, clock_.Now(), "msg_b1");
  ExpectRefused(Send("std", Replaced(standard, "webhook-id", "msg_b2"), signed_body), 401,
                "bad_signature", "std, another id");
  ExpectRefused(Send("std", standard, sent_body), 401, "bad_signature", "std, another body");
  // One byte more (a trailing newline) is another body.
  ExpectRefused(Send("hooks", Signed("hooks", signed_body, clock_.Now(), "b1"), signed_body + "\n"),
                401, "bad_signature", "hmac, trailing newline");
}

TEST_F(HostileInputTest, TimestampsBeyondTheToleranceAre401StaleTimestamp) {
  const Duration beyond = kTolerance + 1s;
  for (std::string source : {"stripe", "std"}) {
    const std::string body = source == "stripe" ? StripeBody(R"("evt_t1")") : R"({"n":1})";
    ExpectRefused(Send(source, Signed(source, body, clock_.Now() - beyond, "msg_t1"), body), 401,
                  "stale_timestamp", source + ", in the past");
    ExpectRefused(Send(source, Signed(source, body, clock_.Now() + beyond, "msg_t1"), body), 401,
                  "stale_timestamp", source + ", in the future");
    ExpectRefused(Send(source, Signed(source, body, clock_.Now() - 3650 * 24h, "msg_t1"), body),
                  401, "stale_timestamp", source + ", ten years old");
    // A stale timestamp under a signature that does not match is a bad signature: the timestamp
    // of an unauthenticated request means nothing.
    ExpectRefused(Send(source, Signed(source, body, clock_.Now() - beyond, "msg_t1"), body + " "),
                  401, "bad_signature", source + ", stale and forged");
  }
  // Stripe's timestamp replaced by a fresh one under the old signature: the signature covers it.
  const std::string body = StripeBody(R"("evt_t2")");
  std::string header =
      HeaderValue(Signed("stripe", body, clock_.Now() - beyond), "Stripe-Signature");
  const std::string fresh = "t=" + std::to_string(ToMicros(clock_.Now()) / 1000000);
  header.replace(0, header.find(','), fresh);
  ExpectRefused(Send("stripe", {{"Stripe-Signature", header}}, body), 401, "bad_signature",
                "stripe, timestamp moved forward");
}

TEST_F(HostileInputTest, ReplayOfACapturedDeliveryAfterTheToleranceIs401StaleTimestamp) {
  struct Capture {
    std::string source;
    std::string key;
    std::string bytes;  // the delivery exactly as an eavesdropper saw it
  };
  const std::string stripe_body = StripeBody(R"("evt_captured")");
  const std::string std_body = R"({"type":"invoice.paid"})";
  const std::vector<Capture> captures = {
      {"stripe", "stripe:evt_captured",
       RawPost("/webhooks/stripe", Signed("stripe", stripe_body, clock_.Now()), stripe_body)},
      {"std", "std:msg_captured",
       RawPost("/webhooks/std", Signed("std", std_body, clock_.Now(), "msg_captured"), std_body)},
  };
  for (const Capture& capture : captures) {
    Reply first = Raw(capture.bytes);
    EXPECT_EQ(first.status, 200) << capture.source << ": " << first.text;
    EXPECT_TRUE(first.body.find(R"("status":"accepted")") != std::string::npos) << first.body;
  }
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (const Capture& capture : captures) {
          if (store_->Get(capture.key)->state != State::kCompleted) return false;
        }
        return true;
      },
      30s));
  before_ = StoreSnapshot(*store_);
  delivered_ = app_.count();
  ASSERT_EQ(delivered_, 3u);
  // Within the tolerance the same bytes are a duplicate: answered, not stored or delivered again.
  clock_.Advance(kTolerance - 1s);
  for (const Capture& capture : captures) {
    Reply again = Raw(capture.bytes);
    EXPECT_EQ(again.status, 200) << capture.source << ": " << again.text;
    EXPECT_TRUE(again.body.find(R"("status":"duplicate")") != std::string::npos) << again.body;
    ExpectUntouched(capture.source + ", replayed within the tolerance");
  }
  // Past it they are refused before the store is asked.
  clock_.Advance(2s);
  for (const Capture& capture : captures) {
    ExpectRefused(Raw(capture.bytes), 401, "stale_timestamp",
                  capture.source + ", replayed after the tolerance");
  }
  // Once retention has erased the keys, dedup no longer knows them: the timestamp alone keeps a
  // replay from being a new event.
  clock_.Advance(31 * 24h);
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(store_->Sweep().ok());
  for (const Capture& capture : captures) {
    ASSERT_EQ(store_->Get(capture.key).status().code(), StatusCode::kNotFound) << capture.key;
  }
  before_ = StoreSnapshot(*store_);
  for (const Capture& capture : captures) {
    ExpectRefused(Raw(capture.bytes), 401, "stale_timestamp",
                  capture.source + ", replayed after its key was erased");
  }
}

TEST_F(HostileInputTest, CrLfInIdsIsRefused) {
  const std::string body = R"({"n":1})";
  const Headers hmac = Without(Signed("hooks", body, clock_.Now(), "x"), "X-Webhook-Id");
  // Raw bytes in the id header: a bare CR or LF is not HTTP (Beast refuses the message); an
  // obs-fold continuation line (CRLF + space) joins the id with spaces, which no id may hold.
  struct Case {
    std::string name;
    std::string line;
    std::string code;
  };
  const std::vector<Case> header_cases = {
      {"bare CR", "X-Webhook-Id: a\rInjected: 1\r\n", "bad_request"},
      {"bare LF", "X-Webhook-Id: a\nInjected: 1\r\n", "bad_request"},
      {"obs-fold", "X-Webhook-Id: a\r\n Injected: 1\r\n", "invalid_event_id"},
      {"empty, then CRLF and another id", "X-Webhook-Id: \r\nX-Webhook-Id: b\r\n",
       "invalid_event_id"},
  };
  for (const Case& c : header_cases) {
    ExpectRefused(Raw(RawPost("/webhooks/hooks", hmac, body, c.line)), 400, c.code,
                  "header, " + c.name);
  }
  // In a JSON body the id arrives escaped (or raw, which JSON forbids) and must not reach the
  // Idempotency-Key header unrefused.
  for (const auto& [id_json, code] : std::vector<std::pair<std::string, std::string>>{
           {R"("evt_1\r\nX-Injected: 1")", "invalid_event_id"},
           {R"("evt_1\nX")", "invalid_event_id"},
           {R"("evt_1\u000d\u000aX")", "invalid_event_id"},
           {"\"evt_1\r\nX\"", "malformed_body"}}) {
    const std::string stripe_body = StripeBody(id_json);
    ExpectRefused(Send("stripe", Signed("stripe", stripe_body, clock_.Now()), stripe_body), 400,
                  code, "stripe body id " + id_json);
  }
  // Standard Webhooks signs the id: sent raw, its CRLF ends the header, so the id the gateway
  // reads ("msg") is not the id that was signed.
  const std::string std_body = R"({"n":2})";
  ExpectRefused(
      Raw(RawPost("/webhooks/std", Signed("std", std_body, clock_.Now(), "msg\r\nX-Injected: 1"),
                  std_body)),
      401, "bad_signature", "std, signed id with CRLF");
}

TEST_F(HostileInputTest, TenKilobyteIdsAreRefused) {
  const std::string id(10 * 1024, 'a');
  const std::string body = R"({"n":1})";
  ExpectRefused(Send("hooks", Signed("hooks", body, clock_.Now(), id), body), 400,
                "invalid_event_id", "hmac header");
  ExpectRefused(Send("std", Signed("std", body, clock_.Now(), id), body), 400, "invalid_event_id",
                "std header");
  const std::string stripe_body = StripeBody("\"" + id + "\"");
  ExpectRefused(Send("stripe", Signed("stripe", stripe_body, clock_.Now()), stripe_body), 400,
                "invalid_event_id", "stripe body");
  // The bound is 256 bytes: one more is refused, exactly 256 is not (that one is stored).
  ExpectRefused(Send("hooks", Signed("hooks", body, clock_.Now(), std::string(257, 'b')), body),
                400, "invalid_event_id", "257 bytes");
  EXPECT_EQ(Send("hooks", Signed("hooks", body, clock_.Now(), std::string(256, 'b')), body).status,
            200);
}

TEST_F(HostileInputTest, NonUtf8AndNulInIdsAreRefused) {
  const std::string body = R"({"n":1})";
  const Headers hmac = Without(Signed("hooks", body, clock_.Now(), "x"), "X-Webhook-Id");
  // Raw header bytes: obs-text (0x80-0xFF) is legal HTTP, so the id check refuses it; NUL and
  // other controls are not HTTP, so the parser does.
  struct Case {
    std::string name;
    std::string id;
    std::string code;
  };
  const std::vector<Case> header_cases = {
      {"0xFF 0xFE", "evt\xff\xfe", "invalid_event_id"},
      {"overlong slash", "evt\xc0\xaf", "invalid_event_id"},
      {"valid UTF-8 é", "evt\xc3\xa9", "invalid_event_id"},
      {"NUL", std::string("evt\0x", 5), "bad_request"},
      {"only NUL", std::string(1, '\0'), "bad_request"},
      {"DEL", "evt\x7f", "bad_request"},
      {"tab inside", "a\tb", "invalid_event_id"},
      {"space inside", "has space", "invalid_event_id"},
  };
  for (const Case& c : header_cases) {
    ExpectRefused(Raw(RawPost("/webhooks/hooks", hmac, body, "X-Webhook-Id: " + c.id + "\r\n")),
                  400, c.code, "header, " + c.name);
  }
  // Stripe body ids: raw bytes that are not UTF-8 make the body not JSON; escapes that decode
  // to NUL or to non-ASCII make an id that is not printable ASCII.
  for (const auto& [id_json, code] : std::vector<std::pair<std::string, std::string>>{
           {"\"evt\xff\xfe\"", "malformed_body"},
           {"\"evt\xc0\xaf\"", "malformed_body"},
           {"\"evt\xed\xa0\x80\"", "malformed_body"},  // a UTF-16 surrogate as UTF-8
           {R"("evt\ud800")", "malformed_body"},       // a lone surrogate escape
           {std::string("\"evt\0x\"", 7), "malformed_body"},
           {R"("evt\u0000x")", "invalid_event_id"},
           {R"("evt\u00e9")", "invalid_event_id"},
           {"\"evt\xc3\xa9\"", "invalid_event_id"}}) {
    const std::string stripe_body = StripeBody(id_json);
    ExpectRefused(Send("stripe", Signed("stripe", stripe_body, clock_.Now()), stripe_body), 400,
                  code, "stripe body id " + PercentEncode(id_json));
  }
}

TEST_F(HostileInputTest, AmbiguousIdsAreRefused) {
  // Two top-level "id" members: which one is the event is anyone's guess.
  for (const std::string& stripe_body :
       {std::string(R"({"id":"evt_a","id":"evt_b","object":"event"})"),
        std::string(R"({"id":"evt_a","object":"event","id":"evt_a"})"),
        std::string(R"({"id":"evt_a","\u0069d":"evt_b"})"),
        std::string(R"({"id":null,"id":"evt_b"})")}) {
    ExpectRefused(Send("stripe", Signed("stripe", stripe_body, clock_.Now()), stripe_body), 400,
                  "malformed_body", stripe_body);
  }
  // The id header twice.
  const std::string body = R"({"n":1})";
  Headers twice = Signed("hooks", body, clock_.Now(), "h1");
  twice.emplace_back("X-Webhook-Id", "h2");
  ExpectRefused(Send("hooks", twice, body), 400, "invalid_event_id", "X-Webhook-Id twice");
  Headers twice_same = Signed("hooks", body, clock_.Now(), "h1");
  twice_same.emplace_back("x-webhook-id", "h1");
  ExpectRefused(Send("hooks", twice_same, body), 400, "invalid_event_id",
                "X-Webhook-Id twice, same value");
}

TEST_F(HostileInputTest, JsonNestedTenThousandDeepIsMalformed) {
  for (bool objects : {false, true}) {
    const std::string kind = objects ? "objects" : "arrays";
    const std::string deep = Nested(10000, objects);
    const std::vector<std::pair<std::string, std::string>> bodies = {
        {"deep data after the id", R"({"id":"evt_deep","data":)" + deep + "}"},
        {"deep data before the id", R"({"data":)" + deep + R"(,"id":"evt_deep"})"},
        {"the id itself deep", R"({"id":)" + deep + "}"},
    };
    for (const auto& [name, body] : bodies) {
      ExpectRefused(Send("stripe", Signed("stripe", body, clock_.Now()), body), 400,
                    "malformed_body", kind + ", " + name);
    }
    // Unbalanced: deep and never closed.
    const std::string open = R"({"id":"evt_open","data":)" + deep.substr(0, deep.size() / 2);
    ExpectRefused(Send("stripe", Signed("stripe", open, clock_.Now()), open), 400, "malformed_body",
                  kind + ", never closed");
  }
  // Bodies that are not one JSON object at all.
  for (const std::string& body :
       {std::string("not json"), std::string(""), std::string("{"), std::string("[]"),
        std::string(R"({"id":"evt_x"} {"id":"evt_y"})"), std::string(R"({"id":"evt_x"}])")}) {
    ExpectRefused(Send("stripe", Signed("stripe", body, clock_.Now()), body), 400, "malformed_body",
                  "body " + body);
  }
  // 256 levels are JSON a provider could send: accepted.
  const std::string body = R"({"id":"evt_256","data":)" + Nested(255, false) + "}";
  EXPECT_EQ(Send("stripe", Signed("stripe", body, clock_.Now()), body).status, 200);
  EXPECT_EQ(Get("/healthz").status, 200);
}

TEST_F(HostileInputTest, ContentEncodingIs415EvenForAGzipBomb) {
  const std::string bomb = GzipBomb(64);  // 64 MiB of zeros once inflated
  ASSERT_LT(bomb.size(), 200u * 1024) << "the bomb should be small on the wire";
  ASSERT_EQ(bomb.substr(0, 2), "\x1f\x8b");
  // Signed as sent, so only the encoding can be the reason for the refusal.
  const Headers headers = Signed("hooks", bomb, clock_.Now(), "gz1");
  for (const char* encoding :
       {"gzip", "GZIP", "x-gzip", "deflate", "br", "identity, gzip", "gzip, identity"}) {
    Headers encoded = headers;
    encoded.emplace_back("Content-Encoding", encoding);
    ExpectRefused(Send("hooks", encoded, bomb), 415, "unsupported_encoding", encoding);
  }
  // A second Content-Encoding header cannot hide behind a first that says identity.
  Headers hidden = headers;
  hidden.emplace_back("Content-Encoding", "identity");
  hidden.emplace_back("Content-Encoding", "gzip");
  ExpectRefused(Send("hooks", hidden, bomb), 415, "unsupported_encoding", "identity then gzip");
  EXPECT_EQ(Get("/healthz").status, 200);
}

TEST_F(HostileInputTest, SmugglingAttemptsAreRefusedAndThePipelinedRequestNeverRuns) {
  // The request hidden behind each attempt is a valid signed webhook: run, it would be stored.
  const std::string hidden_body = R"({"id":"smuggled"})";
  const std::string hidden = KeepAlive(RawPost(
      "/webhooks/hooks", Signed("hooks", hidden_body, clock_.Now(), "smuggled"), hidden_body));
  const std::string outer_body = R"({"id":"outer"})";
  const Headers outer = Signed("hooks", outer_body, clock_.Now(), "outer");
  const std::string chunked_outer =
      std::to_string(outer_body.size()) + "\r\n" + outer_body + "\r\n0\r\n\r\n";
  struct Case {
    std::string name;
    std::string bytes;
  };
  const std::vector<Case> cases = {
      // CL.TE: a front end going by Content-Length forwards all; chunked ends early.
      {"Content-Length then Transfer-Encoding",
       KeepAlive(RawPost("/webhooks/hooks", outer, "",
                         "Content-Length: " + std::to_string(chunked_outer.size() + hidden.size()) +
                             "\r\nTransfer-Encoding: chunked\r\n",
                         false)) +
           chunked_outer + hidden},
      // TE.CL: a back end going by Content-Length reads the chunk as the next request.
      {"Transfer-Encoding then Content-Length",
       KeepAlive(RawPost("/webhooks/hooks", outer, "",
                         "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n", false)) +
           chunked_outer + hidden},
      {"two different Content-Lengths",
       KeepAlive(RawPost(
           "/webhooks/hooks", outer, "",
           "Content-Length: " + std::to_string(outer_body.size()) +
               "\r\nContent-Length: " + std::to_string(outer_body.size() + hidden.size()) + "\r\n",
           false)) +
           outer_body + hidden},
      {"Content-Length list",
       KeepAlive(RawPost("/webhooks/hooks", outer, "",
                         "Content-Length: " + std::to_string(outer_body.size()) + ", " +
                             std::to_string(outer_body.size() + hidden.size()) + "\r\n",
                         false)) +
           outer_body + hidden},
      {"Transfer-Encoding not ending in chunked",
       KeepAlive(RawPost("/webhooks/hooks", outer, "", "Transfer-Encoding: chunked, identity\r\n",
                         false)) +
           chunked_outer + hidden},
      {"Transfer-Encoding twice",
       KeepAlive(RawPost("/webhooks/hooks", outer, "",
                         "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n", false)) +
           chunked_outer + hidden},
      {"Transfer-Encoding xchunked",
       KeepAlive(RawPost("/webhooks/hooks", outer, "", "Transfer-Encoding: xchunked\r\n", false)) +
           chunked_outer + hidden},
      {"Transfer-Encoding gzip",
       KeepAlive(RawPost("/webhooks/hooks", outer, "", "Transfer-Encoding: gzip\r\n", false)) +
           hidden},
      {"space before the colon",
       KeepAlive(RawPost("/webhooks/hooks", outer, "", "Transfer-Encoding : chunked\r\n", false)) +
           chunked_outer + hidden},
      {"negative Content-Length",
       KeepAlive(RawPost("/webhooks/hooks", outer, "", "Content-Length: -1\r\n", false)) + hidden},
  };
  for (const Case& c : cases) {
    const Reply reply = Raw(c.bytes);
    ExpectRefused(reply, 400, "bad_request", c.name);
    EXPECT_EQ(reply.responses, 1) << c.name << ": " << reply.text;
    EXPECT_TRUE(reply.closed) << c.name << ": the connection stayed open";
  }
  // The hidden request alone is accepted: the store stayed as it was only because it never ran.
  const Reply alone = Raw(hidden + "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(alone.status, 200) << alone.text;
  EXPECT_EQ(alone.responses, 2) << alone.text;
  EXPECT_TRUE(store_->Get("hooks:smuggled").ok());
}

TEST_F(HostileInputTest, TenThousandHeadersAre431) {
  const std::string body = R"({"id":"many"})";
  std::string many;
  for (int i = 0; i < 10000; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
  const Reply reply =
      Raw(RawPost("/webhooks/hooks", Signed("hooks", body, clock_.Now(), "many"), body, many));
  ExpectRefused(reply, 431, "headers_too_large", "10,000 headers");
  EXPECT_TRUE(reply.closed);
  // 10,000 headers of one byte each.
  std::string tiny;
  for (int i = 0; i < 10000; ++i) tiny += "a:\r\n";
  ExpectRefused(
      Raw(RawPost("/webhooks/hooks", Signed("hooks", body, clock_.Now(), "many"), body, tiny)), 431,
      "headers_too_large", "10,000 empty headers");
  // One header value of 1 MiB.
  ExpectRefused(Raw(RawPost("/webhooks/hooks", Signed("hooks", body, clock_.Now(), "many"), body,
                            "X-Big: " + std::string(1 << 20, 'v') + "\r\n")),
                431, "headers_too_large", "a 1 MiB header");
}

TEST_F(HostileInputTest, RequestLineOfOneMebibyteIs431) {
  const std::string body = R"({"id":"line"})";
  const Reply reply = Raw(RawPost("/webhooks/hooks?" + std::string(1 << 20, 'a'),
                                  Signed("hooks", body, clock_.Now(), "line"), body));
  ExpectRefused(reply, 431, "headers_too_large", "1 MiB request line");
  EXPECT_TRUE(reply.closed);
  ExpectRefused(Raw("POST /" + std::string(1 << 20, 'a') + " HTTP/1.1\r\n"), 431,
                "headers_too_large", "1 MiB path, nothing after it");
  ExpectRefused(Raw(std::string(1 << 20, 'P')), 431, "headers_too_large", "1 MiB method");
}

// Sends `bytes` one byte per `gap_ms` until all are sent or the gateway closes; then reads until
// it closes or `deadline_ms` (from the start) passes.
Reply Dribble(int fd, std::string_view bytes, int gap_ms, int deadline_ms) {
  Reply reply;
  const auto deadline = Steady::now() + std::chrono::milliseconds(deadline_ms);
  char buffer[4096];
  for (char c : bytes) {
    if (Steady::now() >= deadline || send(fd, &c, 1, MSG_NOSIGNAL) != 1) break;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, gap_ms) <= 0) continue;  // the pause between two bytes
    const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) {
      reply.closed = true;
      return reply;
    }
    reply.text.append(buffer, static_cast<std::size_t>(n));
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Steady::now());
  reply.text +=
      ReadUntilClosed(fd, static_cast<int>(std::max<std::int64_t>(0, left.count())), &reply.closed);
  return reply;
}

TEST_F(HostileInputTest, SlowlorisIsCutOffByTheReadTimeout) {
  server::Config config = HostileConfig();
  config.server.read_timeout = 300ms;
  config.server.idle_timeout = 600s;  // so only the read timeout can close a started request
  Restart(config);
  // Leading whitespace is JSON too: a body long enough to dribble for 40 s.
  const std::string body = std::string(2000, ' ') + R"({"id":"slow"})";
  const std::string request =
      RawPost("/webhooks/hooks", Signed("hooks", body, clock_.Now(), "slow"), body);
  const std::size_t head_size = request.size() - body.size();
  struct Case {
    std::string name;
    std::string sent_at_once;
    std::string dribbled;
  };
  // Dribbled whole, each would take far longer than the deadline below.
  const std::vector<Case> cases = {
      {"header, a byte at a time", "",
       request.substr(0, head_size - 2) + "X-Slow: " + std::string(2000, 'a')},
      {"body, a byte at a time", request.substr(0, head_size), body},
  };
  for (const Case& c : cases) {
    const int fd = ConnectTo(gateway_->port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(WriteAll(fd, c.sent_at_once));
    const auto start = Steady::now();
    const Reply reply = Dribble(fd, c.dribbled, 20, 20000);
    close(fd);
    EXPECT_TRUE(reply.closed) << c.name << ": a dribbled request held its connection open";
    EXPECT_LT(SecondsSince(start), 10.0) << c.name;
    EXPECT_EQ(reply.text, "") << c.name << ": a cut-off request gets no answer";
    ExpectUntouched(c.name);
  }
  // A connection that never sends a byte is closed by the idle timeout.
  config.server.idle_timeout = 300ms;
  Restart(config);
  const int idle = ConnectTo(gateway_->port());
  ASSERT_GE(idle, 0);
  bool closed = false;
  EXPECT_EQ(ReadUntilClosed(idle, 20000, &closed), "");
  close(idle);
  EXPECT_TRUE(closed) << "a silent connection was kept open";
  // The gateway still serves others.
  EXPECT_EQ(Get("/healthz").status, 200);
  ExpectUntouched("after slowloris");
}

TEST_F(HostileInputTest, FourThousandConcurrentConnectionsDoNotStopANewOne) {
  constexpr int kConnections = 4000;
  server::RaiseFileLimit();
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  // Both ends of every connection live in this process, plus the store, the app and the rest.
  ASSERT_GE(limit.rlim_cur, static_cast<rlim_t>(2 * kConnections + 500))
      << "the descriptor limit is too low for this test";
  std::vector<int> fds;
  fds.reserve(kConnections);
  for (int i = 0; i < kConnections; ++i) {
    const int fd = ConnectTo(gateway_->port());
    ASSERT_GE(fd, 0) << "connection " << i;
    fds.push_back(fd);
  }
  // A provider's new connection gets through while 4,000 others are open and silent.
  const Reply fresh = Of(PostSigned(hooks(), R"({"id":"c1"})", "c1"));
  EXPECT_EQ(fresh.status, 200) << fresh.body;
  // Then every one of the 4,000 asks for something: each is answered or closed cleanly.
  const std::string ask = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  std::vector<pollfd> waiting;
  std::vector<std::size_t> owner;  // waiting[i] is connection owner[i]
  std::vector<std::string> answers(kConnections);
  int unwritable = 0;
  for (std::size_t i = 0; i < fds.size(); ++i) {
    if (WriteAll(fds[i], ask)) {
      waiting.push_back(pollfd{fds[i], POLLIN, 0});
      owner.push_back(i);
    } else {
      ++unwritable;
    }
  }
  int clean_close = 0, reset = 0;
  const auto deadline = Steady::now() + 120s;
  char buffer[4096];
  while (!waiting.empty() && Steady::now() < deadline) {
    if (poll(waiting.data(), waiting.size(), 100) <= 0) continue;
    std::vector<pollfd> still;
    std::vector<std::size_t> still_owner;
    for (std::size_t i = 0; i < waiting.size(); ++i) {
      const auto keep = [&] {
        still.push_back(pollfd{waiting[i].fd, POLLIN, 0});
        still_owner.push_back(owner[i]);
      };
      if (waiting[i].revents == 0) {
        keep();
        continue;
      }
      const ssize_t n = recv(waiting[i].fd, buffer, sizeof buffer, 0);
      if (n > 0) {
        answers[owner[i]].append(buffer, static_cast<std::size_t>(n));
        keep();
      } else if (n == 0) {
        ++clean_close;
      } else {
        ++reset;
      }
    }
    waiting = std::move(still);
    owner = std::move(still_owner);
  }
  int ok = 0, other = 0;
  for (const std::string& answer : answers) {
    if (answer.starts_with("HTTP/1.1 200")) {
      ++ok;
    } else if (!answer.empty()) {
      ++other;
    }
  }
  for (int fd : fds) close(fd);
  EXPECT_TRUE(waiting.empty()) << waiting.size() << " connections neither answered nor closed";
  EXPECT_EQ(reset, 0) << "connections reset instead of answered or closed cleanly";
  EXPECT_EQ(other, 0) << "connections answered something else than 200";
  EXPECT_EQ(unwritable, 0);
  EXPECT_EQ(clean_close, kConnections);  // Connection: close, after the answer or without one
  EXPECT_EQ(ok, kConnections) << "answered 200: " << ok;
  // The store holds the seed and the fresh event, nothing else.
  std::vector<std::string> after = StoreSnapshot(*store_);
  ASSERT_EQ(after.size(), before_.size() + 1);
  EXPECT_EQ(std::vector<std::string>(after.begin(), after.begin() + before_.size()), before_);
  EXPECT_TRUE(after.back().starts_with("hooks:c1 ")) << after.back();
}

TEST_F(HostileInputTest, AdminApiRefusesMissingAndWrongTokens) {
  const std::string token = kAdminToken;
  std::string same_length = token;
  same_length.back() = same_length.back() == 'f' ? 'e' : 'f';
  std::string first_wrong = token;
  first_wrong.front() = first_wrong.front() == 'a' ? 'b' : 'a';
  struct Auth {
    std::string name;
    Headers headers;
  };
  const std::vector<Auth> auths = {
      {"no token", {}},
      {"wrong token", {{"Authorization", "Bearer wrong"}}},
      {"right length, last byte wrong", {{"Authorization", "Bearer " + same_length}}},
      {"right length, first byte wrong", {{"Authorization", "Bearer " + first_wrong}}},
      {"the token and one byte more", {{"Authorization", "Bearer " + token + "x"}}},
      {"the token less its last byte",
       {{"Authorization", "Bearer " + token.substr(0, token.size() - 1)}}},
      {"empty bearer", {{"Authorization", "Bearer "}}},
      {"the token without the scheme", {{"Authorization", token}}},
      {"the token as Basic", {{"Authorization", "Basic " + token}}},
      {"the token in another header", {{"X-Admin-Token", token}}},
      {"a wrong token before the right one",
       {{"Authorization", "Bearer wrong"}, {"Authorization", "Bearer " + token}}},
  };
  const std::vector<std::pair<std::string, std::string>> endpoints = {
      {"GET", "/v1/events"},
      {"GET", "/v1/events/hooks/seed"},
      {"GET", "/v1/dead"},
      {"DELETE", "/v1/events/hooks/seed"},
      {"POST", "/v1/events/hooks/seed/replay"},
      {"POST", "/v1/replay?state=completed"},
      {"GET", "/v1/events?token=" + token},
  };
  for (const auto& [method, target] : endpoints) {
    for (const Auth& auth : auths) {
      ExpectRefused(Call(method, target, auth.headers), 401, "unauthorized",
                    method + " " + target + ", " + auth.name);
    }
  }
  // The same endpoint answers the right token: the refusals above were the token's doing.
  const Reply allowed =
      Call("GET", "/v1/events/hooks/seed", {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(allowed.status, 200) << allowed.body;
  ExpectUntouched("after the admin attempts");
}

TEST_F(HostileInputTest, AdminApiWithoutAConfiguredTokenRefusesEveryone) {
  server::Config config = HostileConfig();
  config.server.admin_token = "";
  Restart(config);
  for (const Headers& headers :
       std::vector<Headers>{{},
                            {{"Authorization", "Bearer "}},
                            {{"Authorization", "Bearer  "}},
                            {{"Authorization", std::string("Bearer ") + kAdminToken}}}) {
    for (std::string method : {"GET", "DELETE"}) {
      ExpectRefused(
          Call(method, "/v1/events/hooks/seed", headers), 401, "unauthorized",
          method + " with " + (headers.empty() ? std::string("nothing") : headers[0].second));
    }
  }
}

// ---- Every secret comparison goes through ConstantTimeEquals ----
//
// A scan of the source tree (src/ and include/, tests and fuzzers aside) for comparisons whose
// time could depend on a secret's bytes: a byte-comparison function anywhere but in
// ConstantTimeEquals itself, or == / != with an operand named like a secret (secret, token,
// signature, digest, mac, ...) against anything but a literal.

bool SecretName(std::string_view name) {
  while (!name.empty() && name.back() == '_') name.remove_suffix(1);  // members: token_
  for (std::string_view word :
       {"secret", "secrets", "token", "signature", "signatures", "sig", "digest", "mac", "hmac",
        "password", "expected", "received", "candidate"}) {
    if (name == word) return true;
    if (name.size() > word.size() && name.ends_with(word) &&
        name[name.size() - word.size() - 1] == '_') {
      return true;
    }
  }
  return false;
}

bool IsIdentifierChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// One side of a == or !=: the last name of a member chain ("a->b.c" gives "c"), empty for a
// call's result or an index; `literal` for a string, character or number literal or nullptr.
struct Operand {
  std::string_view name;
  bool literal = false;
};

Operand LeftOperand(std::string_view line, std::size_t op) {
  std::size_t end = op;
  while (end > 0 && line[end - 1] == ' ') --end;
  if (end == 0) return {};
  const char last = line[end - 1];
  if (last == '"' || last == '\'') return {"", true};
  std::size_t start = end;
  while (start > 0 && IsIdentifierChar(line[start - 1])) --start;
  const std::string_view name = line.substr(start, end - start);
  if (name.empty()) return {};  // a call, an index or a parenthesis
  if ((name[0] >= '0' && name[0] <= '9') || name == "nullptr") return {"", true};
  return {name, false};
}

Operand RightOperand(std::string_view line, std::size_t at) {
  std::size_t i = at;
  while (i < line.size() && (line[i] == ' ' || line[i] == '*')) ++i;
  if (i == line.size()) return {};
  if (line[i] == '"' || line[i] == '\'' || (line[i] >= '0' && line[i] <= '9')) return {"", true};
  std::string_view last;
  while (i < line.size()) {
    const std::size_t start = i;
    while (i < line.size() && IsIdentifierChar(line[i])) ++i;
    last = line.substr(start, i - start);
    if (line.substr(i, 1) == ".") {
      ++i;
    } else if (line.substr(i, 2) == "->") {
      i += 2;
    } else {
      break;
    }
  }
  if (last == "nullptr") return {"", true};
  if (i < line.size() && line[i] == '(') return {};  // a call: its result is not a secret
  return {last, false};
}

// True when one line of C++ compares bytes in a way that could leak a secret through timing.
bool LeakyComparison(std::string_view line) {
  if (auto comment = line.find("//"); comment != std::string_view::npos) {
    line = line.substr(0, comment);
  }
  for (std::string_view call : {"memcmp(", "bcmp(", "strcmp(", "strncmp(", "wcscmp(", "std::equal(",
                                "ranges::equal(", "std::mismatch(", ".compare("}) {
    if (line.find(call) != std::string_view::npos) return true;
  }
  for (std::size_t at = 0; at + 1 < line.size(); ++at) {
    const bool equals = line[at] == '=' && line[at + 1] == '=';
    const bool differs = line[at] == '!' && line[at + 1] == '=';
    if (!equals && !differs) continue;
    if (equals && at > 0 && (line[at - 1] == '<' || line[at - 1] == '>')) continue;
    const Operand left = LeftOperand(line, at);
    const Operand right = RightOperand(line, at + 2);
    if ((SecretName(left.name) && !right.literal) || (SecretName(right.name) && !left.literal)) {
      return true;
    }
    ++at;
  }
  return false;
}

TEST(HostileSourceScanTest, TheScanFindsLeakyComparisons) {
  for (const char* leaky :
       {"  if (signature == expected) return true;", "return header->substr(7) != token_;",
        "if (received != computed.digest) {", "return memcmp(a.data(), b.data(), n) == 0;",
        "ok = CRYPTO_memcmp(x, y, n) == 0;",
        "if (std::equal(a.begin(), a.end(), secret.begin())) {",
        "matched = provided.compare(admin_token) == 0;", "if (config.admin_token == presented) {",
        "if (strcmp(secret, other) == 0) {"}) {
    EXPECT_TRUE(LeakyComparison(leaky)) << leaky;
  }
  for (const char* fine :
       {"if (token == \"null\") {", "if (signature.kind != HeaderLookup::Kind::kFound) {",
        "HF_CHECK(length == digest.size());", "if (mac == nullptr) {",
        "if (strncasecmp(name.data(), \"x\", 1) == 0) {",
        "} else if (key == scheme_.signature_key) {",
        "return ConstantTimeEquals(header->substr(7), token);",
        "// compare signature == expected in constant time", "if (signatures.size() != 1) {"}) {
    EXPECT_FALSE(LeakyComparison(fine)) << fine;
  }
}

TEST(HostileSourceScanTest, EverySecretComparisonGoesThroughConstantTimeEquals) {
  // HOOKFENCE_NODE_DIR is <source>/tests/node.
  const std::filesystem::path root =
      std::filesystem::path(HOOKFENCE_NODE_DIR).parent_path().parent_path();
  const std::filesystem::path helper = root / "src/providers/constant_time_equals.cc";
  ASSERT_TRUE(std::filesystem::exists(helper)) << helper;
  std::vector<std::string> leaks;
  int files = 0;
  for (const char* folder : {"src", "include"}) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root / folder)) {
      const std::string name = entry.path().filename().string();
      if (!entry.is_regular_file() || !(name.ends_with(".cc") || name.ends_with(".h"))) continue;
      if (name.ends_with("_test.cc") || name.ends_with("_fuzz.cc") ||
          name.ends_with("_benchmark.cc") || entry.path() == helper) {
        continue;
      }
      ++files;
      std::ifstream in(entry.path());
      std::string line;
      for (int number = 1; std::getline(in, line); ++number) {
        if (LeakyComparison(line)) {
          leaks.push_back(entry.path().lexically_relative(root).string() + ":" +
                          std::to_string(number) + ": " + line);
        }
      }
    }
  }
  EXPECT_GT(files, 50);
  std::ostringstream list;
  for (const std::string& leak : leaks) list << "\n  " << leak;
  EXPECT_TRUE(leaks.empty()) << "comparisons that do not go through ConstantTimeEquals:"
                             << list.str();
  // The helper itself is the one CRYPTO_memcmp.
  std::ifstream in(helper);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("CRYPTO_memcmp("), std::string::npos);
}

}  // namespace
}  // namespace hookfence::testing

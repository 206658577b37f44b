// Fuzzes the gateway's HTTP request path without sockets: the bytes a client would send are fed
// to Beast's request parser with the session's limits (src/server/http_session.cc), and every
// request parsed from them (pipelined, up to kMaxRequests) goes through Route, the function the
// session calls: webhook verification, event-id extraction, the ordering key, the admin API and
// the health routes, over an in-memory store (memory://, volatile) and a fixed clock.
//
// The gateway has a source per provider, named after it (POST /webhooks/stripe, …), with the
// secrets of tests/data/provider_vectors.json so that the vectors' requests are valid seeds; the
// admin token is "fuzz-admin-token". Sources are async and there is no dispatcher, so nothing is
// delivered and no connection is opened. The store holds at most 4096 records (then 503).
// Besides "no crash, no sanitizer report", it checks that every answer has a status in 100..599.
#include <spdlog/logger.h>
#include <spdlog/sinks/null_sink.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "hookfence/store.h"
#include "src/server/config.h"
#include "src/server/gateway_core.h"
#include "src/server/parsed_request.h"
#include "src/server/routes.h"
#include "testing/simulated_clock.h"

namespace hookfence::fuzz {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using server::Config;
using server::ConfigLoad;
using server::GatewayCore;
using server::HttpRequest;
using server::HttpResponse;
using server::ServerConfig;
using server::Settings;
using server::SourceTable;

constexpr int kMaxRequests = 8;

constexpr std::string_view kConfig = R"(
[server]
max_body_bytes = "64KiB"
max_header_bytes = 16384
admin_token = "fuzz-admin-token"
log_level = "off"

[store]
url = "memory://"
volatile = true
capacity = 4096
max_pending_writes = 64

[[sources]]
name = "stripe"
provider = "stripe"
secrets = ["whsec_Qk7x2mF9sLp4Rt8vWz1bN6cY3hJ5dG0a"]
destination = "http://127.0.0.1:9/stripe"
ordering_key = "data.object.id"

[[sources]]
name = "standard-webhooks"
provider = "standard-webhooks"
secrets = ["whsec_t9ojW8NQ4CXU2mH+1z6CV5OSH+IkfE/VGHqfVr+Xwmg="]
destination = "http://127.0.0.1:9/sw"

[[sources]]
name = "svix"
provider = "svix"
secrets = ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]
destination = "http://127.0.0.1:9/svix"

[[sources]]
name = "github"
provider = "github"
secrets = ["It's a Secret to Everybody", "previous-github-webhook-secret"]
destination = "http://127.0.0.1:9/github"

[[sources]]
name = "razorpay"
provider = "razorpay"
secrets = ["rzp_whsec_My$ecret-Value_2025"]
destination = "http://127.0.0.1:9/razorpay"

[[sources]]
name = "shopify"
provider = "shopify"
secrets = ["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"]
destination = "http://127.0.0.1:9/shopify"

[[sources]]
name = "slack"
provider = "slack"
secrets = ["8f742231b10e8888abcd99yyyzzz85a5"]
destination = "http://127.0.0.1:9/slack"

[[sources]]
name = "paddle"
provider = "paddle"
secrets = ["pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEI"]
destination = "http://127.0.0.1:9/paddle"

[[sources]]
name = "square"
provider = "square"
secrets = ["Zs7aQ_4mS5r3bW6nL2kP9x"]
notification_url = "https://example.com/webhooks/square"
destination = "http://127.0.0.1:9/square"

[[sources]]
name = "hmac"
provider = "hmac"
secrets = ["generic-shared-secret-\u00e9\u00e8", "generic-previous-secret"]
destination = "http://127.0.0.1:9/hmac"
)";

// What the fuzzer keeps across inputs: building the gateway core per input would dominate.
class Harness {
 public:
  Harness() : clock_(FromMicros(1735689600LL * 1000000)) {
    ConfigLoad load = ParseConfigOrDie();
    config_ = std::move(*load.config);
    auto sources = SourceTable::Build(config_.sources, &clock_);
    if (!sources.ok()) std::abort();
    auto settings = std::make_shared<Settings>();
    settings->sources = std::move(*sources);
    settings->admin_token = config_.server.admin_token;
    StoreOptions options = server::ToStoreOptions(config_.store);
    options.clock = &clock_;
    auto store = OpenStore(config_.store.url, options);
    if (!store.ok()) std::abort();
    store_ = std::move(*store);
    auto log =
        std::make_shared<spdlog::logger>("fuzz", std::make_shared<spdlog::sinks::null_sink_mt>());
    log->set_level(spdlog::level::off);
    core_ = std::make_shared<GatewayCore>(&clock_, store_.get(), config_, std::move(settings),
                                          std::move(log));
  }

  const ServerConfig& server() const { return config_.server; }

  // Routes one request as the session does and returns the answer.
  HttpResponse Serve(HttpRequest request) {
    std::optional<HttpResponse> answer;
    asio::co_spawn(ioc_, server::Route(core_, std::move(request)),
                   [&answer](std::exception_ptr error, HttpResponse response) {
                     if (error) std::abort();  // the handlers never throw
                     answer = std::move(response);
                   });
    while (!answer) ioc_.run_one();
    return std::move(*answer);
  }

 private:
  static ConfigLoad ParseConfigOrDie() {
    ConfigLoad load = server::ParseConfig(kConfig, "http_request_fuzz.toml",
                                          [](const std::string&) { return std::nullopt; });
    if (!load.config) std::abort();
    return load;
  }

  testing::SimulatedClock clock_;
  Config config_;
  std::unique_ptr<Store> store_;
  std::shared_ptr<GatewayCore> core_;
  asio::io_context ioc_;
  // Keeps run_one() waiting for store threads between requests (without it, the context stops
  // once idle and every later run_one() returns at once).
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(ioc_);
};

}  // namespace
}  // namespace hookfence::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hookfence;
  namespace http = boost::beast::http;
  static fuzz::Harness* harness = new fuzz::Harness();  // lives until exit, like a gateway
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (int i = 0; i < fuzz::kMaxRequests && !bytes.empty(); ++i) {
    server::RequestParser parser;
    parser.header_limit(static_cast<std::uint32_t>(harness->server().max_header_bytes));
    parser.body_limit(harness->server().max_body_bytes);
    parser.eager(true);
    boost::beast::error_code ec;
    bool header_checked = false;
    while (!parser.is_done() && !bytes.empty()) {
      const std::size_t used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
      bytes.remove_prefix(used);
      if (ec == http::error::need_more) ec = {};
      if (ec) return 0;  // 400, 413 or 431 and the connection is closed
      if (parser.is_header_done() && !header_checked) {
        header_checked = true;
        if (server::FramingProblem(parser)) return 0;  // 400 and closed
      }
      if (used == 0) break;  // the rest is an incomplete element: a client still sending
    }
    if (!parser.is_done()) {
      parser.put_eof(ec);  // the client closed the connection
      if (ec || !parser.is_done()) return 0;
      if (!header_checked && server::FramingProblem(parser)) return 0;
    }
    http::request<http::string_body> message = parser.release();
    const bool keep_alive = message.keep_alive();
    server::HttpResponse answer =
        harness->Serve(server::ToRequest(std::move(message), "127.0.0.1:1"));
    if (answer.status < 100 || answer.status > 599) std::abort();
    if (!keep_alive || answer.close) break;
  }
  return 0;
}

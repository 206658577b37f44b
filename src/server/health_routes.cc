// Unauthenticated operational endpoints: /healthz (the process answers), /readyz (the store
// answers), /metrics (Prometheus text).
#include "src/server/destination.h"
#include "src/server/dispatcher.h"
#include "src/server/loop_lag.h"
#include "src/server/routes.h"

namespace hookfence::server {

namespace {

// A read of a key that never exists: NotFound means the store answered. Built outside the
// coroutine (GCC 12 and lambdas created in coroutine bodies).
std::function<Status(Store&)> ProbeCall() {
  return [](Store& store) { return store.Get("hookfence:readyz-probe").status(); };
}

std::function<Result<QueueCounts>(Store&)> CountCall() {
  return [](Store& store) { return store.CountQueues(); };
}

// The dispatcher's and destinations' gauges, read now.
Metrics::DeliveryGauges ReadDeliveryGauges(GatewayCore& core) {
  Metrics::DeliveryGauges gauges;
  if (Dispatcher* dispatcher = core.dispatcher()) gauges.held = dispatcher->held();
  core.settings()->sources->ForEach([&gauges](const Source& source) {
    if (!source.destination) return;
    gauges.breakers.emplace_back(source.config.name,
                                 static_cast<int>(source.destination->breaker().state()));
    gauges.in_flight.emplace_back(source.config.name, source.destination->in_flight());
  });
  return gauges;
}

}  // namespace

boost::asio::awaitable<HttpResponse> HandleHealth(std::shared_ptr<GatewayCore> core,
                                                  HttpRequest request) {
  std::string_view path = PathOf(request.target);
  if (request.method != "GET") {
    co_return ErrorResponse(405, "method_not_allowed", "use GET");
  }
  if (path == "/healthz") co_return StatusResponse(200, "ok", "alive");
  if (path == "/readyz") {
    auto probe = co_await core->store().Run<Status>(ProbeCall());
    if (probe && (probe->ok() || probe->code() == StatusCode::kNotFound)) {
      co_return StatusResponse(200, "ready", "the store answers");
    }
    co_return WithRetryAfter(
        ErrorResponse(503, "store_unavailable",
                      probe ? probe->message() : std::string("store queue is full")),
        1);
  }
  if (path == "/metrics") {
    HttpResponse response;
    response.headers.emplace_back("Content-Type", "text/plain; version=0.0.4");
    Metrics::DeliveryGauges gauges = ReadDeliveryGauges(*core);
    auto counted = co_await core->store().Run<Result<QueueCounts>>(CountCall());
    if (counted && counted->ok()) gauges.queues = **counted;
    StoreStats stats = core->store().store().Stats();
    std::vector<Metrics::LoopGauge> loops;
    for (const auto& lag : core->loop_lags()) {
      loops.push_back(Metrics::LoopGauge{lag->last_lag(), lag->refused_share()});
    }
    // Every store call of this gateway is admitted by the runner, queued writes included, so
    // its count alone is the depth (adding the writer's own queue counted those twice).
    response.body = core->metrics().Render(stats, core->store().pending(), gauges, loops);
    co_return response;
  }
  co_return ErrorResponse(404, "not_found", "no such endpoint");
}

}  // namespace hookfence::server

#include <chrono>

#include "src/server/routes.h"

namespace hookfence::server {

boost::asio::awaitable<HttpResponse> Route(std::shared_ptr<GatewayCore> core, HttpRequest request) {
  const auto started = std::chrono::steady_clock::now();
  std::string_view path = PathOf(request.target);
  constexpr std::string_view kWebhooks = "/webhooks/";
  std::string source = "-";
  std::string outcome;
  std::string event_id;
  HttpResponse response;
  if (path.substr(0, kWebhooks.size()) == kWebhooks) {
    source = std::string(path.substr(kWebhooks.size()));
    response = co_await HandleWebhook(core, std::move(request), source, &outcome, &event_id);
  } else if (path.substr(0, 4) == "/v1/" || path == "/v1") {
    outcome = "admin";
    response = co_await HandleAdmin(core, std::move(request));
  } else {
    outcome = "health";
    response = co_await HandleHealth(core, std::move(request));
  }
  const auto latency =
      std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - started);
  if (outcome == "unknown_source") {
    source = "unknown";  // never a label (or a log field) per path an attacker makes up
  }
  if (outcome != "health") {
    core->metrics().CountRequest(source, outcome, latency);
    // One structured line per request: never a secret, never a body.
    core->log().info("request source={} event_id={} outcome={} status={} latency_us={}", source,
                     event_id.empty() ? "-" : event_id, outcome, response.status, latency.count());
  }
  co_return response;
}

}  // namespace hookfence::server

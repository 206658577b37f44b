// The gateway's HTTP routes. Each takes the shared core and one request and produces the answer;
// none of them blocks an I/O thread (store calls go through the StoreRunner).
//
//   POST /webhooks/{source}          webhook_route.cc (DESIGN §5 status codes)
//   GET  /v1/...                     admin_routes.cc (bearer token)
//   GET  /healthz /readyz /metrics   health_routes.cc
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>

#include "src/server/gateway_core.h"
#include "src/server/http_types.h"

namespace hookfence::server {

// Dispatches by path; also writes the request's log line and counts it.
boost::asio::awaitable<HttpResponse> Route(std::shared_ptr<GatewayCore> core, HttpRequest request);

boost::asio::awaitable<HttpResponse> HandleWebhook(std::shared_ptr<GatewayCore> core,
                                                   HttpRequest request, std::string source,
                                                   std::string* outcome, std::string* event_id);
boost::asio::awaitable<HttpResponse> HandleAdmin(std::shared_ptr<GatewayCore> core,
                                                 HttpRequest request);
boost::asio::awaitable<HttpResponse> HandleHealth(std::shared_ptr<GatewayCore> core,
                                                  HttpRequest request);

}  // namespace hookfence::server

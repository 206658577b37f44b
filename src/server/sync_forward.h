// Sync mode (a source with mode = "sync"; DESIGN §5): the gateway Begins the event's record,
// forwards the request to the app inline and answers the provider with the app's answer.
//
// A final answer (2xx, or a 4xx the app means) is stored with the record and replayed byte for
// byte, with `Hookfence-Replayed: true`, to every later duplicate. A retryable answer (408, 425,
// 429, 5xx) is passed on but not stored: the record is failed, due now, so the provider's retry
// runs the app again (with the same Idempotency-Key). While the first request runs, duplicates get
// 409 in_progress with Retry-After. A destination timeout answers 504 destination_timeout, a
// connection failure 502 destination_unreachable. The dispatcher never touches these records.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>

#include "hookfence/record.h"
#include "src/server/gateway_core.h"
#include "src/server/http_types.h"

namespace hookfence::server {

// Runs one sync-mode webhook whose signature and id were checked; `settings` holds the source.
// Sets *outcome to the metrics/log outcome code.
boost::asio::awaitable<HttpResponse> ForwardSync(std::shared_ptr<GatewayCore> core,
                                                 std::shared_ptr<const Settings> settings,
                                                 std::string source_name, std::string key,
                                                 Payload payload, std::string* outcome);

}  // namespace hookfence::server

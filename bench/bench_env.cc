#include "bench/bench_env.h"

#include <stdlib.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <system_error>

namespace hookfence::bench {
namespace {

// Removes the directory at exit; a function-local static of this type lives until then.
class ScratchDir {
 public:
  ScratchDir() {
    const char* tmpdir = std::getenv("TMPDIR");
    std::string pattern = std::string(tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp") +
                          "/hookfence-bench-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      std::perror(("hookfence bench: mkdtemp " + pattern).c_str());
      std::abort();
    }
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Shaped like a real payment provider's event: nested objects, ids, amounts, metadata.
constexpr char kBody[] = R"({
  "id": "evt_3PqRsTuVwXyZ0123456789ab",
  "object": "event",
  "api_version": "2024-06-20",
  "created": 1795478400,
  "type": "payment_intent.succeeded",
  "livemode": false,
  "pending_webhooks": 1,
  "request": {"id": "req_8fK2mQ9xLw3vTn", "idempotency_key": "b7c1e0a4-5d3f-4e21-9a8b-2f6c7d8e9a10"},
  "data": {
    "object": {
      "id": "pi_3PqRsTuVwXyZ0123456789cd",
      "object": "payment_intent",
      "amount": 4200,
      "amount_received": 4200,
      "currency": "eur",
      "capture_method": "automatic",
      "confirmation_method": "automatic",
      "created": 1795478391,
      "customer": "cus_Q1w2E3r4T5y6U7",
      "description": "Order #100234 - 2x Darjeeling First Flush, 1x Tea Strainer",
      "latest_charge": "ch_3PqRsTuVwXyZ0123456789ef",
      "payment_method": "pm_1PqRsTuVwXyZabcdefghij",
      "payment_method_types": ["card"],
      "receipt_email": "jane.doe@example.com",
      "status": "succeeded",
      "metadata": {"order_id": "100234", "cart_id": "c_77f1e2d3", "channel": "web", "locale": "de-DE"},
      "shipping": {
        "name": "Jane Doe",
        "phone": "+49 30 1234567",
        "address": {"line1": "Friedrichstrasse 123", "line2": "3. OG", "city": "Berlin",
                    "postal_code": "10117", "state": null, "country": "DE"}
      },
      "charges": {"object": "list", "has_more": false, "total_count": 1,
                  "url": "/v1/charges?payment_intent=pi_3PqRsTuVwXyZ0123456789cd"},
      "automatic_payment_methods": {"allow_redirects": "always", "enabled": true},
      "statement_descriptor": "TEAHOUSE BERLIN"
    }
  }
})";

}  // namespace

const std::filesystem::path& BenchDir() {
  static const ScratchDir dir;
  return dir.path();
}

std::filesystem::path NewBenchFile(const std::string& prefix) {
  static std::atomic<int> next{0};
  return BenchDir() / (prefix + "-" + std::to_string(next.fetch_add(1)));
}

void RemoveSqliteFiles(const std::filesystem::path& path) {
  std::error_code ignored;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::filesystem::remove(path.string() + suffix, ignored);
  }
}

const Payload& WebhookPayload() {
  static const Payload payload{
      kBody,
      {{"content-type", "application/json; charset=utf-8"},
       {"user-agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)"},
       {"stripe-signature",
        "t=1795478400,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd"},
       {"x-request-id", "req_8fK2mQ9xLw3vTn"}}};
  return payload;
}

}  // namespace hookfence::bench

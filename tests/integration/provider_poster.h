// The provider's side of whole-process gateway tests: posting signed webhooks over real sockets
// (Poster), tallying the answers, and reading what the gateway and the test sink report.
// Used by the single-gateway delivery tests and the several-gateways shared-store tests.
// Thread-safety: a Poster belongs to one thread; AnswerTally may be shared; the rest are pure.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "hookfence/clock.h"
#include "hookfence/providers.h"
#include "src/server/http_client.h"
#include "testing/test_sink.h"

namespace hookfence::testing {

using Steady = std::chrono::steady_clock;

double SecondsSince(Steady::time_point start);

// Polls `condition` until it holds or `timeout` passes; true when it held.
bool WaitUntil(const std::function<bool()>& condition, Duration timeout);

void WriteFile(const std::string& path, const std::string& text);

std::string PercentEncode(std::string_view text);

// What the gateway answered one post: status 0 when no answer came (refused, reset, timeout).
struct Answer {
  int status = 0;
  std::string body;

  // The "status" field of the JSON body ("accepted", "duplicate", "queued"), or "".
  std::string Outcome() const;
};

// A provider's sender: posts webhooks signed with an hmac source's secret (kSecret) to
// /webhooks/<source> over one keep-alive connection to whatever port `port` holds now (the
// gateway's port changes when it restarts), or to the port PostTo names. A failed exchange
// closes the connection; the next post opens a new one. One per thread.
class Poster {
 public:
  Poster(const std::atomic<std::uint16_t>* port, std::string source);
  ~Poster();
  Poster(const Poster&) = delete;
  Poster& operator=(const Poster&) = delete;

  // Posts `body` as event `event_id` once.
  Answer Post(const std::string& event_id, const std::string& body) {
    return PostTo(port_->load(), event_id, body);
  }
  Answer PostTo(std::uint16_t port, const std::string& event_id, const std::string& body);

  // Posts until the gateway answers 200 (a provider retries whatever else it gets: a refused
  // connection while the gateway is down, 429, 503). Gives up after `timeout`.
  Answer PostUntilAccepted(const std::string& event_id, const std::string& body,
                           Duration timeout = std::chrono::seconds(60));

 private:
  void Close();
  bool Receive();
  bool ReadAnswer(Answer* answer, bool* close);

  const std::atomic<std::uint16_t>* port_;
  const std::string source_;
  std::unique_ptr<Provider> provider_;
  int fd_ = -1;
  std::uint16_t connected_port_ = 0;
  std::string buffer_;
};

// A webhook body with id `event_id` (and data.object.id = `object_id` when given).
std::string Body(const std::string& event_id, const std::string& object_id = "");

// Counts the gateway's answers by outcome, from many threads.
class AnswerTally {
 public:
  void Add(const Answer& answer);
  std::size_t Count(const std::string& outcome) const;
  std::string ToString() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::size_t> counts_;
};

// The value of one Prometheus series line (`name{labels}`), or -1 when it is absent.
double MetricValue(const std::string& metrics, const std::string& series);

// The sink's requests grouped by Idempotency-Key, each group in arrival order.
std::map<std::string, std::vector<ReceivedRequest>> ByKey(
    const std::vector<ReceivedRequest>& requests);

// GET/POST/DELETE `target` on the gateway at `port` with the admin token (kAdminToken); status 0
// and the error in the body when no answer came.
server::HttpResponse AdminCall(std::uint16_t port, const std::string& method,
                               const std::string& target);

// The gateway's /metrics text ("" when it does not answer 200).
std::string MetricsOf(std::uint16_t port);

// The source every process test posts to (an hmac source with kSecret).
inline constexpr char kProcessTestSource[] = "hooks";

// "hooks:<event_id>", the Idempotency-Key of an event of kProcessTestSource.
std::string KeyOf(const std::string& event_id);

// The series of hookfence_deliveries_total for kProcessTestSource and `outcome`.
std::string Deliveries(const std::string& outcome);

// A gateway config for process tests: listens on 127.0.0.1:0, the admin token kAdminToken, the
// store `store_url` with `store_keys` (a lease of 2 s and a skew of 200 ms unless they set their
// own), polls every 50 ms, and kProcessTestSource delivering to `destination` with short
// timeouts and backoff, plus `source_keys`.
std::string ProcessTestConfig(const std::string& store_url, const std::string& destination,
                              const std::string& store_keys = "",
                              const std::string& source_keys = "");

// True when a gateway's /metrics text says the store holds nothing left to deliver (nothing
// due, scheduled, leased or dead).
bool Drained(const std::string& metrics);

// A numeric header of a received request, 0 when absent.
std::uint64_t HeaderNumber(const ReceivedRequest& request, std::string_view name);

}  // namespace hookfence::testing

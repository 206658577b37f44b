// TestSink: an in-process HTTP/1.1 server on 127.0.0.1 that plays the app behind the gateway in
// delivery tests. It records every request it receives and can fail, stall, answer slowly or
// hang up on demand, so tests can show that nothing accepted is lost and that redeliveries carry
// the same Idempotency-Key.
//
// Each received request is recorded once its body has been read, before the sink answers, so a
// request the client gives up on (timeout) is still in the log. The sink decides its answer in
// this order: the hook (SetHook), the next-N answer (AnswerNext), the random answer
// (AnswerWithProbability), the answer for all (AnswerAll, 200 by default). A stall (Stall) and a
// slow answer (AnswerSlowly) then hold that answer back without changing it.
//
// The sink has its own io_context and threads (Options::threads), so tests need no event loop.
// Thread-safety: every method may be called from any thread, concurrently, except that Start,
// Stop and the destructor must not run on the sink's own threads (a hook must not call them).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hookfence/clock.h"
#include "hookfence/record.h"
#include "hookfence/result.h"
#include "src/server/http_types.h"

namespace hookfence::testing {

using SteadyTime = std::chrono::steady_clock::time_point;

// One request as the sink received it.
struct ReceivedRequest {
  std::uint64_t sequence = 0;             // 1, 2, ... in order of arrival, over all connections
  std::uint64_t connection = 0;           // 1, 2, ... one per accepted TCP connection
  std::uint64_t index_on_connection = 0;  // 1 for the first request on its connection
  std::string method;
  std::string target;
  Headers headers;  // as received, in order
  std::string body;
  SteadyTime arrived_at;  // when its body had been read (the real steady clock)
  // The status the sink decided to answer with, or 0 when it closes the connection instead. The
  // answer may still be held by a stall, or never reach a client that gave up. 0 in the request a
  // hook sees: the answer is not decided yet.
  int answer_status = 0;

  // The first header called `name` (case-insensitive), if any.
  std::optional<std::string_view> Header(std::string_view name) const;
};

// What the sink does with one request.
struct SinkReply {
  server::HttpResponse response;      // 200, empty, unless set; `close` ends keep-alive
  bool close_without_answer = false;  // hang up after reading the request, answer nothing
  Duration delay{0};                  // hold the answer this long, on top of AnswerSlowly
};

// Answers `status`, with a Retry-After of `retry_after_seconds` when given.
SinkReply StatusReply(int status, std::optional<int> retry_after_seconds = std::nullopt);
// Closes the connection without answering (the client sees a connection error).
SinkReply CloseReply();

// Decides the reply to one request (`answer_status` is not set yet); nullopt lets the modes
// decide. Runs on a sink thread while the connection waits, so it must be thread-safe and quick,
// and must not call Start or Stop.
using RequestHook = std::function<std::optional<SinkReply>(const ReceivedRequest&)>;

// The recorded requests as an app that honours Idempotency-Key would have applied them: the
// first request of a key that the sink answers 2xx applies the key's effect; every later request
// of that key is a duplicate (a raw redelivery the key absorbs, whatever its answer). A request
// answered otherwise before that applies nothing, as if the app's handler failed and rolled back.
// requests == applied + failed + duplicates + without_key.
struct EffectsView {
  std::size_t requests = 0;     // every recorded request
  std::size_t applied = 0;      // distinct keys whose effect was applied
  std::size_t failed = 0;       // keyed requests not answered 2xx before their key applied
  std::size_t duplicates = 0;   // keyed requests after their key had applied
  std::size_t without_key = 0;  // requests with no such header (an app could not dedupe them)
  std::vector<std::string> applied_keys;              // in the order their effects applied
  std::map<std::string, std::size_t> duplicate_keys;  // key -> its duplicates, only keys with any
};

class TestSink {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    // 0 picks a free port on the first Start; later Starts reuse the port the first one bound,
    // so a destination URL stays valid when a test takes the sink down and brings it back.
    std::uint16_t port = 0;
    int threads = 2;
    std::uint64_t max_body_bytes = 64 * 1024 * 1024;
    // A connection idle this long between requests, or this slow to send one, is closed.
    Duration idle_timeout = std::chrono::seconds(60);
    Duration read_timeout = std::chrono::seconds(30);
    // Called on a sink thread after each request is recorded (with its answer_status), outside
    // the sink's lock; set before Start. For printing or forwarding, not for deciding answers.
    std::function<void(const ReceivedRequest&)> on_record;
  };

  TestSink();
  explicit TestSink(Options options);
  // Stops.
  ~TestSink();
  TestSink(const TestSink&) = delete;
  TestSink& operator=(const TestSink&) = delete;

  // Binds, listens and starts the sink's threads; returns the bound port. kUnavailable when the
  // address cannot be bound, kFailedPrecondition when already running. May be called again after
  // Stop: the log and the modes are kept.
  Result<std::uint16_t> Start();
  // Closes the listener and every connection (stalled and slow answers are never sent), then
  // joins the sink's threads. Idempotent.
  void Stop();
  // The bound port (0 before the first Start) and "http://127.0.0.1:<port>" + `path`.
  std::uint16_t port() const;
  std::string Url(std::string_view path = "/") const;

  // --- Behaviour. Each setting holds until changed or Reset. ---
  // The answer for every request no other mode decides (200 by default).
  void AnswerAll(SinkReply reply);
  // The next `count` requests get `reply`; replaces an earlier AnswerNext.
  void AnswerNext(int count, SinkReply reply);
  // Each request gets `reply` with probability `p`, drawn from a generator seeded with `seed`
  // (the same seed and arrival order give the same answers); p = 0 turns it off.
  void AnswerWithProbability(double p, SinkReply reply, std::uint64_t seed);
  // Holds the answers to requests that arrive from now on until Release, or, with `max_hold`,
  // until that long after each one arrived (whichever comes first).
  void Stall(std::optional<Duration> max_hold = std::nullopt);
  // Ends a stall and sends every held answer now.
  void Release();
  // Holds every answer `delay` before sending it (0 turns it off). Release does not shorten it.
  void AnswerSlowly(Duration delay);
  // Installs (or, with an empty function, removes) the per-request hook.
  void SetHook(RequestHook hook);
  // Back to answering 200 at once to everything: releases a stall, removes the hook.
  void Reset();

  // --- What arrived. Snapshots: copies taken under the sink's lock. ---
  std::size_t count() const;
  std::vector<ReceivedRequest> Requests() const;
  // The requests whose header `name` (case-insensitive) is exactly `value`, in arrival order.
  std::vector<ReceivedRequest> RequestsWithHeader(std::string_view name,
                                                  std::string_view value) const;
  // The effects an app honouring header `key_header` would have applied.
  EffectsView Effects(std::string_view key_header = "Idempotency-Key") const;
  // TCP connections accepted so far.
  std::uint64_t connections() const;
  // Answers held right now by a stall.
  std::size_t held() const;
  // Forgets the recorded requests (counters of sequence and connections go on).
  void Clear();

  // Block until at least `n` requests have been recorded (or, for WaitForHeld, `n` answers are
  // held by a stall) or `deadline` passes; true when the condition holds.
  bool WaitForCount(std::size_t n, SteadyTime deadline) const;
  bool WaitForCount(std::size_t n, Duration timeout) const;
  bool WaitForHeld(std::size_t n, SteadyTime deadline) const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hookfence::testing

#include "src/cli/demo_command.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "hookfence/fingerprint.h"
#include "hookfence/keys.h"
#include "hookfence/store.h"
#include "hookfence/version.h"
#include "src/cli/iso8601.h"
#include "src/cli/record_format.h"

namespace hookfence::cli {
namespace {

constexpr char kDefaultStoreUrl[] = "sqlite://hookfence-demo.db";
constexpr char kSource[] = "demo";
// Long enough to be obviously a lease, short enough that the demo can watch one lapse.
constexpr Duration kShortLease = std::chrono::milliseconds(200);
constexpr Duration kLease = std::chrono::seconds(30);

struct DemoOptions {
  std::string store_url = kDefaultStoreUrl;
};

std::string_view KindName(AcceptOutcome::Kind kind) {
  switch (kind) {
    case AcceptOutcome::Kind::kInserted:
      return "INSERTED";
    case AcceptOutcome::Kind::kQueued:
      return "QUEUED";
    case AcceptOutcome::Kind::kDuplicate:
      return "DUPLICATE";
    case AcceptOutcome::Kind::kMismatch:
      return "MISMATCH";
    case AcceptOutcome::Kind::kFull:
      return "FULL";
  }
  return "?";
}

std::string_view KindName(BeginOutcome::Kind kind) {
  switch (kind) {
    case BeginOutcome::Kind::kAcquired:
      return "ACQUIRED";
    case BeginOutcome::Kind::kInProgress:
      return "IN_PROGRESS";
    case BeginOutcome::Kind::kCompleted:
      return "COMPLETED";
    case BeginOutcome::Kind::kMismatch:
      return "MISMATCH";
    case BeginOutcome::Kind::kDead:
      return "DEAD";
    case BeginOutcome::Kind::kFull:
      return "FULL";
  }
  return "?";
}

// The demo stops at the first answer the library should not have given: a tour that carried on
// past one would teach the wrong thing.
template <typename Kind>
Status Expect(Kind got, Kind want) {
  if (got == want) return Status::Ok();
  return InternalError(fmt::format("demo stopped: expected {}, the store answered {}",
                                   KindName(want), KindName(got)));
}

Payload OrderCreatedEvent(std::string_view event_id, std::string_view amount) {
  return Payload{fmt::format(R"({{"id":"{}","type":"order.created","data":{{"amount":{}}}}})",
                             event_id, amount),
                 {{"content-type", "application/json"}, {"user-agent", "demo-provider/1.0"}}};
}

// Part one: what the async gateway does with a webhook (Accept, then its dispatcher completes).
Status AcceptTour(Store& store, std::string_view event_id, std::ostream& out) {
  HF_ASSIGN_OR_RETURN(const std::string key, MakeKey(kSource, event_id));
  const Payload payload = OrderCreatedEvent(event_id, "4200");

  out << fmt::format("1. A provider delivers event {} -> Accept with a {} s lease\n", key,
                     std::chrono::duration_cast<std::chrono::seconds>(kLease).count());
  HF_ASSIGN_OR_RETURN(AcceptOutcome first,
                      store.Accept({key, Fingerprint(payload.body), payload, kLease, ""}));
  HF_RETURN_IF_ERROR(Expect(first.kind, AcceptOutcome::Kind::kInserted));
  out << fmt::format(
      "   -> {}: stored durably (seq {}) and leased to us with fence {} until {}.\n"
      "      Only now may the gateway answer 2xx: the event can no longer be lost.\n",
      KindName(first.kind), first.seq, first.fence, FormatIso8601(*first.lease_until));

  out << "2. The provider did not see our 2xx and delivers it again -> Accept\n";
  HF_ASSIGN_OR_RETURN(AcceptOutcome again,
                      store.Accept({key, Fingerprint(payload.body), payload, kLease, ""}));
  HF_RETURN_IF_ERROR(Expect(again.kind, AcceptOutcome::Kind::kDuplicate));
  out << fmt::format("   -> {}: same key, same body. Answer 2xx again; nothing runs twice.\n",
                     KindName(again.kind));

  out << "3. Someone reuses the event id with another body -> Accept\n";
  const Payload other = OrderCreatedEvent(event_id, "9999");
  HF_ASSIGN_OR_RETURN(AcceptOutcome mismatch,
                      store.Accept({key, Fingerprint(other.body), other, kLease, ""}));
  HF_RETURN_IF_ERROR(Expect(mismatch.kind, AcceptOutcome::Kind::kMismatch));
  out << fmt::format(
      "   -> {}: same key, other fingerprint (SHA-256 of the body). Refused; the stored\n"
      "      event is untouched. A replay attack or a provider bug, worth an alert.\n",
      KindName(mismatch.kind));

  out << fmt::format("4. Our handler succeeded -> Complete with fence {}\n", first.fence);
  HF_RETURN_IF_ERROR(store.Complete(
      key, first.fence,
      Attempt{Clock::Real()->Now(), first.fence, 200, "", std::chrono::milliseconds(12)},
      std::nullopt));
  HF_ASSIGN_OR_RETURN(Record done, store.Get(key));
  out << fmt::format("   -> OK: state {}, attempts {}.\n\n", StateName(done.state), done.attempts);
  return Status::Ok();
}

// Part two: sync mode, where the caller does the work itself (Begin), and fencing.
Status BeginTour(Store& store, std::string_view job_id, std::ostream& out) {
  HF_ASSIGN_OR_RETURN(const std::string key, MakeKey(kSource, job_id));
  const Payload request{R"({"sku":"tea-42","quantity":1})", {}};
  const BeginRequest begin{key, Fingerprint(request.body), kShortLease, request};

  out << fmt::format("5. Worker A takes request {} -> Begin with a {} ms lease\n", key,
                     std::chrono::duration_cast<std::chrono::milliseconds>(kShortLease).count());
  HF_ASSIGN_OR_RETURN(BeginOutcome a, store.Begin(begin));
  HF_RETURN_IF_ERROR(Expect(a.kind, BeginOutcome::Kind::kAcquired));
  out << fmt::format("   -> {}: worker A owns it with fence {}.\n", KindName(a.kind), a.fence);

  out << "   Worker A stalls (a GC pause, a slow disk) and its lease lapses...\n";
  std::this_thread::sleep_for(kShortLease + std::chrono::milliseconds(50));

  out << "6. The client retries; worker B -> Begin on the same key\n";
  HF_ASSIGN_OR_RETURN(BeginOutcome b, store.Begin(begin));
  HF_RETURN_IF_ERROR(Expect(b.kind, BeginOutcome::Kind::kAcquired));
  out << fmt::format("   -> {}: the lapsed lease is taken over; worker B now holds fence {}.\n",
                     KindName(b.kind), b.fence);

  out << fmt::format("7. Worker A wakes up and tries to Complete with its stale fence {}\n",
                     a.fence);
  const Status stale = store.Complete(
      key, a.fence, Attempt{Clock::Real()->Now(), a.fence, 201, "", std::chrono::seconds(1)},
      Response{201, {}, R"({"order":"from worker A"})"});
  if (stale.code() != StatusCode::kAborted) {
    return InternalError("demo stopped: a stale fence was not refused: " + stale.ToString());
  }
  out << fmt::format(
      "   -> refused with {} (\"{}\").\n"
      "      A worker that lost its lease can never overwrite the new owner's result.\n",
      StatusCodeName(stale.code()), stale.message());

  const Response response{201, {{"content-type", "application/json"}}, R"({"order":"accepted"})"};
  out << fmt::format("8. Worker B finishes -> Complete with fence {} and stores its response\n",
                     b.fence);
  HF_RETURN_IF_ERROR(store.Complete(
      key, b.fence, Attempt{Clock::Real()->Now(), b.fence, 201, "", std::chrono::milliseconds(30)},
      response));
  out << "   -> OK: completed; the response is kept for replay.\n";

  out << "9. The client retries once more -> Begin\n";
  HF_ASSIGN_OR_RETURN(BeginOutcome replay, store.Begin(begin));
  HF_RETURN_IF_ERROR(Expect(replay.kind, BeginOutcome::Kind::kCompleted));
  if (!replay.response) return InternalError("demo stopped: no stored response to replay");
  out << fmt::format("   -> {}: no work is done; the stored answer is replayed: {} {}\n\n",
                     KindName(replay.kind), replay.response->status, replay.response->body);
  return Status::Ok();
}

Status RunDemo(const DemoOptions& options, std::ostream& out) {
  StoreOptions store_options;
  // One process, one clock: there is no skew between gateways to allow for, and leaving the
  // default 1 s would make step 6 wait for it.
  store_options.max_clock_skew = Duration::zero();
  HF_ASSIGN_OR_RETURN(auto store, OpenStore(options.store_url, store_options));

  // Ids that embed the start time are new on every run, so the demo can run again on one file.
  const Timestamp started = Clock::Real()->Now();
  const std::string stamp = std::to_string(ToMicros(started));
  out << fmt::format("hookfence {} demo on {}\n\n", Version(), options.store_url);
  HF_RETURN_IF_ERROR(AcceptTour(*store, "evt_" + stamp, out));
  HF_RETURN_IF_ERROR(BeginTour(*store, "req_" + stamp, out));

  ListFilter filter;
  filter.source = kSource;
  filter.since = started;
  HF_ASSIGN_OR_RETURN(ListPage page, store->List(filter));
  out << "The records this run left behind:\n\n" << FormatRecordTable(page.records) << '\n';
  out << fmt::format(
      "Look closer:\n"
      "  hookfence store list --store {0} --source {1}\n"
      "  hookfence store get --store {0} {1}:req_{2}\n",
      options.store_url, kSource, stamp);
  return Status::Ok();
}

}  // namespace

void AddDemoCommand(CLI::App& app, Command* command) {
  auto options = std::make_shared<DemoOptions>();
  CLI::App* sub = app.add_subcommand("demo", "a guided tour of the store API (start here)");
  sub->add_option("--store", options->store_url, "store URL: memory:// or sqlite://PATH")
      ->capture_default_str();
  sub->callback([options, command] {
    *command = [options](std::ostream& out) { return RunDemo(*options, out); };
  });
}

}  // namespace hookfence::cli

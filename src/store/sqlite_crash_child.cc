// Child process of SqliteDurabilityTest: hammers an SQLite store from 8 threads and reports each
// call the store acknowledged on stdout, one line per call, until it is SIGKILLed:
//   A <key> <fence>   Accept answered Inserted (leased, dispatcher-driven)
//   Q <key> 0         Accept answered Queued
//   B <key> <fence>   Begin answered Acquired (caller-driven)
//   C <key> <fence>   ClaimDue handed out this record with this fence
//   F <key> <fence>   Complete succeeded
// A line is written only after the call returned (or, for AcceptAsync, its callback ran), so every
// line names a durable fact.
#include <unistd.h>

#include <cstdio>
#include <semaphore>
#include <string>
#include <thread>
#include <vector>

#include "hookfence/fingerprint.h"
#include "src/store/sqlite_store.h"

namespace {

using namespace std::chrono_literals;
using hookfence::AcceptOutcome;
using hookfence::BeginOutcome;

void Report(char what, const std::string& key, std::uint64_t fence) {
  std::string line = std::string(1, what) + " " + key + " " + std::to_string(fence) + "\n";
  // One write per line: lines up to PIPE_BUF bytes never interleave.
  if (write(STDOUT_FILENO, line.data(), line.size()) < 0) _exit(3);
}

hookfence::AcceptRequest Accept(const std::string& key, bool leased) {
  hookfence::AcceptRequest r;
  r.key = key;
  r.payload.body = "{\"id\":\"" + key + "\",\"data\":\"" + std::string(1000, 'x') + "\"}";
  r.fingerprint = hookfence::Fingerprint(r.payload.body);
  if (leased) r.lease = 1h;
  return r;
}

// AcceptAsync with up to 64 calls in flight, each reported from its callback (thread 3).
[[noreturn]] void AcceptAsyncForever(hookfence::Store& store) {
  std::counting_semaphore<64> in_flight(64);
  for (long i = 0;; ++i) {
    in_flight.acquire();
    const std::string key = "crash:async-" + std::to_string(i);
    store.AcceptAsync(Accept(key, i % 2 == 0),
                      [key, &in_flight](hookfence::Result<AcceptOutcome> r, hookfence::Payload) {
                        if (r.ok() && r->kind == AcceptOutcome::Kind::kInserted) {
                          Report('A', key, r->fence);
                        }
                        if (r.ok() && r->kind == AcceptOutcome::Kind::kQueued) Report('Q', key, 0);
                        in_flight.release();
                      });
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DB_PATH\n", argv[0]);
    return 2;
  }
  auto opened = hookfence::store::OpenSqliteStore(argv[1], {});
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.status().ToString().c_str());
    return 1;
  }
  hookfence::Store& store = **opened;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&store, t] {
      for (long i = 0;; ++i) {
        const std::string key = "crash:t" + std::to_string(t) + "-" + std::to_string(i);
        if (t == 3) AcceptAsyncForever(store);
        if (t < 3) {  // accept, leased or queued
          auto r = store.Accept(Accept(key, i % 2 == 0));
          if (r.ok() && r->kind == AcceptOutcome::Kind::kInserted) Report('A', key, r->fence);
          if (r.ok() && r->kind == AcceptOutcome::Kind::kQueued) Report('Q', key, 0);
        } else if (t < 6) {  // begin (caller-driven), completing every other one
          hookfence::BeginRequest b;
          b.key = key;
          b.payload.body = "{}";
          b.fingerprint = hookfence::Fingerprint(b.payload.body);
          b.lease = 1h;
          auto r = store.Begin(b);
          if (r.ok() && r->kind == BeginOutcome::Kind::kAcquired) {
            Report('B', key, r->fence);
            if (i % 2 == 0 && store.Complete(key, r->fence, {}, std::nullopt).ok()) {
              Report('F', key, r->fence);
            }
          }
        } else {  // claim queued records
          auto claims = store.ClaimDue(8, 1h);
          if (claims.ok()) {
            for (const auto& c : *claims) Report('C', c.record.key, c.record.fence);
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
}

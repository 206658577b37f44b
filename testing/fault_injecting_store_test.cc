#include "testing/fault_injecting_store.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "hookfence/fingerprint.h"
#include "src/store/memory_store.h"

namespace hookfence::testing {
namespace {

using namespace std::chrono_literals;

AcceptRequest Request(const std::string& key) {
  AcceptRequest r;
  r.key = key;
  r.payload.body = "{}";
  r.fingerprint = Fingerprint("{}");
  return r;
}

TEST(FaultInjectingStoreTest, PassesThroughFailsAndStallsOnDemand) {
  auto real = store::NewMemoryStore({});
  FaultInjectingStore faulty(real.get());
  EXPECT_TRUE(faulty.Accept(Request("s:a")).ok());

  faulty.SetDown(true);
  EXPECT_EQ(faulty.Accept(Request("s:b")).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(faulty.Get("s:a").status().code(), StatusCode::kUnavailable);
  faulty.SetDown(false);
  EXPECT_EQ(real->Get("s:b").status().code(), StatusCode::kNotFound);  // never reached

  faulty.FailNext(1, ResourceExhaustedError("injected"));
  EXPECT_EQ(faulty.Accept(Request("s:c")).status().code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(faulty.Accept(Request("s:c")).ok());

  faulty.Stall();
  auto stalled = std::async(std::launch::async, [&] { return faulty.Get("s:a"); });
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (faulty.stalled() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_EQ(faulty.stalled(), 1);
  EXPECT_EQ(stalled.wait_for(0s), std::future_status::timeout);
  faulty.Resume();
  EXPECT_TRUE(stalled.get().ok());
}

}  // namespace
}  // namespace hookfence::testing

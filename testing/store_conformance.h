// The store conformance suite: one set of tests that every backend must pass (DESIGN §2–3).
//
// A backend plugs in with one line in its test file:
//   HOOKFENCE_STORE_CONFORMANCE(Sqlite, SqliteFactory());
// The suite opens a fresh, empty store for every test through the factory, with a
// SimulatedClock in the options, so no test sleeps.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "hookfence/store.h"

namespace hookfence::testing {

struct StoreFactory {
  std::string name;
  // Opens a new, empty store with `options`. `scratch_dir` is a fresh directory the store may
  // keep files in; it is removed after the test (after the store is destroyed).
  std::function<Result<std::unique_ptr<Store>>(const StoreOptions& options,
                                               const std::string& scratch_dir)>
      open;
  // True for backends that group-commit and honour StoreOptions::before_commit_for_testing.
  bool batched = false;
  // Shared backends: the test server the store lives on ("POSTGRES", "REDIS", "MYSQL"; see
  // test_servers.h). Without its URL every test of the backend skips (or fails in CI). `open`
  // gets the URL in place of `scratch_dir`.
  std::string server;
};

class StoreConformanceTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override;
};

// Names the backend in test output.
inline void PrintTo(const StoreFactory& factory, std::ostream* os) { *os << factory.name; }

}  // namespace hookfence::testing

// Must be used outside any namespace-qualified name: gtest pastes the suite name into identifiers.
#define HOOKFENCE_STORE_CONFORMANCE(instance, factory)                                 \
  using ::hookfence::testing::StoreConformanceTest;                                    \
  INSTANTIATE_TEST_SUITE_P(instance, StoreConformanceTest, ::testing::Values(factory), \
                           [](const auto& param_info) { return param_info.param.name; })

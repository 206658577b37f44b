// The throw-away database servers of the shared-store tests (scripts/test-servers.sh starts them
// and exports their URLs), and a fresh, empty namespace on one of them for each test.
//
// Without the URL a test skips, unless HOOKFENCE_REQUIRE_TEST_SERVERS is set (scripts/test.sh
// and CI set it): then the test fails, so CI can never pass by skipping the shared stores.
// Thread-safety: pure functions of the environment.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "hookfence/result.h"

namespace hookfence::testing {

// HOOKFENCE_TEST_<backend>_URL ("POSTGRES", "REDIS", "MYSQL"), or nullopt when unset.
std::optional<std::string> TestServerUrl(std::string_view backend);

// True when a missing test server is a failure rather than a reason to skip.
bool TestServersRequired();

// A name no other test (in this or another process) uses, for a schema, database or key prefix:
// "hf_" + 16 random lowercase hex digits.
std::string UniqueNamespace();

// `server_url` (a test server's URL, `backend` as above) narrowed to a fresh, empty namespace of
// its own: a new schema (postgres), key prefix (redis) or database, created now (mysql).
Result<std::string> FreshStoreUrl(std::string_view backend, const std::string& server_url);

}  // namespace hookfence::testing

// In a test body (or SetUp): binds `var` to the server URL of `backend`, or skips the test (fails
// it when the servers are required).
#define HOOKFENCE_TEST_SERVER_URL(var, backend)                                                \
  std::string var;                                                                             \
  if (auto hookfence_url = ::hookfence::testing::TestServerUrl(backend); hookfence_url) {      \
    var = *hookfence_url;                                                                      \
  } else if (::hookfence::testing::TestServersRequired()) {                                    \
    FAIL() << "HOOKFENCE_TEST_" << (backend) << "_URL is not set; run scripts/test.sh, which " \
           << "starts the test servers";                                                       \
  } else {                                                                                     \
    GTEST_SKIP() << "HOOKFENCE_TEST_" << (backend) << "_URL is not set (scripts/test.sh "      \
                 << "starts the test servers)";                                                \
  }

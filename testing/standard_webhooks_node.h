// Checks signed requests with the official Standard Webhooks package (`standardwebhooks` on npm),
// run by tests/node/verify_standard_webhooks.mjs under Node.js. scripts/test.sh installs Node.js
// and the package; when either is missing the calling test fails, saying how to fix it.
//
// Thread-safety: one call per ScratchDir at a time (the input and output files live there).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hookfence/record.h"
#include "testing/scratch_dir.h"

namespace hookfence::testing {

// One request as the app receives it: its headers (names passed to the script as given) and body.
struct SignedRequest {
  Headers headers;
  std::string body;
};

struct NodeRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// {"secret": ..., "requests": [{"headers": {...}, "body": ...}, ...]}, the verifier script's input.
std::string StandardWebhooksRequestsJson(std::string_view secret,
                                         const std::vector<SignedRequest>& requests);

// Runs `node_dir`/verify_standard_webhooks.mjs on `requests` signed with `secret`, its input and
// output files in `dir`. Fails the calling test (ADD_FAILURE) when Node.js or the package under
// `node_dir`/node_modules is missing: scripts/test.sh guarantees both, so their absence is a
// broken setup, not a skip. exit_code stays -1 when node did not run or exit normally.
NodeRun VerifyWithStandardWebhooksPackage(const std::string& node_dir, std::string_view secret,
                                          const std::vector<SignedRequest>& requests,
                                          const ScratchDir& dir);

}  // namespace hookfence::testing

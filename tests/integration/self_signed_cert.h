// A self-signed certificate for TLS tests, made with the openssl command line: valid for a day,
// for the names "localhost" and 127.0.0.1.
#pragma once

#include <string>

#include "hookfence/result.h"
#include "testing/scratch_dir.h"

namespace hookfence::testing {

struct SelfSignedCert {
  std::string cert_file;  // PEM certificate; also the CA file that trusts it
  std::string key_file;   // PEM private key
};

// Writes cert.pem and key.pem into `dir`. kInternal with openssl's output when it fails.
Result<SelfSignedCert> MakeSelfSignedCert(const ScratchDir& dir);

}  // namespace hookfence::testing

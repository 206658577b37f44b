#include "tests/integration/self_signed_cert.h"

#include "tests/integration/serve_process.h"

namespace hookfence::testing {

Result<SelfSignedCert> MakeSelfSignedCert(const ScratchDir& dir) {
  SelfSignedCert cert{dir.File("cert.pem"), dir.File("key.pem")};
  std::string output;
  const int code =
      RunCommand({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                  cert.key_file, "-out", cert.cert_file, "-days", "1", "-subj", "/CN=localhost",
                  "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"},
                 &output);
  if (code != 0) {
    return InternalError("openssl req exited with " + std::to_string(code) + ": " + output);
  }
  return cert;
}

}  // namespace hookfence::testing

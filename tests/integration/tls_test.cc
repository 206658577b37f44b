// The gateway over TLS, with a certificate the test generates.
#include <cstdlib>

#include "tests/integration/gateway_fixture.h"
#include "tests/integration/self_signed_cert.h"

namespace hookfence::testing {
namespace {

class TlsTest : public GatewayFixture {};

TEST_F(TlsTest, ServesWebhooksOverTls) {
  auto made = MakeSelfSignedCert(dir_);
  ASSERT_TRUE(made.ok()) << made.status();
  const std::string cert = made->cert_file;
  const std::string key = made->key_file;
  server::Config config = DefaultConfig();
  config.server.tls.cert_file = cert;
  config.server.tls.key_file = key;
  StartGateway(config);

  const std::string body = R"({"id":"tls1"})";
  auto provider = MakeProvider(config.sources[0].provider);
  server::Url url{true, "localhost", std::to_string(gateway_->port()), "/webhooks/hooks"};
  server::ClientOptions verified;
  verified.ca_file = cert;
  auto response = server::SendRequest("POST", url, (*provider)->Sign(body, clock_.Now(), "tls1"),
                                      body, verified);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200) << response->body;
  EXPECT_TRUE(store_->Get("hooks:tls1").ok());

  // Without trusting the certificate, the client refuses the connection.
  auto untrusted = server::SendRequest(
      "GET", server::Url{true, "localhost", std::to_string(gateway_->port()), "/healthz"}, {}, "");
  EXPECT_FALSE(untrusted.ok());
  // Plain HTTP to the TLS port gets nothing served.
  auto plain = server::SendRequest(
      "GET", server::Url{false, "127.0.0.1", std::to_string(gateway_->port()), "/healthz"}, {}, "");
  EXPECT_TRUE(!plain.ok() || plain->status != 200);
}

}  // namespace
}  // namespace hookfence::testing

// A gateway running in the test process on port 0, with an SQLite store in a scratch directory,
// plus helpers that sign and post webhooks to it over real sockets.
#pragma once

#include <gtest/gtest.h>
#include <spdlog/logger.h>

#include <memory>
#include <string>

#include "hookfence/providers.h"
#include "hookfence/store.h"
#include "src/server/config.h"
#include "src/server/gateway.h"
#include "src/server/http_client.h"
#include "testing/fault_injecting_store.h"
#include "testing/scratch_dir.h"
#include "testing/simulated_clock.h"

namespace hookfence::testing {

inline constexpr char kSecret[] = "test-secret-0123456789";
inline constexpr char kAdminToken[] = "admin-token-abcdef";

// A generic-HMAC source: signature in X-Signature (hex), id in X-Webhook-Id.
server::SourceConfig HmacSource(const std::string& name, const std::string& secret = kSecret);

class GatewayFixture : public ::testing::Test {
 protected:
  // Starts the gateway with `config` (listen port forced to 0, store in the scratch dir unless
  // the config names one). The store is wrapped in `faults_`.
  void StartGateway(server::Config config);
  // A config with one hmac source "hooks" and the admin token set.
  server::Config DefaultConfig() const;

  // Signs `body` with the source's provider (as the provider would) and posts it.
  server::HttpResponse PostSigned(const server::SourceConfig& source, const std::string& body,
                                  const std::string& event_id, const Headers& extra = {});
  // Posts exactly these headers and body.
  server::HttpResponse Post(const std::string& target, const Headers& headers,
                            const std::string& body);
  server::HttpResponse Get(const std::string& target, const Headers& headers = {});
  server::Url UrlFor(const std::string& target) const;

  ScratchDir dir_;
  SimulatedClock clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<FaultInjectingStore> faults_;
  std::unique_ptr<server::Gateway> gateway_;
  server::Config config_;
  // Where the gateway logs, when set before StartGateway (default: stderr at the config's level).
  std::shared_ptr<spdlog::logger> log_;
};

// Reads what a raw connection answers until the peer closes or `deadline_ms` passes; *closed
// tells which.
std::string ReadUntilClosed(int fd, int deadline_ms, bool* closed = nullptr);
// A connected TCP socket to 127.0.0.1:port (-1 on failure).
int ConnectTo(std::uint16_t port);
// Writes all of `data` to `fd`.
bool WriteAll(int fd, std::string_view data);

}  // namespace hookfence::testing

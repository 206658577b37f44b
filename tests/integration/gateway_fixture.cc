#include "tests/integration/gateway_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

namespace hookfence::testing {

server::SourceConfig HmacSource(const std::string& name, const std::string& secret) {
  server::SourceConfig source;
  source.name = name;
  source.provider.provider = "hmac";
  source.provider.secrets = {secret};
  source.destination = "http://127.0.0.1:9/unused";
  return source;
}

server::Config GatewayFixture::DefaultConfig() const {
  server::Config config;
  config.server.admin_token = kAdminToken;
  config.server.threads = 2;
  config.server.log_level = "warn";
  config.sources.push_back(HmacSource("hooks"));
  return config;
}

void GatewayFixture::StartGateway(server::Config config) {
  config.server.listen_host = "127.0.0.1";
  config.server.listen_port = 0;
  config_ = config;
  StoreOptions options = server::ToStoreOptions(config.store);
  options.clock = &clock_;
  auto store = OpenStore("sqlite://" + dir_.File("gateway.db"), options);
  ASSERT_TRUE(store.ok()) << store.status();
  store_ = std::move(*store);
  faults_ = std::make_unique<FaultInjectingStore>(store_.get());
  server::GatewayOptions gateway_options;
  gateway_options.clock = &clock_;
  gateway_options.store = faults_.get();
  gateway_options.log = log_;
  auto gateway = server::Gateway::Create(config, gateway_options);
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  gateway_ = std::move(*gateway);
  ASSERT_TRUE(gateway_->Start().ok());
}

server::Url GatewayFixture::UrlFor(const std::string& target) const {
  server::Url url;
  url.tls = config_.server.tls.enabled();
  url.host = "127.0.0.1";
  url.port = std::to_string(gateway_->port());
  url.target = target;
  return url;
}

server::HttpResponse GatewayFixture::Post(const std::string& target, const Headers& headers,
                                          const std::string& body) {
  auto response = server::SendRequest("POST", UrlFor(target), headers, body);
  EXPECT_TRUE(response.ok()) << response.status();
  return response.ok() ? *response : server::HttpResponse{0, {}, "", false, nullptr};
}

server::HttpResponse GatewayFixture::Get(const std::string& target, const Headers& headers) {
  auto response = server::SendRequest("GET", UrlFor(target), headers, "");
  EXPECT_TRUE(response.ok()) << response.status();
  return response.ok() ? *response : server::HttpResponse{0, {}, "", false, nullptr};
}

server::HttpResponse GatewayFixture::PostSigned(const server::SourceConfig& source,
                                                const std::string& body,
                                                const std::string& event_id, const Headers& extra) {
  auto provider = MakeProvider(source.provider);
  EXPECT_TRUE(provider.ok()) << provider.status();
  Headers headers = (*provider)->Sign(body, clock_.Now(), event_id);
  headers.insert(headers.end(), extra.begin(), extra.end());
  return Post("/webhooks/" + source.name, headers, body);
}

int ConnectTo(std::uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::string ReadUntilClosed(int fd, int deadline_ms, bool* closed) {
  std::string out;
  if (closed != nullptr) *closed = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(deadline_ms);
  char buffer[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) {
      if (closed != nullptr) *closed = true;
      break;
    }
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace hookfence::testing

// The blocking HTTP client used by `hookfence send`: its timeout bounds a server that accepts a
// connection and never answers.
#include "src/server/http_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace hookfence::server {
namespace {

TEST(HttpClientTest, TimeoutBoundsAServerThatNeverAnswers) {
  // A listening socket nobody accepts on: connect succeeds (the kernel's backlog), no answer.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(listen(fd, 8), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  Url url{false, "127.0.0.1", std::to_string(ntohs(address.sin_port)), "/"};
  ClientOptions options;
  options.timeout = std::chrono::milliseconds(200);
  auto response = SendRequest("POST", url, {}, "{}", options);
  close(fd);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(response.status().message().find("timed out"), std::string::npos) << response.status();
}

TEST(HttpClientTest, ParsesUrls) {
  auto url = ParseUrl("https://[::1]:8443/webhooks/x?y=1");
  ASSERT_TRUE(url.ok());
  EXPECT_TRUE(url->tls);
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, "8443");
  EXPECT_EQ(url->target, "/webhooks/x?y=1");
  EXPECT_EQ(ParseUrl("http://example.com")->port, "80");
  EXPECT_FALSE(ParseUrl("ftp://x").ok());
  EXPECT_FALSE(ParseUrl("http://").ok());
}

}  // namespace
}  // namespace hookfence::server

// One HTTP/1.1 connection: keep-alive, an idle timeout between requests, a read timeout for each
// whole request (slowloris is cut off), header and body limits (431 / 413 without reading the
// body), a refusal of conflicting Content-Length and Transfer-Encoding (400, connection closed).
//
// Thread-safety: a session runs on its own strand.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "src/server/gateway_core.h"

namespace hookfence::server {

// Limits and timeouts of every connection, plus the hooks the gateway needs for shutdown.
struct SessionLimits {
  std::uint64_t max_body_bytes = 1048576;
  std::uint64_t max_header_bytes = 16384;
  Duration read_timeout = std::chrono::seconds(10);
  Duration idle_timeout = std::chrono::seconds(60);
};

// Tracks live sessions so shutdown can close idle ones and wait for the rest.
class SessionRegistry {
 public:
  // Returns an id; `cancel` is posted (by the caller's choice of executor) to close the session.
  std::uint64_t Add(std::function<void()> cancel);
  void Remove(std::uint64_t id);
  // Stops new requests on every session and cancels their pending reads.
  void CancelAll();
  bool stopping() const { return stopping_.load(); }
  // Blocks until no session is left or `timeout` passes; true when none is left.
  bool WaitEmpty(Duration timeout);
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::uint64_t, std::function<void()>> sessions_;
  std::uint64_t next_id_ = 1;
  std::atomic<bool> stopping_{false};
};

// Serves one accepted connection until it closes. `tls` is null for plain HTTP.
boost::asio::awaitable<void> ServeConnection(boost::beast::tcp_stream stream,
                                             std::shared_ptr<boost::asio::ssl::context> tls,
                                             std::shared_ptr<GatewayCore> core,
                                             SessionLimits limits,
                                             std::shared_ptr<SessionRegistry> registry);

}  // namespace hookfence::server

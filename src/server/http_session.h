// One HTTP/1.1 connection: keep-alive, an idle timeout between requests, a read timeout for each
// whole request (slowloris is cut off), header and body limits (431 / 413 without reading the
// body), a refusal of conflicting Content-Length and Transfer-Encoding (400, connection closed).
//
// Thread-safety: a session runs on its own strand.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "src/server/gateway_core.h"
#include "src/server/loop_lag.h"

namespace hookfence::server {

// Limits and timeouts of every connection, plus the hooks the gateway needs for shutdown.
struct SessionLimits {
  std::uint64_t max_body_bytes = 1048576;
  std::uint64_t max_header_bytes = 16384;
  Duration read_timeout = std::chrono::seconds(10);
  Duration idle_timeout = std::chrono::seconds(60);
};

// Tracks live sessions so shutdown can close idle ones and wait for the rest.
class SessionRegistry : public std::enable_shared_from_this<SessionRegistry> {
 public:
  // Registers a session's socket; `idle` is true while the session waits for the first byte of
  // its next request. The socket must stay valid until Remove(id), called on the same strand.
  std::uint64_t Add(boost::asio::any_io_executor strand, boost::asio::ip::tcp::socket* socket,
                    std::shared_ptr<std::atomic<bool>> idle);
  void Remove(std::uint64_t id);
  // Stops new requests on every session and cancels the reads of the idle ones (on their strands,
  // and only if they are still registered then); a request being read or handled finishes and is
  // answered with Connection: close.
  void CancelAll();
  bool stopping() const { return stopping_.load(); }
  // Blocks until no session is left or `timeout` passes; true when none is left.
  bool WaitEmpty(Duration timeout);
  std::size_t size() const;

 private:
  struct Entry {
    boost::asio::any_io_executor strand;
    boost::asio::ip::tcp::socket* socket;
    std::shared_ptr<std::atomic<bool>> idle;
  };
  void CancelIfIdle(std::uint64_t id);

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::uint64_t, Entry> sessions_;
  std::uint64_t next_id_ = 1;
  std::atomic<bool> stopping_{false};
};

// Serves one accepted connection until it closes. `tls` is null for plain HTTP. `lag` measures
// the loop the connection runs on; each request is marked when that loop is saturated.
boost::asio::awaitable<void> ServeConnection(boost::beast::tcp_stream stream,
                                             std::shared_ptr<boost::asio::ssl::context> tls,
                                             std::shared_ptr<GatewayCore> core,
                                             SessionLimits limits,
                                             std::shared_ptr<SessionRegistry> registry,
                                             std::shared_ptr<LoopLag> lag);

}  // namespace hookfence::server

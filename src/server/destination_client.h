// DestinationClient: the gateway's HTTP/1.1 client to one destination (the app behind it). It
// POSTs deliveries over a pool of keep-alive connections, plain or TLS, with a deadline on
// connecting and another on each exchange, and reports every outcome as a value: an answer
// (whatever its status), a timeout or a connection error, which the caller classifies.
//
// Executors: each new connection gets its own strand, made on the executor of the coroutine whose
// Post opened it, and every operation on that connection runs in a coroutine spawned on that
// strand (Post hops there and back with co_spawn). A pooled connection may therefore be used by a
// Post running on any executor, at most one exchange at a time, as long as the execution context
// it was made on keeps running; destroy the client (or CloseIdle) before that context.
//
// Thread-safety: Post, CloseIdle and idle_connections may be called concurrently from any thread;
// the pool is guarded by a mutex. Each Post keeps the client's state alive until it completes.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "hookfence/clock.h"
#include "hookfence/record.h"
#include "hookfence/result.h"

namespace hookfence::server {

struct DestinationOptions {
  std::string url;  // http:// or https://; its path and query are the target of every POST
  // Bounds resolving, connecting and the TLS handshake of a new connection together. Name
  // resolution cannot be interrupted; when it alone outlasts this, the exchange is a timeout.
  Duration connect_timeout = std::chrono::seconds(5);
  // From the start of sending the request to the whole response read.
  Duration response_timeout = std::chrono::seconds(30);
  bool verify_tls = true;  // verify the certificate chain and that it names the URL's host
  std::string ca_file;     // PEM bundle of trusted certificates; empty: the system's default paths
  // A longer body is cut there and `truncated` set; the status still counts. Such a connection
  // is closed rather than read to its end.
  std::uint64_t max_response_bytes = 65536;
  std::size_t max_idle_connections = 64;  // keep-alive pool size; 0 closes every connection
};

// The outcome of one Post.
struct DestinationAnswer {
  enum class Kind { kResponse, kTimeout, kConnectionError };
  Kind kind = Kind::kConnectionError;
  int status = 0;          // kResponse
  Headers headers;         // kResponse, as received, in order
  std::string body;        // kResponse, at most max_response_bytes
  bool truncated = false;  // kResponse: the body went on past max_response_bytes
  // kTimeout / kConnectionError: what happened, e.g. "connect to 127.0.0.1:9: Connection refused".
  std::string error;
  Duration latency{0};             // steady-clock time of the whole Post, a retry included
  bool reused_connection = false;  // the answer came over a pooled keep-alive connection
};

class DestinationClient {
 public:
  // Validates the URL and builds the TLS context. kInvalidArgument for a malformed URL (scheme,
  // host or port) or, when verify_tls is on, a ca_file that cannot be read (also for an http://
  // URL: it is a configuration error all the same).
  static Result<std::shared_ptr<DestinationClient>> Create(DestinationOptions options);
  // Closes the idle connections; Posts still running keep what they need and finish normally.
  ~DestinationClient();
  DestinationClient(const DestinationClient&) = delete;
  DestinationClient& operator=(const DestinationClient&) = delete;

  // POSTs `body` with `headers` to the URL's target. The client sets Host, Content-Length and
  // User-Agent (hookfence/<version>); those, Transfer-Encoding and Connection among `headers` are
  // dropped. Takes an idle pooled connection when there is one, else opens a new one. When a
  // pooled connection fails before any byte of the response arrived (eof, reset or broken pipe:
  // the server closed it while it sat idle), the request is sent once more on a new connection;
  // a new connection's failure is never retried, so a request can reach a server twice only when
  // the server hung up on it without answering (deliveries carry an Idempotency-Key for that).
  // The connection goes back to the pool when the response was read whole and allows keep-alive.
  // Never throws: every failure is a DestinationAnswer.
  boost::asio::awaitable<DestinationAnswer> Post(Headers headers, std::string body);

  // Closes the idle connections (shutdown). Connections busy in a Post return to the pool after.
  void CloseIdle();
  // Connections in the pool right now.
  std::size_t idle_connections() const;

 private:
  class Impl;

  explicit DestinationClient(std::shared_ptr<Impl> impl);

  std::shared_ptr<Impl> impl_;
};

}  // namespace hookfence::server

// CuttingProxy: a TCP proxy on 127.0.0.1 between a store and its database server, which a test
// uses to break connections at chosen moments (the server "goes away" mid-batch) or to refuse
// them (the server is down), without touching the server itself.
// Thread-safety: every method may be called from any thread while the proxy runs.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "hookfence/result.h"

namespace hookfence::testing {

class CuttingProxy {
 public:
  // Listens on 127.0.0.1 (a free port) and forwards each connection to target_host:target_port.
  static Result<std::unique_ptr<CuttingProxy>> Start(const std::string& target_host,
                                                     int target_port);
  virtual ~CuttingProxy() = default;

  virtual int port() const = 0;

  // Closes every open connection now, both sides, with a reset.
  virtual void CutAll() = 0;

  // While true, new connections are accepted and closed at once, and open ones are cut: the
  // server looks down. False again: connections are forwarded as before.
  virtual void SetDown(bool down) = 0;

  // Cuts each open connection once it has forwarded `bytes` more bytes from client to server
  // (e.g. in the middle of a pipelined batch); applies once, to the connections open now.
  virtual void CutAfterClientBytes(std::size_t bytes) = 0;

  // Connections accepted so far (to show that a client reconnected).
  virtual std::size_t connections_accepted() const = 0;

  // Connections cut so far by CutAll, SetDown or CutAfterClientBytes (not those the client or
  // the server closed themselves).
  virtual std::size_t cuts() const = 0;
};

// "host:port" of a postgres://, redis:// or mysql:// URL rewritten to 127.0.0.1:`port`.
std::string UrlThroughProxy(const std::string& url, int port);

}  // namespace hookfence::testing

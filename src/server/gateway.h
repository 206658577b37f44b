// The gateway server: `hookfence serve`. Listens for webhooks, verifies, deduplicates and stores
// them durably before answering (DESIGN §5), and serves the admin API, /healthz, /readyz and
// /metrics.
//
// Lifecycle: Create → Start (binds; port() is known) → ... → Shutdown (stop accepting, finish
// requests in flight, flush the store). SIGTERM/SIGINT call Shutdown; SIGHUP reloads sources and
// secrets from the config file without dropping connections (an invalid file is logged and the
// old configuration stays).
// Thread-safety: Reload and Shutdown may be called from any thread.
#pragma once

#include <spdlog/logger.h>

#include <cstdint>
#include <memory>
#include <string>

#include "hookfence/clock.h"
#include "hookfence/result.h"
#include "hookfence/store.h"
#include "src/server/config.h"

namespace hookfence::server {

struct GatewayOptions {
  Clock* clock = Clock::Real();  // not owned
  // Use this store instead of opening [store] url (tests wrap one in a FaultInjectingStore).
  // Not owned; must outlive the gateway.
  Store* store = nullptr;
  // The file SIGHUP re-reads; empty: SIGHUP is ignored.
  std::string config_path;
  // Install SIGTERM/SIGINT/SIGHUP handlers (the serve command does; in-process tests do not).
  bool handle_signals = false;
  // Where log lines go; default: stderr at the configured level.
  std::shared_ptr<spdlog::logger> log;
};

class Gateway {
 public:
  // Validates the configuration, opens the store (refusing memory:// unless volatile) and builds
  // the sources. Nothing listens yet.
  static Result<std::unique_ptr<Gateway>> Create(const Config& config, GatewayOptions options);
  ~Gateway();

  // Binds the listener and starts the I/O threads.
  Status Start();
  // The bound port (useful with listen port 0).
  std::uint16_t port() const;
  // Replaces sources and admin token; on error nothing changes.
  Status Reload(const Config& config);
  // Re-reads options.config_path and reloads it; errors are logged and returned.
  Status ReloadFromFile();
  // Stops accepting, lets requests in flight finish, closes idle connections, flushes the store.
  // Idempotent.
  void Shutdown();
  // Blocks until Shutdown has completed (e.g. after SIGTERM).
  void Wait();

  class Impl;

 private:
  explicit Gateway(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Raises this process's open-file limit to its hard maximum (thousands of connections).
void RaiseFileLimit();

}  // namespace hookfence::server

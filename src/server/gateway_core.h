// What every request handler shares: the store runner, the sources and admin token (swapped as
// a whole on SIGHUP), metrics, the clock and the logger.
//
// Thread-safety: all members are safe to use concurrently; Settings are immutable snapshots.
#pragma once

#include <spdlog/logger.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hookfence/clock.h"
#include "src/server/config.h"
#include "src/server/metrics.h"
#include "src/server/sources.h"
#include "src/server/store_runner.h"

namespace hookfence::server {

class Dispatcher;
class LoopLag;

// The part of the configuration that SIGHUP may replace.
struct Settings {
  std::shared_ptr<const SourceTable> sources;
  std::string admin_token;
};

class GatewayCore {
 public:
  GatewayCore(Clock* clock, Store* store, const Config& config,
              std::shared_ptr<const Settings> settings, std::shared_ptr<spdlog::logger> log);

  Clock& clock() { return *clock_; }
  StoreRunner& store() { return store_; }
  Metrics& metrics() { return metrics_; }
  spdlog::logger& log() { return *log_; }
  const StoreConfig& store_config() const { return store_config_; }

  std::shared_ptr<const Settings> settings() const {
    std::lock_guard lock(mu_);
    return settings_;
  }
  void set_settings(std::shared_ptr<const Settings> settings) {
    std::lock_guard lock(mu_);
    settings_ = std::move(settings);
  }

  // Tells the dispatcher that records became due now (a replay, a queued accept), so it claims
  // them without waiting for its next poll. Safe to call before a dispatcher exists (no-op).
  void WakeDispatcher() {
    std::function<void()> wake;
    {
      std::lock_guard lock(mu_);
      wake = wake_;
    }
    if (wake) wake();
  }
  void set_wake(std::function<void()> wake) {
    std::lock_guard lock(mu_);
    wake_ = std::move(wake);
  }

  // The async-mode dispatcher (the webhook route hands it leased records); set once before the
  // gateway starts, and it outlives every request.
  Dispatcher* dispatcher() const { return dispatcher_; }
  void set_dispatcher(Dispatcher* dispatcher) { dispatcher_ = dispatcher; }

  // Each I/O loop's LoopLag, for the metrics; set once before the gateway starts.
  const std::vector<std::shared_ptr<LoopLag>>& loop_lags() const { return loop_lags_; }
  void set_loop_lags(std::vector<std::shared_ptr<LoopLag>> lags) { loop_lags_ = std::move(lags); }

 private:
  Clock* clock_;
  StoreRunner store_;
  Metrics metrics_;
  std::shared_ptr<spdlog::logger> log_;
  const StoreConfig store_config_;
  mutable std::mutex mu_;
  std::shared_ptr<const Settings> settings_;
  std::function<void()> wake_;
  Dispatcher* dispatcher_ = nullptr;
  std::vector<std::shared_ptr<LoopLag>> loop_lags_;
};

}  // namespace hookfence::server

// What every request handler shares: the store runner, the sources and admin token (swapped as
// a whole on SIGHUP), metrics, the clock and the logger.
//
// Thread-safety: all members are safe to use concurrently; Settings are immutable snapshots.
#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <mutex>
#include <string>

#include "hookfence/clock.h"
#include "src/server/config.h"
#include "src/server/metrics.h"
#include "src/server/sources.h"
#include "src/server/store_runner.h"

namespace hookfence::server {

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

 private:
  Clock* clock_;
  StoreRunner store_;
  Metrics metrics_;
  std::shared_ptr<spdlog::logger> log_;
  const StoreConfig store_config_;
  mutable std::mutex mu_;
  std::shared_ptr<const Settings> settings_;
};

}  // namespace hookfence::server

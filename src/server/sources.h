// The configured webhook sources, each with its provider, looked up by name per request.
//
// A table is immutable once built; SIGHUP builds a new one and swaps it in, so requests in flight
// finish with the table they started with. Thread-safety: Find is safe concurrently.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "hookfence/clock.h"
#include "hookfence/providers.h"
#include "hookfence/result.h"
#include "src/server/config.h"

namespace hookfence::server {

class Destination;

struct Source {
  SourceConfig config;
  std::unique_ptr<Provider> provider;
  // Where its events go: the client, breaker and limits (shared with deliveries in flight).
  std::shared_ptr<Destination> destination;
};

class SourceTable {
 public:
  // kInvalidArgument naming the source whose provider or destination could not be built.
  // `clock` (for breakers and rate limits) must outlive the table.
  static Result<std::shared_ptr<const SourceTable>> Build(const std::vector<SourceConfig>& sources,
                                                          const Clock* clock);

  // nullptr when no source has this name.
  const Source* Find(std::string_view name) const;
  void ForEach(const std::function<void(const Source&)>& visit) const {
    for (const auto& [name, source] : sources_) visit(source);
  }
  std::size_t size() const { return sources_.size(); }

 private:
  std::map<std::string, Source, std::less<>> sources_;
};

}  // namespace hookfence::server

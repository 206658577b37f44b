// The configured webhook sources, each with its provider, looked up by name per request.
//
// A table is immutable once built; SIGHUP builds a new one and swaps it in, so requests in flight
// finish with the table they started with. Thread-safety: Find is safe concurrently.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "hookfence/providers.h"
#include "hookfence/result.h"
#include "src/server/config.h"

namespace hookfence::server {

struct Source {
  SourceConfig config;
  std::unique_ptr<Provider> provider;
};

class SourceTable {
 public:
  // kInvalidArgument naming the source whose provider could not be built.
  static Result<std::shared_ptr<const SourceTable>> Build(const std::vector<SourceConfig>& sources);

  // nullptr when no source has this name.
  const Source* Find(std::string_view name) const;
  std::size_t size() const { return sources_.size(); }

 private:
  std::map<std::string, Source, std::less<>> sources_;
};

}  // namespace hookfence::server

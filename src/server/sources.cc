#include "src/server/sources.h"

#include "src/server/destination.h"

namespace hookfence::server {

Result<std::shared_ptr<const SourceTable>> SourceTable::Build(
    const std::vector<SourceConfig>& sources, const Clock* clock) {
  auto table = std::make_shared<SourceTable>();
  for (const SourceConfig& config : sources) {
    auto provider = MakeProvider(config.provider);
    if (!provider.ok()) {
      return InvalidArgumentError("source '" + config.name + "': " + provider.status().message());
    }
    auto destination = Destination::Create(config, clock);
    if (!destination.ok()) {
      return InvalidArgumentError("source '" + config.name +
                                  "': destination: " + destination.status().message());
    }
    table->sources_.emplace(config.name,
                            Source{config, std::move(*provider), std::move(*destination)});
  }
  return std::shared_ptr<const SourceTable>(std::move(table));
}

const Source* SourceTable::Find(std::string_view name) const {
  auto it = sources_.find(name);
  return it == sources_.end() ? nullptr : &it->second;
}

}  // namespace hookfence::server

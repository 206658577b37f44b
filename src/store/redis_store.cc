#include "src/store/redis_store.h"

namespace hookfence::store {

Result<std::unique_ptr<Store>> OpenRedisStore(const StoreUrl& /*url*/, StoreOptions /*options*/) {
  return UnavailableError("the redis backend is not built yet");
}

Result<SchemaReport> MigrateRedisStore(const StoreUrl& /*url*/) {
  return UnavailableError("the redis backend is not built yet");
}

}  // namespace hookfence::store

#include "src/store/postgres_store.h"

namespace hookfence::store {

Result<std::unique_ptr<Store>> OpenPostgresStore(const StoreUrl& /*url*/,
                                                 StoreOptions /*options*/) {
  return UnavailableError("the postgres backend is not built yet");
}

Result<SchemaReport> MigratePostgresStore(const StoreUrl& /*url*/) {
  return UnavailableError("the postgres backend is not built yet");
}

}  // namespace hookfence::store

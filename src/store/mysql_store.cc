#include "src/store/mysql_store.h"

namespace hookfence::store {

Result<std::unique_ptr<Store>> OpenMysqlStore(const StoreUrl& /*url*/, StoreOptions /*options*/) {
  return UnavailableError("the mysql backend is not built yet");
}

Result<SchemaReport> MigrateMysqlStore(const StoreUrl& /*url*/) {
  return UnavailableError("the mysql backend is not built yet");
}

}  // namespace hookfence::store

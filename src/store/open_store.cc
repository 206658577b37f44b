#include "hookfence/store.h"
#include "src/store/memory_store.h"
#include "src/store/mysql_store.h"
#include "src/store/postgres_store.h"
#include "src/store/redis_store.h"
#include "src/store/sqlite_store.h"
#include "src/store/store_url.h"
#include "src/store/transitions.h"

namespace hookfence {

Result<std::unique_ptr<Store>> OpenStore(std::string_view url, StoreOptions options) {
  HF_RETURN_IF_ERROR(store::internal::ValidateOptions(options));
  HF_ASSIGN_OR_RETURN(store::StoreUrl parsed, store::ParseStoreUrl(url));
  switch (parsed.backend) {
    case store::Backend::kMemory:
      return store::NewMemoryStore(std::move(options));
    case store::Backend::kSqlite:
      return store::OpenSqliteStore(parsed.path, std::move(options));
    case store::Backend::kPostgres:
      return store::OpenPostgresStore(parsed, std::move(options));
    case store::Backend::kRedis:
      return store::OpenRedisStore(parsed, std::move(options));
    case store::Backend::kMysql:
      return store::OpenMysqlStore(parsed, std::move(options));
  }
  return InternalError("unhandled store backend");
}

Result<SchemaReport> MigrateStore(std::string_view url) {
  HF_ASSIGN_OR_RETURN(store::StoreUrl parsed, store::ParseStoreUrl(url));
  switch (parsed.backend) {
    case store::Backend::kMemory:
      return SchemaReport{};
    case store::Backend::kSqlite:
      return store::MigrateSqliteStore(parsed.path);
    case store::Backend::kPostgres:
      return store::MigratePostgresStore(parsed);
    case store::Backend::kRedis:
      return store::MigrateRedisStore(parsed);
    case store::Backend::kMysql:
      return store::MigrateMysqlStore(parsed);
  }
  return InternalError("unhandled store backend");
}

}  // namespace hookfence

#include "src/store/memory_store.h"

#include "testing/store_conformance.h"

namespace hookfence::store {
namespace {

testing::StoreFactory MemoryFactory() {
  return {"Memory",
          [](const StoreOptions& options, const std::string&) -> Result<std::unique_ptr<Store>> {
            return NewMemoryStore(options);
          },
          /*batched=*/false, /*server=*/""};
}

HOOKFENCE_STORE_CONFORMANCE(Memory, MemoryFactory());

}  // namespace
}  // namespace hookfence::store

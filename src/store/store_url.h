// Parsing of store URLs (DESIGN §4) into a backend and its location.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "hookfence/result.h"

namespace hookfence::store {

enum class Backend { kMemory, kSqlite };

struct StoreUrl {
  Backend backend = Backend::kMemory;
  std::string path;  // sqlite: the literal file path
};

// kInvalidArgument naming what is wrong: a missing scheme, an unknown or not-yet-supported one,
// a memory:// URL with anything after it, an sqlite:// URL without a path.
Result<StoreUrl> ParseStoreUrl(std::string_view url);

}  // namespace hookfence::store

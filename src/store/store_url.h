// Parsing of store URLs (DESIGN §4) into a backend and its location.
// Thread-safety: pure functions.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "hookfence/result.h"

namespace hookfence::store {

enum class Backend { kMemory, kSqlite, kPostgres, kRedis, kMysql };

struct StoreUrl {
  Backend backend = Backend::kMemory;
  std::string path;  // sqlite: the literal file path

  // Network backends (postgres://user:pass@host:port/db?name=value&…), percent-decoded.
  std::string user;
  std::string password;
  std::string host;      // empty: 127.0.0.1 (redis), the client library's default otherwise
  int port = 0;          // 0: the backend's default port
  std::string database;  // the path without its leading '/'; redis: the db number
  std::map<std::string, std::string> options;  // the query parameters
};

// kInvalidArgument naming what is wrong: a missing scheme, an unknown one, a memory:// URL with
// anything after it, an sqlite:// URL without a path, a network URL with a bad port, a bad
// percent escape, or a repeated option.
Result<StoreUrl> ParseStoreUrl(std::string_view url);

// The URL with its password replaced by "***", for logs and error messages.
std::string RedactStoreUrl(std::string_view url);

}  // namespace hookfence::store

#include "testing/test_servers.h"

#include <cstdlib>
#include <random>

#include "src/store/mysql_connection.h"
#include "src/store/store_url.h"

namespace hookfence::testing {

std::optional<std::string> TestServerUrl(std::string_view backend) {
  const std::string name = "HOOKFENCE_TEST_" + std::string(backend) + "_URL";
  const char* value = std::getenv(name.c_str());
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

bool TestServersRequired() {
  const char* value = std::getenv("HOOKFENCE_REQUIRE_TEST_SERVERS");
  return value != nullptr && *value != '\0' && std::string_view(value) != "0";
}

std::string UniqueNamespace() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device device;
  std::mt19937_64 rng((static_cast<std::uint64_t>(device()) << 32) ^ device());
  std::string name = "hf_";
  for (int i = 0; i < 16; ++i) name.push_back(kHex[rng() % 16]);
  return name;
}

Result<std::string> FreshStoreUrl(std::string_view backend, const std::string& server_url) {
  const std::string name = UniqueNamespace();
  const char* separator = server_url.find('?') == std::string::npos ? "?" : "&";
  if (backend == "POSTGRES") return server_url + separator + "schema=" + name;
  if (backend == "REDIS") return server_url + separator + "prefix=" + name;
  HF_ASSIGN_OR_RETURN(store::StoreUrl parsed, store::ParseStoreUrl(server_url));
  HF_ASSIGN_OR_RETURN(auto params, store::internal::MysqlParamsFromUrl(parsed));
  HF_ASSIGN_OR_RETURN(auto db, store::internal::MysqlConnection::Connect(params));
  HF_RETURN_IF_ERROR(db->Exec("CREATE DATABASE " + name));
  // The server URL with `name` in place of its database (and its options kept).
  const auto path = server_url.find('/', server_url.find("://") + 3);
  const auto query = server_url.find('?');
  return server_url.substr(0, path) + "/" + name +
         (query == std::string::npos ? "" : server_url.substr(query));
}

}  // namespace hookfence::testing

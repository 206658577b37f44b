#include "testing/test_servers.h"

#include <cstdlib>
#include <random>

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

}  // namespace hookfence::testing

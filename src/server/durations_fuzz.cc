// Fuzzes ParseDuration and ParseSize (config.h), the unit-suffixed numbers of hookfence.toml.
//
// Input: the text to parse. Besides "no crash, no sanitizer report", it checks that an accepted
// duration lies in [0, kMaxDuration], that an accepted size reads back the same from its plain
// decimal spelling, and that a refusal names the text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "src/server/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hookfence;
  const std::string_view text =
      size == 0 ? std::string_view() : std::string_view(reinterpret_cast<const char*>(data), size);

  Result<Duration> duration = server::ParseDuration(text);
  if (duration.ok()) {
    if (*duration < Duration::zero() || *duration > kMaxDuration) std::abort();
    // A whole number of microseconds always has a spelling ParseDuration reads back.
    Result<Duration> again = server::ParseDuration(std::to_string(duration->count()) + "us");
    if (!again.ok() || *again != *duration) std::abort();
  } else if (duration.status().message().find("invalid duration") == std::string::npos) {
    std::abort();
  }

  Result<std::uint64_t> bytes = server::ParseSize(text);
  if (bytes.ok()) {
    Result<std::uint64_t> again = server::ParseSize(std::to_string(*bytes));
    if (!again.ok() || *again != *bytes) std::abort();
  } else if (bytes.status().message().find("invalid size") == std::string::npos) {
    std::abort();
  }
  return 0;
}

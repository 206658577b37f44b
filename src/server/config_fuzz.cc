// Fuzzes the configuration loader (ParseConfig: toml++, ${ENV} substitution, every table's
// validation, the providers' checks) from text, with a fixed environment.
//
// Input: hookfence.toml text. Besides "no crash, no sanitizer report", it checks that a Config is
// produced exactly when there is no error, that every issue has a message, and that a loaded
// configuration converts to StoreOptions and builds every source's provider.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "src/server/config.h"

namespace {

std::optional<std::string> FixedEnv(const std::string& name) {
  static const std::map<std::string, std::string> kVars = {
      {"HOOKFENCE_ADMIN_TOKEN", "fuzz-admin-token"},
      {"STRIPE_WEBHOOK_SECRET", "whsec_fuzz"},
      {"GITHUB_SECRET", "github-fuzz-secret"},
      {"EMPTY", ""},
      {"DATABASE_URL", "postgresql://hookfence:pw@127.0.0.1:5432/hookfence"},
  };
  auto it = kVars.find(name);
  if (it == kVars.end()) return std::nullopt;
  return it->second;
}

void CheckIssues(const std::vector<hookfence::server::ConfigIssue>& issues) {
  for (const auto& issue : issues) {
    if (issue.message.empty() || issue.line < 0 || issue.column < 0) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hookfence;
  const std::string_view text =
      size == 0 ? std::string_view() : std::string_view(reinterpret_cast<const char*>(data), size);
  const server::ConfigLoad load = server::ParseConfig(text, "fuzz.toml", &FixedEnv);
  if (load.config.has_value() != load.errors.empty()) std::abort();
  CheckIssues(load.errors);
  CheckIssues(load.warnings);
  (void)server::FormatIssues("fuzz.toml", load.errors, "error");
  (void)server::FormatIssues("fuzz.toml", load.warnings, "warning");
  if (!load.config) return 0;
  (void)server::ToStoreOptions(load.config->store);
  for (const server::SourceConfig& source : load.config->sources) {
    // The loader has already run the provider's checks on every source it accepts.
    if (!MakeProvider(source.provider).ok()) std::abort();
  }
  return 0;
}

// MakeProvider and ProviderNames (declared in hookfence/providers.h): the checks every provider
// shares, then the provider's own factory.
#include <array>
#include <string>

#include "hookfence/providers.h"
#include "src/providers/generic_hmac.h"
#include "src/providers/github.h"
#include "src/providers/paddle.h"
#include "src/providers/razorpay.h"
#include "src/providers/shopify.h"
#include "src/providers/slack.h"
#include "src/providers/square.h"
#include "src/providers/standard_webhooks.h"
#include "src/providers/stripe.h"

namespace hookfence {
namespace {

using Factory = Result<std::unique_ptr<Provider>> (*)(const ProviderConfig&);

struct Entry {
  std::string_view name;
  Factory make;
};

constexpr std::array<Entry, 10> kProviders = {{
    {"stripe", &providers::MakeStripeProvider},
    {"standard-webhooks", &providers::MakeStandardWebhooksProvider},
    {"svix", &providers::MakeSvixProvider},
    {"github", &providers::MakeGithubProvider},
    {"razorpay", &providers::MakeRazorpayProvider},
    {"shopify", &providers::MakeShopifyProvider},
    {"slack", &providers::MakeSlackProvider},
    {"paddle", &providers::MakePaddleProvider},
    {"square", &providers::MakeSquareProvider},
    {"hmac", &providers::MakeGenericHmacProvider},
}};

std::string KnownNames() {
  std::string names;
  for (const Entry& entry : kProviders) {
    names += names.empty() ? "" : ", ";
    names += entry.name;
  }
  return names;
}

// Messages name the secret's position only: they end up in check-config output and logs.
Status CheckCommon(const ProviderConfig& config) {
  if (config.secrets.empty()) {
    return InvalidArgumentError("at least one secret is required");
  }
  for (std::size_t i = 0; i < config.secrets.size(); ++i) {
    if (config.secrets[i].empty()) {
      return InvalidArgumentError("secrets[" + std::to_string(i) +
                                  "] is empty (an empty HMAC key lets anyone forge a signature)");
    }
  }
  if (config.tolerance < Duration::zero()) {
    return InvalidArgumentError("tolerance must not be negative");
  }
  return Status::Ok();
}

}  // namespace

std::vector<std::string_view> ProviderNames() {
  std::vector<std::string_view> names;
  for (const Entry& entry : kProviders) {
    names.push_back(entry.name);
  }
  return names;
}

Result<std::unique_ptr<Provider>> MakeProvider(const ProviderConfig& config) {
  for (const Entry& entry : kProviders) {
    if (entry.name != config.provider) {
      continue;
    }
    Status common = CheckCommon(config);
    if (!common.ok()) {
      return InvalidArgumentError("provider " + config.provider + ": " + common.message());
    }
    Result<std::unique_ptr<Provider>> provider = entry.make(config);
    if (!provider.ok()) {
      return Status(provider.status().code(),
                    "provider " + config.provider + ": " + provider.status().message());
    }
    return provider;
  }
  return InvalidArgumentError("unknown provider \"" + config.provider +
                              "\" (known: " + KnownNames() + ")");
}

}  // namespace hookfence

#include "src/delivery/app_request.h"

#include <array>
#include <optional>
#include <span>
#include <string>

#include "hookfence/keys.h"
#include "src/providers/encoding.h"
#include "src/providers/header_lookup.h"

namespace hookfence::delivery {
namespace {

using providers::EqualsIgnoreCase;

constexpr std::string_view kSecretPrefix = "whsec_";
// Standard Webhooks: "The secret SHOULD be randomly generated and between 24 bytes (192 bits) and
// 64 bytes (512 bits) in size."
constexpr std::size_t kMinSecretBytes = 24;
constexpr std::size_t kMaxSecretBytes = 64;

constexpr std::string_view kContentType = "Content-Type";
constexpr std::string_view kGatewayPrefix = "Hookfence-";
// Set on every request by the gateway or its HTTP client, whatever the payload carried.
constexpr std::array<std::string_view, 4> kAlwaysSet = {"Idempotency-Key", "Content-Length", "Host",
                                                        "Transfer-Encoding"};
// Set when the destination has a signing secret.
constexpr std::array<std::string_view, 3> kSignatureHeaders = {"webhook-id", "webhook-timestamp",
                                                               "webhook-signature"};

bool HasGatewayPrefix(std::string_view name) {
  return name.size() >= kGatewayPrefix.size() &&
         EqualsIgnoreCase(name.substr(0, kGatewayPrefix.size()), kGatewayPrefix);
}

bool IsOneOf(std::string_view name, std::span<const std::string_view> names) {
  for (std::string_view candidate : names) {
    if (EqualsIgnoreCase(name, candidate)) {
      return true;
    }
  }
  return false;
}

// Whether the gateway sets a header called `name` (Content-Type aside) on a delivery.
bool SetByGateway(std::string_view name, bool signing) {
  return HasGatewayPrefix(name) || IsOneOf(name, kAlwaysSet) ||
         (signing && IsOneOf(name, kSignatureHeaders));
}

// tchar (RFC 9110 §5.6.2).
bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken(std::string_view text) {
  if (text.empty()) {
    return false;
  }
  for (char c : text) {
    if (!IsTokenChar(c)) {
      return false;
    }
  }
  return true;
}

Status ValidateSigningSecret(std::string_view secret) {
  if (secret.empty()) {
    return Status::Ok();
  }
  if (!secret.starts_with(kSecretPrefix)) {
    return InvalidArgumentError(
        "signing_secret must start with whsec_ (a Standard Webhooks secret)");
  }
  std::optional<std::string> key = providers::Base64Decode(secret.substr(kSecretPrefix.size()));
  if (!key) {
    return InvalidArgumentError("signing_secret is not whsec_ followed by canonical base64");
  }
  if (key->size() < kMinSecretBytes || key->size() > kMaxSecretBytes) {
    return InvalidArgumentError("signing_secret decodes to " + std::to_string(key->size()) +
                                " bytes; Standard Webhooks secrets are 24 to 64 bytes");
  }
  return Status::Ok();
}

Status ValidateStaticHeaders(const Headers& headers) {
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const auto& [name, value] = headers[i];
    std::string where = "headers[" + std::to_string(i) + "]";
    if (!IsToken(name)) {
      return InvalidArgumentError(where + ": the name must be an HTTP token (letters, digits and " +
                                  "!#$%&'*+-.^_`|~), got \"" + name + "\"");
    }
    where += " (" + name + ")";
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return InvalidArgumentError(where + ": the value contains CR, LF or NUL");
    }
    // A secret can be added later, so the signature's names are refused with or without one.
    if (SetByGateway(name, /*signing=*/true) || EqualsIgnoreCase(name, kContentType)) {
      return InvalidArgumentError(where + ": the gateway sets this header itself");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (EqualsIgnoreCase(headers[j].first, name)) {
        return InvalidArgumentError(where + ": the name is given twice");
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Status ValidateAppRequestOptions(const AppRequestOptions& options) {
  HF_RETURN_IF_ERROR(ValidateSigningSecret(options.signing_secret));
  return ValidateStaticHeaders(options.static_headers);
}

Result<AppRequestBuilder> AppRequestBuilder::Create(AppRequestOptions options) {
  HF_RETURN_IF_ERROR(ValidateAppRequestOptions(options));
  std::shared_ptr<const Provider> signer;
  if (!options.signing_secret.empty()) {
    ProviderConfig config;
    config.provider = "standard-webhooks";
    config.secrets = {std::move(options.signing_secret)};
    HF_ASSIGN_OR_RETURN(signer, MakeProvider(config));
  }
  return AppRequestBuilder(std::move(options.static_headers), std::move(signer));
}

bool AppRequestBuilder::Overridden(std::string_view name) const {
  if (SetByGateway(name, /*signing=*/signer_ != nullptr)) {
    return true;
  }
  for (const auto& [static_name, value] : static_headers_) {
    if (EqualsIgnoreCase(name, static_name)) {
      return true;
    }
  }
  return false;
}

Headers AppRequestBuilder::Build(std::string_view key, std::uint64_t fence, std::uint32_t attempt,
                                 const Payload& payload, Timestamp now) const {
  HF_CHECK(ValidateKey(key).ok());
  HF_CHECK(attempt >= 1);
  Headers headers;
  // One media type per request: only the first Content-Type is sent.
  std::string_view first_content_type = "application/json";
  for (const auto& [name, value] : payload.headers) {
    if (EqualsIgnoreCase(name, kContentType)) {
      first_content_type = value;
      break;
    }
  }
  headers.emplace_back(kContentType, first_content_type);
  for (const auto& [name, value] : payload.headers) {
    if (!EqualsIgnoreCase(name, kContentType) && !Overridden(name)) {
      headers.emplace_back(name, value);
    }
  }
  const std::size_t colon = key.find(':');
  headers.emplace_back("Idempotency-Key", key);
  headers.emplace_back("Hookfence-Source", key.substr(0, colon));
  headers.emplace_back("Hookfence-Event-Id", key.substr(colon + 1));
  headers.emplace_back("Hookfence-Fence", std::to_string(fence));
  headers.emplace_back("Hookfence-Attempt", std::to_string(attempt));
  headers.insert(headers.end(), static_headers_.begin(), static_headers_.end());
  if (signer_ != nullptr) {
    for (auto& [name, value] : signer_->Sign(payload.body, now, key)) {
      if (IsOneOf(name, kSignatureHeaders)) {
        headers.emplace_back(std::move(name), std::move(value));
      }
    }
  }
  return headers;
}

}  // namespace hookfence::delivery

// Webhook providers: how each one signs a delivery and where its event id lives (DESIGN §6).
//
// A Provider verifies a request's signature over the exact raw body, extracts the event id used
// for deduplication, answers handshakes that must not be stored (Slack's url_verification), and
// can sign a body exactly as the provider would (for `hookfence send` and load generators).
// Header names are matched case-insensitively; signatures are compared in constant time; several
// secrets may be configured (rotation): a signature made with any of them is accepted.
// Thread-safety: a Provider is immutable after MakeProvider; all methods are const and may be
// called concurrently.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hookfence/clock.h"
#include "hookfence/record.h"
#include "hookfence/result.h"

namespace hookfence {

// The provider names accepted in configuration.
// stripe | standard-webhooks | svix | github | razorpay | shopify | slack | paddle | square | hmac
std::vector<std::string_view> ProviderNames();

struct ProviderConfig {
  std::string provider;              // one of ProviderNames()
  std::vector<std::string> secrets;  // at least one, none empty; the first one signs
  // Largest allowed |now - signed timestamp| for providers that sign a timestamp (symmetric:
  // too far in the future is rejected too). Zero means the provider's default (300 s; Paddle 5 s).
  Duration tolerance{0};
  // square: the notification URL exactly as configured in Square (it is part of the signed bytes).
  std::string notification_url;
  // hmac (generic HMAC-SHA256 over the body):
  std::string signature_header = "X-Signature";  // where the signature is
  std::string encoding = "hex";                  // hex | base64
  std::string prefix;                            // e.g. "sha256=" before the signature
  std::string id_header = "X-Webhook-Id";        // where the event id is
};

struct Verdict {
  enum class Kind {
    kValid,
    kBadSignature,    // missing, malformed or not matching any secret → 401 bad_signature
    kStaleTimestamp,  // the signature matches, but the signed timestamp is outside the
                      // tolerance → 401 stale_timestamp (a request whose signature does not
                      // match is kBadSignature, whatever its timestamp)
  };
  Kind kind = Kind::kBadSignature;
  std::string message;  // for the response body and logs; never contains a secret
};

struct EventIdResult {
  enum class Kind {
    kOk,
    kMissing,        // no id (absent, or null in a JSON body) → 400 missing_event_id
    kInvalid,        // not 1–256 bytes of printable ASCII, not a JSON string, or its header
                     // sent twice → 400 invalid_event_id
    kMalformedBody,  // body is not the JSON it must be, or the id is ambiguous (a duplicated
                     // key) → 400 malformed_body
  };
  Kind kind = Kind::kMissing;
  std::string id;
  std::string message;
};

class Provider {
 public:
  virtual ~Provider() = default;

  // Checks the signature of a request at time `now`.
  virtual Verdict Verify(const Headers& headers, std::string_view body, Timestamp now) const = 0;

  // The deduplication id of a (verified) request.
  virtual EventIdResult EventId(const Headers& headers, std::string_view body) const = 0;

  // For a handshake request that must be answered and not stored (Slack url_verification): the
  // JSON body to answer with. nullopt for ordinary deliveries.
  virtual std::optional<std::string> Handshake(const Headers& headers,
                                               std::string_view body) const {
    (void)headers;
    (void)body;
    return std::nullopt;
  }

  // The headers the provider would send with `body` at `now` (signature, timestamp and, for
  // providers whose id lives in a header, `event_id`), signed with the first secret.
  virtual Headers Sign(std::string_view body, Timestamp now, std::string_view event_id) const = 0;
};

// kInvalidArgument naming the problem (never a secret's value): unknown provider, no secret, an
// empty secret (an empty HMAC key forges anything), a negative tolerance, a Standard Webhooks /
// Svix secret that is not whsec_<base64> (the prefix is optional, canonical base64 is not), Square
// without notification_url, hmac with a bad encoding or an empty header name.
Result<std::unique_ptr<Provider>> MakeProvider(const ProviderConfig& config);

// Constant-time equality for secrets, tokens and signatures (CRYPTO_memcmp); false when the
// lengths differ. Every such comparison in hookfence goes through here.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace hookfence

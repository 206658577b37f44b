#include "src/server/webhook_answers.h"

namespace hookfence::server {

HttpResponse Refuse(std::string* outcome, int status, std::string_view code,
                    std::string_view message) {
  *outcome = code;
  return ErrorResponse(status, code, message);
}

HttpResponse StoreTrouble(std::string* outcome, const Status& status) {
  if (status.code() == StatusCode::kResourceExhausted) {
    return WithRetryAfter(
        Refuse(outcome, 429, "overloaded", "the store's write queue is full; retry later"),
        kRetryAfterSeconds);
  }
  return WithRetryAfter(Refuse(outcome, 503, "store_unavailable",
                               "the event could not be stored durably; retry later"),
                        kRetryAfterSeconds);
}

HttpResponse FingerprintMismatch(std::string* outcome) {
  return Refuse(outcome, 409, "fingerprint_mismatch",
                "this event id was received before with a different body");
}

HttpResponse StoreFull(std::string* outcome) {
  return WithRetryAfter(Refuse(outcome, 503, "store_full", "the store is at capacity; retry later"),
                        kRetryAfterSeconds);
}

}  // namespace hookfence::server

#include "src/providers/event_id.h"

#include <array>
#include <string>

#include "hookfence/keys.h"
#include "src/core/json_quote.h"
#include "src/providers/header_lookup.h"
#include "src/providers/json_fields.h"

namespace hookfence::providers {
namespace {

EventIdResult Failure(EventIdResult::Kind kind, std::string message) {
  EventIdResult result;
  result.kind = kind;
  result.message = std::move(message);
  return result;
}

}  // namespace

EventIdResult CheckedEventId(std::string_view id, std::string_view where) {
  Status valid = ValidateEventId(id);
  if (!valid.ok()) {
    return Failure(EventIdResult::Kind::kInvalid, std::string(where) + ": " + valid.message());
  }
  EventIdResult result;
  result.kind = EventIdResult::Kind::kOk;
  result.id.assign(id);
  return result;
}

EventIdResult EventIdFromHeader(const Headers& headers, std::span<const std::string_view> names) {
  HeaderLookup header = LookupHeader(headers, names);
  switch (header.kind) {
    case HeaderLookup::Kind::kAbsent:
      return Failure(EventIdResult::Kind::kMissing, "no " + std::string(header.name) + " header");
    case HeaderLookup::Kind::kRepeated:
      return Failure(EventIdResult::Kind::kInvalid,
                     std::string(header.name) + " is sent more than once: the id is ambiguous");
    case HeaderLookup::Kind::kFound:
      break;
  }
  return CheckedEventId(header.value, header.name);
}

EventIdResult EventIdFromJsonBody(std::string_view body, std::string_view member) {
  const std::array<std::string_view, 1> names = {member};
  std::array<JsonField, 1> fields;
  Status read = ReadTopLevelFields(body, names, fields);
  if (!read.ok()) {
    return Failure(EventIdResult::Kind::kMalformedBody, read.message());
  }
  const JsonField& field = fields[0];
  std::string quoted = internal::JsonQuote(member);
  if (field.count > 1) {
    return Failure(EventIdResult::Kind::kMalformedBody, "body has " + std::to_string(field.count) +
                                                            " top-level " + quoted +
                                                            " members: the id is ambiguous");
  }
  switch (field.kind) {
    case JsonField::Kind::kAbsent:
    case JsonField::Kind::kNull:
      return Failure(EventIdResult::Kind::kMissing, "body has no top-level " + quoted);
    case JsonField::Kind::kOther:
      return Failure(EventIdResult::Kind::kInvalid, "body's " + quoted + " is not a string");
    case JsonField::Kind::kString:
      break;
  }
  return CheckedEventId(field.value, "body's " + quoted);
}

}  // namespace hookfence::providers

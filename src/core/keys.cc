#include "hookfence/keys.h"

#include <string>

namespace hookfence {
namespace {

bool IsSourceChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool IsPrintableAscii(char c) { return c >= 0x21 && c <= 0x7E; }

}  // namespace

Status ValidateSourceName(std::string_view source) {
  if (source.empty() || source.size() > kMaxSourceNameBytes) {
    return InvalidArgumentError("source name must be 1-64 bytes");
  }
  for (char c : source) {
    if (!IsSourceChar(c)) return InvalidArgumentError("source name must match [a-z0-9_-]{1,64}");
  }
  return Status::Ok();
}

Status ValidateEventId(std::string_view event_id) {
  if (event_id.empty()) return InvalidArgumentError("event id is empty");
  if (event_id.size() > kMaxEventIdBytes) {
    return InvalidArgumentError("event id is longer than 256 bytes");
  }
  for (char c : event_id) {
    if (!IsPrintableAscii(c)) {
      return InvalidArgumentError("event id must be printable ASCII (0x21-0x7E)");
    }
  }
  return Status::Ok();
}

Result<std::string> MakeKey(std::string_view source, std::string_view event_id) {
  HF_RETURN_IF_ERROR(ValidateSourceName(source));
  HF_RETURN_IF_ERROR(ValidateEventId(event_id));
  std::string key;
  key.reserve(source.size() + 1 + event_id.size());
  key.append(source).append(":").append(event_id);
  return key;
}

Status ValidateKey(std::string_view key) {
  if (key.empty()) return InvalidArgumentError("key is empty");
  if (key.size() > kMaxKeyBytes) return InvalidArgumentError("key is longer than 512 bytes");
  auto colon = key.find(':');
  if (colon == std::string_view::npos) {
    return InvalidArgumentError("key must be source:event_id");
  }
  HF_RETURN_IF_ERROR(ValidateSourceName(key.substr(0, colon)));
  return ValidateEventId(key.substr(colon + 1));
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '~' || c == '-';
    if (plain) {
      out += c;
    } else {
      auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
  }
  return out;
}

}  // namespace hookfence

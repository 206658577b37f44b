#include "src/delivery/ordering_key.h"

#include <simdjson.h>

#include <cstring>
#include <span>
#include <vector>

#include "src/core/json_document.h"

namespace hookfence::delivery {
namespace {

namespace ondemand = simdjson::ondemand;

bool IsSegmentByte(char c) {
  return c >= 0x21 && c <= 0x7e && c != '.' && c != '[' && c != ']' && c != '*';
}

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> segments;
  while (true) {
    std::size_t dot = path.find('.');
    segments.push_back(path.substr(0, dot));
    if (dot == std::string_view::npos) {
      return segments;
    }
    path.remove_prefix(dot + 1);
  }
}

Status Malformed(simdjson::error_code error) {
  return InvalidArgumentError(std::string("body is not valid JSON on the ordering-key path: ") +
                              simdjson::error_message(error));
}

Result<std::string> Bounded(std::string_view key) {
  if (key.size() > kMaxOrderingKeyBytes) {
    return InvalidArgumentError("ordering key is longer than " +
                                std::to_string(kMaxOrderingKeyBytes) + " bytes");
  }
  return std::string(key);
}

// The key held by the value at the end of the path.
Result<std::string> KeyOf(ondemand::value value) {
  ondemand::json_type type;
  if (auto error = value.type().get(type)) {
    return Malformed(error);
  }
  if (type == ondemand::json_type::string) {
    std::string_view text;
    if (auto error = value.get_string().get(text)) {
      return Malformed(error);
    }
    return Bounded(text);
  }
  if (type == ondemand::json_type::number) {
    // The raw token keeps integers wider than 64 bits exact, where get_int64 would fail.
    std::string_view token = internal::RawToken(value);
    if (internal::IsJsonInteger(token)) {
      return Bounded(token);
    }
  }
  return std::string();
}

// A body that is not an object has no key; its first value is still checked, so that text which
// merely starts like JSON ("not json" looks like null to On Demand) is refused as malformed.
Result<std::string> NoKeyFromRoot(ondemand::document& document, ondemand::json_type type) {
  simdjson::error_code error = simdjson::SUCCESS;
  switch (type) {
    case ondemand::json_type::null: {
      bool is_null = false;
      error = document.is_null().get(is_null);
      if (!error && !is_null) {
        error = simdjson::N_ATOM_ERROR;
      }
      break;
    }
    case ondemand::json_type::boolean: {
      bool value = false;
      error = document.get_bool().get(value);
      break;
    }
    case ondemand::json_type::string: {
      std::string_view value;
      error = document.get_string().get(value);
      break;
    }
    default:  // an array or a number: nothing on the path can be found in it
      break;
  }
  if (error) {
    return Malformed(error);
  }
  return std::string();
}

// Looks for segments[0] among the members of `object`, descending for the rest. Every member is
// visited so that a duplicate of the one on the path is noticed.
Result<std::string> Walk(ondemand::object object, std::span<const std::string_view> segments) {
  std::string key;
  bool seen = false;
  for (auto member : object) {
    std::string_view name;
    if (auto error = member.unescaped_key().get(name)) {
      return Malformed(error);
    }
    if (name != segments.front()) {
      continue;  // the iterator skips the unread value
    }
    if (seen) {
      return InvalidArgumentError("ordering-key path is ambiguous: member \"" +
                                  std::string(segments.front()) + "\" appears twice");
    }
    seen = true;
    ondemand::value value;
    if (auto error = member.value().get(value)) {
      return Malformed(error);
    }
    if (segments.size() == 1) {
      HF_ASSIGN_OR_RETURN(key, KeyOf(value));
      continue;
    }
    ondemand::json_type type;
    if (auto error = value.type().get(type)) {
      return Malformed(error);
    }
    if (type == ondemand::json_type::object) {
      ondemand::object child;
      if (auto error = value.get_object().get(child)) {
        return Malformed(error);
      }
      HF_ASSIGN_OR_RETURN(key, Walk(child, segments.subspan(1)));
    }
  }
  return key;
}

}  // namespace

Status ValidateOrderingPath(std::string_view path) {
  if (path.empty()) {
    return InvalidArgumentError("ordering_key path is empty");
  }
  if (path.size() > kMaxOrderingPathBytes) {
    return InvalidArgumentError("ordering_key path is longer than " +
                                std::to_string(kMaxOrderingPathBytes) + " bytes");
  }
  std::vector<std::string_view> segments = SplitPath(path);
  if (segments.size() > kMaxOrderingPathSegments) {
    return InvalidArgumentError("ordering_key path has more than " +
                                std::to_string(kMaxOrderingPathSegments) + " segments");
  }
  if (segments.front() == "$") {
    return InvalidArgumentError(
        "ordering_key path starts at the body: write data.id, not $.data.id");
  }
  for (std::string_view segment : segments) {
    if (segment.empty()) {
      return InvalidArgumentError("ordering_key path \"" + std::string(path) +
                                  "\" has an empty segment");
    }
    for (char c : segment) {
      if (c == '[' || c == ']' || c == '*') {
        return InvalidArgumentError("ordering_key path \"" + std::string(path) +
                                    "\": arrays are not supported");
      }
      if (!IsSegmentByte(c)) {
        return InvalidArgumentError("ordering_key path may hold only printable ASCII");
      }
    }
  }
  return Status::Ok();
}

Result<std::string> ExtractOrderingKey(std::string_view body, std::string_view path) {
  HF_RETURN_IF_ERROR(ValidateOrderingPath(path));
  const std::vector<std::string_view> segments = SplitPath(path);

  ondemand::document document;
  if (auto error = internal::IterateJson(body).get(document)) {
    return Malformed(error);
  }
  ondemand::json_type type;
  if (auto error = document.type().get(type)) {
    return Malformed(error);
  }
  if (type != ondemand::json_type::object) {
    return NoKeyFromRoot(document, type);
  }
  ondemand::object object;
  if (auto error = document.get_object().get(object)) {
    return Malformed(error);
  }
  return Walk(object, segments);
}

}  // namespace hookfence::delivery

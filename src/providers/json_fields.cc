#include "src/providers/json_fields.h"

#include <simdjson.h>

#include <cstring>

#include "src/core/json_document.h"

namespace hookfence::providers {
namespace {

namespace ondemand = simdjson::ondemand;

// Deeper bodies are refused rather than walked: validation recurses once per level, and no
// provider nests anywhere near this deep.
constexpr int kMaxDepth = 256;

Status Malformed(simdjson::error_code error) {
  return InvalidArgumentError(std::string("body is not a JSON object: ") +
                              simdjson::error_message(error));
}

Status Malformed(std::string_view reason) {
  return InvalidArgumentError("body is not a JSON object: " + std::string(reason));
}

// On Demand only checks what it is asked for; skipped values are merely balanced. So every value
// is visited, which is what makes "body is JSON" true of the whole body.
Status ValidateValue(ondemand::value value, int depth) {
  if (depth > kMaxDepth) {
    return Malformed("nested deeper than 256 levels");
  }
  ondemand::json_type type;
  if (auto error = value.type().get(type)) {
    return Malformed(error);
  }
  switch (type) {
    case ondemand::json_type::object: {
      ondemand::object object;
      if (auto error = value.get_object().get(object)) {
        return Malformed(error);
      }
      for (auto field : object) {
        std::string_view key;
        if (auto error = field.unescaped_key().get(key)) {
          return Malformed(error);
        }
        HF_RETURN_IF_ERROR(ValidateValue(field.value(), depth + 1));
      }
      return Status::Ok();
    }
    case ondemand::json_type::array: {
      ondemand::array array;
      if (auto error = value.get_array().get(array)) {
        return Malformed(error);
      }
      for (auto element : array) {
        ondemand::value item;
        if (auto error = std::move(element).get(item)) {
          return Malformed(error);
        }
        HF_RETURN_IF_ERROR(ValidateValue(item, depth + 1));
      }
      return Status::Ok();
    }
    case ondemand::json_type::string: {
      std::string_view text;
      if (auto error = value.get_string().get(text)) {
        return Malformed(error);
      }
      return Status::Ok();
    }
    case ondemand::json_type::number:
    case ondemand::json_type::boolean:
    case ondemand::json_type::null: {
      std::string_view token = internal::RawToken(value);
      bool ok = type == ondemand::json_type::number    ? internal::IsJsonNumber(token)
                : type == ondemand::json_type::boolean ? (token == "true" || token == "false")
                                                       : token == "null";
      if (!ok) {
        return Malformed("invalid literal " + std::string(token.substr(0, 32)));
      }
      return Status::Ok();
    }
  }
  return Malformed("unknown value type");
}

}  // namespace

Status ReadTopLevelFields(std::string_view body, std::span<const std::string_view> names,
                          std::span<JsonField> fields) {
  HF_CHECK(names.size() == fields.size());
  for (JsonField& field : fields) {
    field = JsonField();
  }
  ondemand::document document;
  if (auto error = internal::IterateJson(body).get(document)) {
    return Malformed(error);
  }
  ondemand::object object;
  if (auto error = document.get_object().get(object)) {
    return Malformed(error);
  }
  for (auto member : object) {
    std::string_view key;
    if (auto error = member.unescaped_key().get(key)) {
      return Malformed(error);
    }
    ondemand::value value;
    if (auto error = member.value().get(value)) {
      return Malformed(error);
    }
    JsonField* wanted = nullptr;
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (key == names[i]) {
        wanted = &fields[i];
      }
    }
    if (wanted != nullptr && ++wanted->count == 1) {
      ondemand::json_type type;
      if (auto error = value.type().get(type)) {
        return Malformed(error);
      }
      if (type == ondemand::json_type::string) {
        std::string_view text;
        if (auto error = value.get_string().get(text)) {
          return Malformed(error);
        }
        wanted->kind = JsonField::Kind::kString;
        wanted->value.assign(text);
        continue;
      }
      wanted->kind =
          type == ondemand::json_type::null ? JsonField::Kind::kNull : JsonField::Kind::kOther;
    }
    HF_RETURN_IF_ERROR(ValidateValue(value, 1));
  }
  // A successful walk stops at the object's closing brace; anything after it (a second document,
  // a stray bracket) still has a location.
  if (!document.current_location().error()) {
    return Malformed("trailing content after the object");
  }
  return Status::Ok();
}

}  // namespace hookfence::providers

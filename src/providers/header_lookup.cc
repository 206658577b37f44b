#include "src/providers/header_lookup.h"

#include <string>

namespace hookfence::providers {
namespace {

char ToLowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool IsOptionalWhitespace(char c) { return c == ' ' || c == '\t'; }

std::string_view TrimOptionalWhitespace(std::string_view value) {
  while (!value.empty() && IsOptionalWhitespace(value.front())) {
    value.remove_prefix(1);
  }
  while (!value.empty() && IsOptionalWhitespace(value.back())) {
    value.remove_suffix(1);
  }
  return value;
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ToLowerAscii(a[i]) != ToLowerAscii(b[i])) {
      return false;
    }
  }
  return true;
}

HeaderLookup LookupHeader(const Headers& headers, std::span<const std::string_view> names) {
  for (std::string_view name : names) {
    HeaderLookup lookup;
    lookup.name = name;
    for (const auto& [field, value] : headers) {
      if (!EqualsIgnoreCase(field, name)) {
        continue;
      }
      if (lookup.kind == HeaderLookup::Kind::kFound) {
        lookup.kind = HeaderLookup::Kind::kRepeated;
        lookup.value = {};
        break;
      }
      lookup.kind = HeaderLookup::Kind::kFound;
      lookup.value = TrimOptionalWhitespace(value);
    }
    if (lookup.kind != HeaderLookup::Kind::kAbsent) {
      return lookup;
    }
  }
  HeaderLookup absent;
  if (!names.empty()) {
    absent.name = names.front();
  }
  return absent;
}

std::string MediaType(const Headers& headers) {
  HeaderLookup content_type = LookupHeader(headers, "Content-Type");
  if (content_type.kind != HeaderLookup::Kind::kFound) {
    return "";
  }
  std::string_view value = content_type.value.substr(0, content_type.value.find(';'));
  std::string media_type(TrimOptionalWhitespace(value));
  for (char& c : media_type) {
    c = ToLowerAscii(c);
  }
  return media_type;
}

}  // namespace hookfence::providers

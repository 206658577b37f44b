// The input layout shared by the fuzz targets that take a request: "Name: value" lines up to the
// first empty line, then the body (the rest, byte for byte), as in an HTTP message. Lines end in
// "\n" or "\r\n"; a line without ':' is a header with that name and an empty value.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "hookfence/record.h"

namespace hookfence::fuzz {

struct FuzzRequest {
  Headers headers;
  std::string body;
};

inline std::string_view AsText(const std::uint8_t* data, std::size_t size) {
  return size == 0 ? std::string_view()
                   : std::string_view(reinterpret_cast<const char*>(data), size);
}

inline FuzzRequest SplitRequest(std::string_view text) {
  FuzzRequest request;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      request.headers.emplace_back(std::string(line), std::string());
      continue;
    }
    std::string_view value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    request.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  request.body = std::string(text);
  return request;
}

}  // namespace hookfence::fuzz

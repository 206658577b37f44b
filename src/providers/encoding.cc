#include "src/providers/encoding.h"

#include <array>
#include <cstdint>

namespace hookfence::providers {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int HexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// -1 for bytes outside the alphabet (padding included: it is handled by position).
constexpr std::array<std::int8_t, 256> MakeBase64Values() {
  std::array<std::int8_t, 256> values{};
  for (auto& v : values) {
    v = -1;
  }
  for (int i = 0; i < 64; ++i) {
    values[static_cast<unsigned char>(kBase64Alphabet[i])] = static_cast<std::int8_t>(i);
  }
  return values;
}
constexpr std::array<std::int8_t, 256> kBase64Values = MakeBase64Values();

}  // namespace

std::string HexEncode(std::string_view bytes) {
  std::string hex(2 * bytes.size(), '0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    auto b = static_cast<unsigned char>(bytes[i]);
    hex[2 * i] = kHexDigits[b >> 4];
    hex[2 * i + 1] = kHexDigits[b & 0xF];
  }
  return hex;
}

std::optional<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return std::nullopt;
  }
  std::string bytes(hex.size() / 2, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    int high = HexValue(hex[2 * i]);
    int low = HexValue(hex[2 * i + 1]);
    if (high < 0 || low < 0) {
      return std::nullopt;
    }
    bytes[i] = static_cast<char>((high << 4) | low);
  }
  return bytes;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t n = (std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                      (std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) |
                      std::uint32_t{static_cast<unsigned char>(bytes[i + 2])};
    out.push_back(kBase64Alphabet[(n >> 18) & 63]);
    out.push_back(kBase64Alphabet[(n >> 12) & 63]);
    out.push_back(kBase64Alphabet[(n >> 6) & 63]);
    out.push_back(kBase64Alphabet[n & 63]);
  }
  std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t n = std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
    if (rest == 2) {
      n |= std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8;
    }
    out.push_back(kBase64Alphabet[(n >> 18) & 63]);
    out.push_back(kBase64Alphabet[(n >> 12) & 63]);
    out.push_back(rest == 2 ? kBase64Alphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return std::nullopt;
  }
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') {
    padding = text.size() >= 2 && text[text.size() - 2] == '=' ? 2 : 1;
  }
  std::string bytes;
  bytes.reserve(text.size() / 4 * 3);
  std::uint32_t n = 0;
  for (std::size_t i = 0; i < text.size() - padding; ++i) {
    int v = kBase64Values[static_cast<unsigned char>(text[i])];
    if (v < 0) {
      return std::nullopt;  // includes '=' before the padding and any whitespace
    }
    n = (n << 6) | static_cast<std::uint32_t>(v);
    if (i % 4 == 3) {
      bytes.push_back(static_cast<char>((n >> 16) & 0xFF));
      bytes.push_back(static_cast<char>((n >> 8) & 0xFF));
      bytes.push_back(static_cast<char>(n & 0xFF));
      n = 0;
    }
  }
  // The last quantum: 2 symbols carry 1 byte (+4 spare bits), 3 symbols carry 2 (+2 spare bits).
  if (padding == 2) {
    if ((n & 0xF) != 0) {
      return std::nullopt;
    }
    bytes.push_back(static_cast<char>((n >> 4) & 0xFF));
  } else if (padding == 1) {
    if ((n & 0x3) != 0) {
      return std::nullopt;
    }
    bytes.push_back(static_cast<char>((n >> 10) & 0xFF));
    bytes.push_back(static_cast<char>((n >> 2) & 0xFF));
  }
  return bytes;
}

}  // namespace hookfence::providers

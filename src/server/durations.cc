// ParseDuration and ParseSize (declared in config.h): the unit-suffixed numbers of hookfence.toml.
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "src/server/config.h"

namespace hookfence::server {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads the decimal digits at the front of `text` into `value`, removing them from `text`.
// False when there are none or the number does not fit in 64 bits.
bool ConsumeNumber(std::string_view& text, std::uint64_t& value) {
  std::size_t i = 0;
  value = 0;
  while (i < text.size() && IsDigit(text[i])) {
    const auto digit = static_cast<std::uint64_t>(text[i] - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) {
      return false;
    }
    value = value * 10 + digit;
    ++i;
  }
  text.remove_prefix(i);
  return i > 0;
}

std::string Quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

struct DurationUnit {
  std::string_view name;
  std::int64_t micros;
};

// Longest names first where one is a prefix of another ("ms" before "m").
constexpr DurationUnit kDurationUnits[] = {
    {"d", 86'400'000'000}, {"h", 3'600'000'000}, {"ms", 1'000},
    {"m", 60'000'000},     {"s", 1'000'000},     {"us", 1},
};

}  // namespace

Result<Duration> ParseDuration(std::string_view text) {
  const auto invalid = [&](std::string_view why) {
    return InvalidArgumentError("invalid duration " + Quoted(text) + ": " + std::string(why) +
                                "; expected a number followed by a unit (d, h, m, s, ms, us), "
                                "e.g. \"30s\", \"5m\" or \"1h30m\"");
  };
  if (text.empty()) {
    return invalid("it is empty");
  }
  std::string_view rest = text;
  std::int64_t total = 0;
  // Units must come from longest to shortest, each once: "1h30m" but not "30m1h" or "5m5m".
  std::int64_t previous_unit = std::numeric_limits<std::int64_t>::max();
  while (!rest.empty()) {
    std::uint64_t number = 0;
    if (!ConsumeNumber(rest, number)) {
      if (!rest.empty() && IsDigit(rest.front())) {
        return invalid("the number is too large");
      }
      return invalid("expected a number at " + Quoted(rest));
    }
    const DurationUnit* unit = nullptr;
    for (const DurationUnit& candidate : kDurationUnits) {
      if (rest.substr(0, candidate.name.size()) == candidate.name) {
        unit = &candidate;
        break;
      }
    }
    if (unit == nullptr) {
      return invalid(rest.empty() ? "the number has no unit" : "unknown unit " + Quoted(rest));
    }
    rest.remove_prefix(unit->name.size());
    if (unit->micros >= previous_unit) {
      return invalid("units must go from largest to smallest, each at most once");
    }
    previous_unit = unit->micros;
    const std::int64_t room = std::numeric_limits<std::int64_t>::max() - total;
    if (number > static_cast<std::uint64_t>(room / unit->micros)) {
      return invalid("it is too long");
    }
    total += static_cast<std::int64_t>(number) * unit->micros;
  }
  if (Duration(total) > kMaxDuration) {
    return invalid("it is longer than 100 years");
  }
  return Duration(total);
}

Result<std::uint64_t> ParseSize(std::string_view text) {
  struct SizeUnit {
    std::string_view name;
    std::uint64_t bytes;
  };
  static constexpr SizeUnit kSizeUnits[] = {
      {"", 1},
      {"B", 1},
      {"KB", 1'000},
      {"MB", 1'000'000},
      {"GB", 1'000'000'000},
      {"TB", 1'000'000'000'000},
      {"KiB", std::uint64_t{1} << 10},
      {"MiB", std::uint64_t{1} << 20},
      {"GiB", std::uint64_t{1} << 30},
      {"TiB", std::uint64_t{1} << 40},
  };
  const auto invalid = [&](std::string_view why) {
    return InvalidArgumentError("invalid size " + Quoted(text) + ": " + std::string(why) +
                                "; expected a byte count, optionally with a unit (B, KB, MB, GB, "
                                "TB, KiB, MiB, GiB, TiB), e.g. \"16384\" or \"1MiB\"");
  };
  std::string_view rest = text;
  std::uint64_t number = 0;
  if (!ConsumeNumber(rest, number)) {
    if (!rest.empty() && IsDigit(rest.front())) {
      return invalid("the number is too large");
    }
    return invalid(text.empty() ? "it is empty" : "it does not start with a number");
  }
  for (const SizeUnit& unit : kSizeUnits) {
    if (rest == unit.name) {
      if (number > std::numeric_limits<std::uint64_t>::max() / unit.bytes) {
        return invalid("it is too large");
      }
      return number * unit.bytes;
    }
  }
  return invalid("unknown unit " + Quoted(rest));
}

}  // namespace hookfence::server

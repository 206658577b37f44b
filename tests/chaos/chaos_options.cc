#include "tests/chaos/chaos_options.h"

#include <chrono>
#include <cstdlib>
#include <string_view>

namespace hookfence::chaos {
namespace {

// The value of `--name=value` when `arg` is that flag.
std::optional<std::string_view> FlagValue(std::string_view arg, std::string_view name) {
  if (arg.size() <= name.size() + 3 || arg.substr(0, 2) != "--" ||
      arg.substr(2, name.size()) != name || arg[2 + name.size()] != '=') {
    return std::nullopt;
  }
  return arg.substr(3 + name.size());
}

bool ParseNumber(std::string_view text, double* out) {
  std::string copy(text);
  char* end = nullptr;
  *out = std::strtod(copy.c_str(), &end);
  return end != copy.c_str() && *end == '\0' && *out >= 0;
}

void ApplyProfile(ChaosOptions* options) {
  if (options->profile == "long") {
    options->events = 40000;
    options->duration_s = 1800;
    options->drain_timeout_s = 120;
    options->tmpfs_bytes = 512ull << 20;
  } else {
    options->events = 2000;
    options->duration_s = 90;
    options->drain_timeout_s = 60;
    options->tmpfs_bytes = 64ull << 20;
  }
}

}  // namespace

std::string Usage() {
  return "usage: hookfence_chaos [--profile=ci|long] [--seed=N] [--events=N] [--duration=SECONDS]\n"
         "                       [--drain-timeout=SECONDS] [--posters=N] [--tmpfs-mb=N]\n"
         "                       [--no-kills] [--no-sink-faults] [--no-disk-full] "
         "[--no-store-lock]\n"
         "  ci: 2000 events over 90 s (about 2 minutes with the drain); long: 40000 over 30 min.\n"
         "  The summary line names the seed; --seed=N replays the same fault schedule and plan.\n";
}

Result<ChaosOptions> ParseOptions(int argc, char** argv, bool* help) {
  ChaosOptions options;
  *help = false;
  // The profile first: the other flags override its figures whatever their order.
  for (int i = 1; i < argc; ++i) {
    if (auto value = FlagValue(argv[i], "profile")) options.profile = std::string(*value);
  }
  if (options.profile != "ci" && options.profile != "long") {
    return InvalidArgumentError("--profile must be ci or long, not '" + options.profile + "'");
  }
  ApplyProfile(&options);
  options.seed =
      static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()) %
      1000000007ull;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    double number = 0;
    if (arg == "--help" || arg == "-h") {
      *help = true;
    } else if (FlagValue(arg, "profile")) {
      continue;
    } else if (auto value = FlagValue(arg, "hold-lock")) {
      options.hold_lock_path = std::string(*value);
    } else if (auto seed = FlagValue(arg, "seed"); seed && ParseNumber(*seed, &number)) {
      options.seed = std::strtoull(std::string(*seed).c_str(), nullptr, 10);
    } else if (auto events = FlagValue(arg, "events");
               events && ParseNumber(*events, &number) && number >= 1) {
      options.events = static_cast<std::size_t>(number);
    } else if (auto duration = FlagValue(arg, "duration");
               duration && ParseNumber(*duration, &number) && number >= 5) {
      options.duration_s = number;
    } else if (auto drain = FlagValue(arg, "drain-timeout");
               drain && ParseNumber(*drain, &number)) {
      options.drain_timeout_s = number;
    } else if (auto posters = FlagValue(arg, "posters");
               posters && ParseNumber(*posters, &number) && number >= 1 && number <= 256) {
      options.posters = static_cast<std::size_t>(number);
    } else if (auto mb = FlagValue(arg, "tmpfs-mb");
               mb && ParseNumber(*mb, &number) && number >= 4) {
      options.tmpfs_bytes = static_cast<std::uint64_t>(number) << 20;
    } else if (arg == "--no-kills") {
      options.kills = false;
    } else if (arg == "--no-sink-faults") {
      options.sink_faults = false;
    } else if (arg == "--no-disk-full") {
      options.disk_full = false;
    } else if (arg == "--no-store-lock") {
      options.store_lock = false;
    } else {
      return InvalidArgumentError("cannot use argument '" + std::string(arg) + "'\n" + Usage());
    }
  }
  return options;
}

}  // namespace hookfence::chaos

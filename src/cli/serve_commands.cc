#include "src/cli/serve_commands.h"

#include <fmt/format.h>
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>

#include "hookfence/providers.h"
#include "src/server/config.h"
#include "src/server/gateway.h"
#include "src/server/http_client.h"
#include "src/store/store_url.h"

namespace hookfence::cli {
namespace {

using server::Config;
using server::ConfigLoad;

enum class Warnings { kPrint, kQuiet };

// Loads the file and prints its warnings to stderr (serve and check-config: they are about the
// gateway; send only borrows a source's secret); errors become the returned Status.
Result<Config> Load(const std::string& path, Warnings warnings = Warnings::kPrint) {
  ConfigLoad load = server::LoadConfigFile(path, server::ProcessEnv());
  if (warnings == Warnings::kPrint && !load.warnings.empty()) {
    std::cerr << server::FormatIssues(path, load.warnings, "warning");
  }
  if (!load.config) {
    return InvalidArgumentError("invalid configuration\n" +
                                server::FormatIssues(path, load.errors, "error"));
  }
  return std::move(*load.config);
}

// The wall clock moved by a fixed offset. HOOKFENCE_TEST_CLOCK_OFFSET_MS sets one for the
// several-gateways tests, which give one gateway a clock that runs ahead to show that
// max_clock_skew protects live leases. Never meant for production.
class OffsetClock : public Clock {
 public:
  explicit OffsetClock(Duration offset) : offset_(offset) {}
  Timestamp Now() const override { return Clock::Real()->Now() + offset_; }

 private:
  Duration offset_;
};

Status Serve(const std::string& path) {
  // Before any thread starts. Dozens of store threads (so that group commits gather large
  // batches) would each get a malloc arena of its own that keeps what it once held: in a soak the
  // gateway grew past 600 MB that way. Two arenas keep memory bounded by what is in use.
  mallopt(M_ARENA_MAX, 2);
  // Each connection's read buffer is 64 KiB or more. A fixed mmap threshold (glibc raises it
  // after the first such free) gives them back to the system when a burst of connections ends,
  // instead of leaving the heap at its high-water mark.
  mallopt(M_MMAP_THRESHOLD, 64 * 1024);
  HF_ASSIGN_OR_RETURN(Config config, Load(path));
  server::GatewayOptions options;
  std::unique_ptr<OffsetClock> offset_clock;
  if (const char* offset = std::getenv("HOOKFENCE_TEST_CLOCK_OFFSET_MS"); offset != nullptr) {
    const long long millis = std::strtoll(offset, nullptr, 10);
    offset_clock = std::make_unique<OffsetClock>(std::chrono::milliseconds(millis));
    options.clock = offset_clock.get();
    std::cerr << "warning: HOOKFENCE_TEST_CLOCK_OFFSET_MS is set: this gateway's clock runs "
              << millis << " ms off the wall clock (for tests only)\n";
  }
  options.config_path = path;
  options.handle_signals = true;
  HF_ASSIGN_OR_RETURN(auto gateway, server::Gateway::Create(config, options));
  HF_RETURN_IF_ERROR(gateway->Start());
  gateway->Wait();
  return Status::Ok();
}

Status CheckConfig(const std::string& path, std::ostream& out) {
  HF_ASSIGN_OR_RETURN(Config config, Load(path));
  out << path << ": OK (" << config.sources.size() << " source"
      << (config.sources.size() == 1 ? "" : "s") << ", store "
      << store::RedactStoreUrl(config.store.url) << ")\n";
  return Status::Ok();
}

std::string RandomId() {
  std::random_device device;
  return fmt::format("hookfence_test_{:016x}", (std::uint64_t{device()} << 32) | device());
}

// A small body in the provider's shape, carrying the event id where the provider keeps it.
std::string SampleBody(std::string_view provider, std::string_view id, Timestamp now) {
  const long long seconds = ToMicros(now) / 1000000;
  if (provider == "stripe") {
    return fmt::format(
        R"({{"id":"{}","object":"event","type":"hookfence.test","created":{},"data":{{"object":{{}}}}}})",
        id, seconds);
  }
  if (provider == "slack") {
    return fmt::format(
        R"({{"type":"event_callback","event_id":"{}","event_time":{},"event":{{"type":"hookfence_test"}}}})",
        id, seconds);
  }
  if (provider == "paddle") {
    return fmt::format(R"({{"event_id":"{}","event_type":"hookfence.test","data":{{}}}})", id);
  }
  if (provider == "square") {
    return fmt::format(R"({{"event_id":"{}","type":"hookfence.test","data":{{}}}})", id);
  }
  return fmt::format(R"({{"type":"hookfence.test","id":"{}","created":{}}})", id, seconds);
}

struct SendOptions {
  std::string config_path;
  std::string source;
  std::string body_file;
  std::string event_id;
  std::string url;
  bool insecure = false;
};

Status Send(const SendOptions& options, std::ostream& out) {
  HF_ASSIGN_OR_RETURN(Config config, Load(options.config_path, Warnings::kQuiet));
  const server::SourceConfig* source = nullptr;
  for (const auto& candidate : config.sources) {
    if (candidate.name == options.source) source = &candidate;
  }
  if (source == nullptr) return NotFoundError("no source named '" + options.source + "'");
  HF_ASSIGN_OR_RETURN(auto provider, MakeProvider(source->provider));
  const Timestamp now = Clock::Real()->Now();
  const std::string id = options.event_id.empty() ? RandomId() : options.event_id;
  std::string body;
  if (options.body_file.empty()) {
    body = SampleBody(source->provider.provider, id, now);
  } else {
    std::ifstream in(options.body_file, std::ios::binary);
    if (!in) return NotFoundError("cannot read " + options.body_file);
    std::ostringstream text;
    text << in.rdbuf();
    body = text.str();
  }
  std::string url = options.url;
  if (url.empty()) {
    std::string host = config.server.listen_host;
    if (host == "0.0.0.0") host = "127.0.0.1";
    if (host == "::") host = "::1";
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    url = fmt::format("{}://{}:{}/webhooks/{}", config.server.tls.enabled() ? "https" : "http",
                      host, config.server.listen_port, source->name);
  }
  HF_ASSIGN_OR_RETURN(server::Url target, server::ParseUrl(url));
  server::ClientOptions client;
  client.verify_tls = !options.insecure;
  Headers headers = provider->Sign(body, now, id);
  HF_ASSIGN_OR_RETURN(server::HttpResponse response,
                      server::SendRequest("POST", target, headers, body, client));
  out << response.status << " " << response.body << "\n";
  if (response.status < 200 || response.status > 299) {
    return UnavailableError(fmt::format("the gateway answered {}", response.status));
  }
  return Status::Ok();
}

}  // namespace

void AddServeCommands(CLI::App& app, Command* command) {
  auto path = std::make_shared<std::string>();
  CLI::App* serve = app.add_subcommand("serve", "Run the gateway");
  serve->add_option("--config,-c", *path, "Configuration file (TOML)")
      ->required()
      ->check(CLI::ExistingFile);
  serve->callback([command, path] { *command = [path](std::ostream&) { return Serve(*path); }; });

  auto check_path = std::make_shared<std::string>();
  CLI::App* check = app.add_subcommand("check-config", "Validate a configuration file");
  check->add_option("file", *check_path, "Configuration file (TOML)")->required();
  check->callback([command, check_path] {
    *command = [check_path](std::ostream& out) { return CheckConfig(*check_path, out); };
  });

  auto send_options = std::make_shared<SendOptions>();
  CLI::App* send = app.add_subcommand(
      "send", "Sign a body as a source's provider would and post it to the gateway");
  send->add_option("--config,-c", send_options->config_path, "Configuration file")->required();
  send->add_option("--source,-s", send_options->source, "Source name")->required();
  send->add_option("--body,-b", send_options->body_file,
                   "File with the raw body (default: a sample event in the provider's shape)");
  send->add_option("--event-id", send_options->event_id, "Event id to use (default: a random one)");
  send->add_option("--url", send_options->url,
                   "Where to post (default: the config's listen address)");
  send->add_flag("--insecure", send_options->insecure,
                 "Do not verify the gateway's TLS certificate");
  send->callback([command, send_options] {
    *command = [send_options](std::ostream& out) { return Send(*send_options, out); };
  });
}

}  // namespace hookfence::cli

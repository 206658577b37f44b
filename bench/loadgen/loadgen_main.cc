// hookfence_loadgen: sends correctly signed webhooks to a gateway and reports throughput and
// latency percentiles (docs/benchmarks.md §4).
//
//   hookfence_loadgen --port N [--host 127.0.0.1] (or --url http://HOST:PORT) [--source hooks]
//   [--provider hmac]
//                     [--secret S] [--connections 64] [--duration 10] [--warmup 1]
//                     [--rate 0] [--duplicates 0] [--body-size 0] [--events 0]
//                     [--id-prefix P] [--known 0] [--timeout 10]
//
// One thread, one io_context, --connections keep-alive connections. Before the clock starts it
// signs --events distinct events with hookfence's own signer (MakeProvider(...)->Sign), as the
// provider would, and keeps each one's request head; the body is shared and sent with writev.
// Only a provider that signs no timestamp (hmac, github, shopify, ...) stays valid however long
// the run; for the others the run must end within the provider's tolerance (300 s by default).
//
// --rate 0 is a closed loop: each connection sends its next request as soon as the previous answer
// arrives; latency is from send to answer. --rate R > 0 is an open loop: request k is due at
// start + k / R whether or not earlier answers came back; a due request waits for a free
// connection, and its latency is measured from the time it was due, so a stalled server shows in
// the percentiles (no coordinated omission). Due requests are handed out in ticks of at least 50
// µs.
//
// --duplicates p: each request repeats, with probability p, an event already sent (ids 0 .. known +
// sent - 1); --known K says events 0 .. K-1 of this --id-prefix were accepted by an earlier run,
// so new events start at K. The run stops early when the new events run out (--events, default:
// enough for 80,000/s closed loop or the open loop's rate).
//
// Only requests started (closed loop) or due (open loop) after the warmup count. Throughput is the
// answers received inside the measured window per second of it. Prints one human line and one JSON
// line: sent, accepted (200 "accepted"), queued (200 "queued"), duplicate (200 "duplicate"),
// overloaded (429), other (any other status), errors (no answer: connection error or --timeout),
// unsent (open loop: due but never sent before the drain deadline), throughput, p50/p99/p999/max
// in ms, and total_ok: 200 accepted+queued answers over the whole run, warmup included.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "bench/bench_env.h"
#include "bench/loadgen/latency_histogram.h"
#include "hookfence/clock.h"
#include "hookfence/providers.h"

namespace hookfence::bench {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Steady = std::chrono::steady_clock;
using boost::system::error_code;

constexpr std::size_t kReadBufferBytes = 64 * 1024;
// Where the sample event's id is; the load generator puts each event's own id there.
constexpr std::string_view kSampleId = "evt_3PqRsTuVwXyZ0123456789ab";

struct Options {
  std::string host = "127.0.0.1";
  std::string port;
  std::string source = "hooks";
  std::string provider = "hmac";
  std::string secret = "bench-secret-0123456789";
  int connections = 64;
  double duration_s = 10;
  double warmup_s = 1;
  double rate = 0;
  double duplicates = 0;
  std::size_t body_size = 0;
  std::uint64_t events = 0;
  std::string id_prefix;
  std::uint64_t known = 0;
  double timeout_s = 10;
};

// The body with its id cut out: prefix + id + suffix.
struct BodyTemplate {
  std::string prefix;
  std::string suffix;
};

BodyTemplate MakeBodyTemplate(std::size_t body_size, std::size_t id_size) {
  const std::string& sample = WebhookPayload().body;
  const std::size_t at = sample.find(kSampleId);
  BodyTemplate body{sample.substr(0, at), sample.substr(at + kSampleId.size())};
  if (body_size == 0) return body;
  const std::size_t base = body.prefix.size() + id_size + body.suffix.size();
  const std::string padding_key = ",\n  \"padding\": \"\"";
  if (body_size >= base + padding_key.size()) {
    // Insert a padding field before the last '}' of the sample event.
    const std::size_t close = body.suffix.rfind('}');
    body.suffix.insert(close, ",\n  \"padding\": \"" +
                                  std::string(body_size - base - padding_key.size(), 'x') + "\"");
    return body;
  }
  body.prefix = "{\"id\":\"";
  body.suffix = "\",\"type\":\"payment_intent.succeeded\",\"padding\":\"\"}";
  const std::size_t compact = body.prefix.size() + id_size + body.suffix.size();
  if (body_size > compact) body.suffix.insert(body.suffix.size() - 2, body_size - compact, 'x');
  return body;
}

// What the load generator counts, per window.
struct Counters {
  std::uint64_t sent = 0;
  std::uint64_t accepted = 0;
  std::uint64_t queued = 0;
  std::uint64_t duplicate = 0;
  std::uint64_t overloaded = 0;
  std::uint64_t other = 0;
  std::uint64_t errors = 0;
  std::map<int, std::uint64_t> other_statuses;
};

class LoadGenerator;

// One keep-alive connection with at most one request in flight.
class Connection {
 public:
  Connection(LoadGenerator* owner, asio::io_context& io) : owner_(owner), socket_(io) {}

  bool Connect(const tcp::resolver::results_type& endpoints);
  bool busy() const { return busy_; }
  Steady::time_point started() const { return start_; }
  // Sends event `event`; `start` is when it was sent or due, `measured` whether it counts.
  void Send(std::uint64_t event, Steady::time_point start, bool measured);
  // Gives up on the request in flight (timeout or end of run): counted as an error.
  void Abort();

 private:
  void OnWritten(const error_code& error, std::uint64_t generation);
  void ReadMore();
  void OnRead(const error_code& error, std::size_t bytes, std::uint64_t generation);
  // Parses one whole response from the buffer, if there is one; false on a malformed answer.
  bool TryParse(bool* complete);
  void Fail();

  LoadGenerator* owner_;
  tcp::socket socket_;
  tcp::resolver::results_type endpoints_;
  bool busy_ = false;
  bool measured_ = false;
  // Counts requests: a completion handler of an aborted request sees a newer generation and
  // leaves the connection alone.
  std::uint64_t generation_ = 0;
  Steady::time_point start_;
  std::array<char, kReadBufferBytes> buffer_{};
  std::size_t buffered_ = 0;
};

class LoadGenerator {
 public:
  explicit LoadGenerator(Options options) : options_(std::move(options)), tick_(io_) {}

  // Signs the events and connects; false (with a message on stderr) when that fails.
  bool Prepare();
  // Runs the load and prints the results; returns the process exit code.
  int Run();

  // --- Called by connections. ---
  const BodyTemplate& body() const { return body_; }
  const std::string& head(std::uint64_t event) const { return heads_[event]; }
  const std::string& id(std::uint64_t event) const { return ids_[event]; }
  // Counts one answer.
  void OnAnswer(int status, std::string_view body, bool measured, Steady::time_point start);
  // Counts a request that got no answer.
  void OnError(bool measured);
  // `connection` is free for the next request (nullptr: it could not reconnect and is out).
  void OnIdle(Connection* connection);

 private:
  std::string IdOf(std::uint64_t index) const;
  // The next event to send: a duplicate or the next new one; false when new events ran out.
  bool NextEvent(std::uint64_t* event);
  // Closed loop: gives `connection` its next request, or leaves it idle at the end.
  void SendNextClosed(Connection* connection);
  // Open loop: moves due requests into the backlog and hands them to idle connections.
  void DispatchDue();
  void OnTick();
  void ArmTick(Steady::time_point at);
  void CheckFinished();
  void Report();

  Options options_;
  asio::io_context io_;
  asio::steady_timer tick_;
  tcp::resolver::results_type endpoints_;
  std::unique_ptr<Provider> provider_;
  BodyTemplate body_;
  std::vector<std::string> heads_;
  std::vector<std::string> ids_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<Connection*> idle_;
  std::mt19937_64 rng_{42};
  std::bernoulli_distribution duplicate_{0};

  Steady::time_point start_;
  Steady::time_point window_start_;
  Steady::time_point window_end_;
  Steady::time_point drain_deadline_;
  Steady::time_point finished_at_;
  bool stopping_ = false;  // no new requests are issued
  bool ended_ = false;     // the drain deadline passed: what is still in flight is abandoned
  bool exhausted_ = false;
  std::uint64_t next_new_ = 0;  // new events sent so far
  // Open loop.
  std::chrono::nanoseconds interval_{0};
  std::uint64_t scheduled_ = 0;  // requests due so far (k of the schedule)
  std::uint64_t total_scheduled_ = 0;
  std::deque<Steady::time_point> backlog_;  // due times of requests waiting for a connection
  std::uint64_t unsent_ = 0;

  Counters window_;
  std::uint64_t window_answers_ = 0;  // answers received inside the window
  std::uint64_t total_ok_ = 0;
  LatencyHistogram latency_;
};

bool Connection::Connect(const tcp::resolver::results_type& endpoints) {
  endpoints_ = endpoints;
  error_code error;
  if (socket_.is_open()) socket_.close(error);
  asio::connect(socket_, endpoints, error);
  if (error) return false;
  socket_.set_option(tcp::no_delay(true), error);
  buffered_ = 0;
  return true;
}

void Connection::Send(std::uint64_t event, Steady::time_point start, bool measured) {
  busy_ = true;
  measured_ = measured;
  start_ = start;
  const std::uint64_t generation = ++generation_;
  const BodyTemplate& body = owner_->body();
  const std::array<asio::const_buffer, 4> buffers = {
      asio::buffer(owner_->head(event)), asio::buffer(body.prefix), asio::buffer(owner_->id(event)),
      asio::buffer(body.suffix)};
  asio::async_write(socket_, buffers, [this, generation](const error_code& error, std::size_t) {
    OnWritten(error, generation);
  });
}

void Connection::OnWritten(const error_code& error, std::uint64_t generation) {
  if (!busy_ || generation != generation_) return;  // aborted meanwhile
  if (error) {
    Fail();
    return;
  }
  ReadMore();
}

void Connection::ReadMore() {
  socket_.async_read_some(
      asio::buffer(buffer_.data() + buffered_, buffer_.size() - buffered_),
      [this, generation = generation_](const error_code& error, std::size_t bytes) {
        OnRead(error, bytes, generation);
      });
}

void Connection::OnRead(const error_code& error, std::size_t bytes, std::uint64_t generation) {
  if (!busy_ || generation != generation_) return;
  if (error) {
    Fail();
    return;
  }
  buffered_ += bytes;
  bool complete = false;
  if (!TryParse(&complete)) {
    Fail();
    return;
  }
  if (!complete) ReadMore();
}

bool Connection::TryParse(bool* complete) {
  const std::string_view data(buffer_.data(), buffered_);
  const std::size_t head_end = data.find("\r\n\r\n");
  if (head_end == std::string_view::npos) return buffered_ < buffer_.size();
  if (head_end < 12 || !data.starts_with("HTTP/1.")) return false;
  const int status = std::atoi(data.data() + 9);
  std::size_t length = 0;
  bool close = false;
  std::size_t line = data.find("\r\n") + 2;
  while (line < head_end) {
    const std::size_t eol = data.find("\r\n", line);
    const std::string_view header = data.substr(line, eol - line);
    const std::size_t colon = header.find(':');
    if (colon != std::string_view::npos) {
      const std::string_view name = header.substr(0, colon);
      std::string_view value = header.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      if (name.size() == 14 && strncasecmp(name.data(), "content-length", 14) == 0) {
        length = std::strtoull(std::string(value).c_str(), nullptr, 10);
      } else if (name.size() == 10 && strncasecmp(name.data(), "connection", 10) == 0) {
        close = value.size() >= 5 && strncasecmp(value.data(), "close", 5) == 0;
      }
    }
    line = eol + 2;
  }
  const std::size_t total = head_end + 4 + length;
  if (total > buffer_.size()) return false;
  if (buffered_ < total) return true;
  *complete = true;
  busy_ = false;
  const std::string_view answer_body = data.substr(head_end + 4, length);
  // The answer is counted before the buffer moves (answer_body points into it).
  owner_->OnAnswer(status, answer_body, measured_, start_);
  std::memmove(buffer_.data(), buffer_.data() + total, buffered_ - total);
  buffered_ -= total;
  owner_->OnIdle(!close || Connect(endpoints_) ? this : nullptr);
  return true;
}

void Connection::Fail() {
  busy_ = false;
  owner_->OnError(measured_);
  // A connection that cannot reconnect (the server is gone) stays out of the run.
  owner_->OnIdle(Connect(endpoints_) ? this : nullptr);
}

void Connection::Abort() {
  if (!busy_) return;
  ++generation_;
  Fail();
}

std::string LoadGenerator::IdOf(std::uint64_t index) const {
  char digits[24];
  std::snprintf(digits, sizeof digits, "%010llu", static_cast<unsigned long long>(index));
  return options_.id_prefix + "_" + digits;
}

bool LoadGenerator::Prepare() {
  ProviderConfig config;
  config.provider = options_.provider;
  config.secrets = {options_.secret};
  auto provider = MakeProvider(config);
  if (!provider.ok()) {
    std::fprintf(stderr, "hookfence_loadgen: %s\n", provider.status().ToString().c_str());
    return false;
  }
  provider_ = std::move(*provider);

  const double seconds = options_.duration_s + options_.warmup_s;
  if (options_.events == 0) {
    const double rate = options_.rate > 0 ? options_.rate : 80000;
    options_.events = static_cast<std::uint64_t>(rate * seconds * (1 - options_.duplicates)) + 1;
  }
  const std::uint64_t total = options_.known + options_.events;
  const std::size_t id_size = IdOf(0).size();
  body_ = MakeBodyTemplate(options_.body_size, id_size);
  const std::size_t body_size = body_.prefix.size() + id_size + body_.suffix.size();

  const auto sign_start = Steady::now();
  const Timestamp now = Clock::Real()->Now();
  const std::string request_line =
      "POST /webhooks/" + options_.source + " HTTP/1.1\r\nHost: " + options_.host + ":" +
      options_.port +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body_size) + "\r\n";
  heads_.resize(total);
  ids_.resize(total);
  std::string body;
  for (std::uint64_t i = 0; i < total; ++i) {
    ids_[i] = IdOf(i);
    body.assign(body_.prefix).append(ids_[i]).append(body_.suffix);
    std::string& head = heads_[i];
    head = request_line;
    for (const auto& [name, value] : provider_->Sign(body, now, ids_[i])) {
      head.append(name).append(": ").append(value).append("\r\n");
    }
    head += "\r\n";
  }
  std::fprintf(stderr, "hookfence_loadgen: signed %llu events (%zu-byte bodies) in %.1f s\n",
               static_cast<unsigned long long>(total), body_size,
               std::chrono::duration<double>(Steady::now() - sign_start).count());

  error_code error;
  tcp::resolver resolver(io_);
  endpoints_ = resolver.resolve(options_.host, options_.port, error);
  if (error) {
    std::fprintf(stderr, "hookfence_loadgen: resolve: %s\n", error.message().c_str());
    return false;
  }
  for (int i = 0; i < options_.connections; ++i) {
    auto connection = std::make_unique<Connection>(this, io_);
    if (!connection->Connect(endpoints_)) {
      std::fprintf(stderr, "hookfence_loadgen: cannot connect to %s:%s\n", options_.host.c_str(),
                   options_.port.c_str());
      return false;
    }
    idle_.push_back(connection.get());
    connections_.push_back(std::move(connection));
  }
  duplicate_ = std::bernoulli_distribution(options_.duplicates);
  return true;
}

bool LoadGenerator::NextEvent(std::uint64_t* event) {
  const std::uint64_t sent = options_.known + next_new_;
  if (sent > 0 && duplicate_(rng_)) {
    *event = std::uniform_int_distribution<std::uint64_t>(0, sent - 1)(rng_);
    return true;
  }
  if (next_new_ >= options_.events) {
    exhausted_ = true;
    return false;
  }
  *event = sent;
  ++next_new_;
  return true;
}

void LoadGenerator::SendNextClosed(Connection* connection) {
  const auto now = Steady::now();
  std::uint64_t event = 0;
  if (stopping_ || now >= window_end_ || !NextEvent(&event)) {
    if (!stopping_) {
      stopping_ = true;
      finished_at_ = std::min(now, window_end_);
    }
    idle_.push_back(connection);
    return;
  }
  const bool measured = now >= window_start_;
  if (measured) ++window_.sent;
  connection->Send(event, now, measured);
}

void LoadGenerator::DispatchDue() {
  const auto now = Steady::now();
  while (scheduled_ < total_scheduled_) {
    const auto due = start_ + interval_ * static_cast<std::int64_t>(scheduled_);
    if (due > now) break;
    backlog_.push_back(due);
    ++scheduled_;
  }
  while (!backlog_.empty() && !idle_.empty()) {
    std::uint64_t event = 0;
    if (!NextEvent(&event)) {
      unsent_ += std::count_if(backlog_.begin(), backlog_.end(),
                               [this](auto due) { return due >= window_start_; });
      backlog_.clear();
      scheduled_ = total_scheduled_;
      stopping_ = true;
      finished_at_ = std::min(now, window_end_);
      break;
    }
    const auto due = backlog_.front();
    backlog_.pop_front();
    Connection* connection = idle_.back();
    idle_.pop_back();
    const bool measured = due >= window_start_;
    if (measured) ++window_.sent;
    connection->Send(event, due, measured);
  }
}

void LoadGenerator::ArmTick(Steady::time_point at) {
  tick_.expires_at(at);
  tick_.async_wait([this](const error_code& error) {
    if (!error) OnTick();
  });
}

void LoadGenerator::OnTick() {
  const auto now = Steady::now();
  if (now >= drain_deadline_) {
    ended_ = true;
    for (const auto& connection : connections_) connection->Abort();
    unsent_ += std::count_if(backlog_.begin(), backlog_.end(),
                             [this](auto due) { return due >= window_start_; });
    if (options_.rate > 0) {
      // Requests of the window whose due time never came around count as unsent too.
      for (std::uint64_t k = scheduled_; k < total_scheduled_; ++k) {
        if (start_ + interval_ * static_cast<std::int64_t>(k) >= window_start_) ++unsent_;
      }
    }
    backlog_.clear();
    io_.stop();
    return;
  }
  // Requests older than --timeout are given up (the connection is reopened).
  const auto timeout = std::chrono::duration_cast<Steady::duration>(
      std::chrono::duration<double>(options_.timeout_s));
  for (const auto& connection : connections_) {
    if (connection->busy() && now - connection->started() > timeout) connection->Abort();
  }
  if (options_.rate > 0) {
    DispatchDue();
    if (!stopping_ && scheduled_ >= total_scheduled_) {
      stopping_ = true;
      finished_at_ = window_end_;
    }
  } else if (!stopping_ && now >= window_end_) {
    stopping_ = true;
    finished_at_ = window_end_;
  }
  CheckFinished();
  if (io_.stopped()) return;
  auto next = now + std::chrono::milliseconds(100);
  if (options_.rate > 0 && scheduled_ < total_scheduled_) {
    next = std::max(start_ + interval_ * static_cast<std::int64_t>(scheduled_),
                    now + std::chrono::microseconds(50));
  }
  if (!stopping_ && options_.rate <= 0) next = std::min(next, window_end_);
  ArmTick(next);
}

void LoadGenerator::CheckFinished() {
  if (ended_ || !stopping_ || !backlog_.empty()) return;
  for (const auto& connection : connections_) {
    if (connection->busy()) return;
  }
  tick_.cancel();
  io_.stop();
}

void LoadGenerator::OnIdle(Connection* connection) {
  if (connection != nullptr && !ended_) {
    if (options_.rate > 0) {
      idle_.push_back(connection);
      DispatchDue();
    } else {
      SendNextClosed(connection);
    }
  }
  CheckFinished();
}

void LoadGenerator::OnAnswer(int status, std::string_view body, bool measured,
                             Steady::time_point start) {
  const auto now = Steady::now();
  const bool is_ok = status == 200 && body.find("\"duplicate\"") == std::string_view::npos;
  if (is_ok) ++total_ok_;
  if (now >= window_start_ && now < window_end_) ++window_answers_;
  if (!measured) return;
  latency_.Record(std::chrono::duration_cast<std::chrono::nanoseconds>(now - start).count());
  if (status == 200) {
    if (!is_ok) {
      ++window_.duplicate;
    } else if (body.find("\"queued\"") != std::string_view::npos) {
      ++window_.queued;
    } else {
      ++window_.accepted;
    }
  } else if (status == 429) {
    ++window_.overloaded;
  } else {
    ++window_.other;
    ++window_.other_statuses[status];
  }
}

void LoadGenerator::OnError(bool measured) {
  if (measured) ++window_.errors;
}

int LoadGenerator::Run() {
  const auto to_duration = [](double seconds) {
    return std::chrono::duration_cast<Steady::duration>(std::chrono::duration<double>(seconds));
  };
  start_ = Steady::now();
  window_start_ = start_ + to_duration(options_.warmup_s);
  window_end_ = window_start_ + to_duration(options_.duration_s);
  drain_deadline_ = window_end_ + to_duration(options_.timeout_s);
  if (options_.rate > 0) {
    interval_ = std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / options_.rate));
    total_scheduled_ = static_cast<std::uint64_t>(
        std::llround(options_.rate * (options_.warmup_s + options_.duration_s)));
    OnTick();
  } else {
    std::vector<Connection*> all;
    all.swap(idle_);
    for (Connection* connection : all) SendNextClosed(connection);
    ArmTick(start_ + std::chrono::milliseconds(100));
  }
  io_.run();
  if (!stopping_) finished_at_ = window_end_;
  Report();
  return 0;
}

void LoadGenerator::Report() {
  const double window_s = std::max(
      1e-9,
      std::chrono::duration<double>(std::min(finished_at_, window_end_) - window_start_).count());
  const double throughput = static_cast<double>(window_answers_) / window_s;
  const auto ms = [this](double q) { return static_cast<double>(latency_.ValueAt(q)) / 1e6; };
  std::string others;
  for (const auto& [status, count] : window_.other_statuses) {
    others += (others.empty() ? "" : ",") + std::string("\"") + std::to_string(status) +
              "\":" + std::to_string(count);
  }
  const std::string mode = options_.rate > 0 ? "open" : "closed";
  std::printf(
      "%s loop, %d connections%s: %.0f answers/s over %.1f s; latency p50 %.3f ms, p99 %.3f ms, "
      "p999 %.3f ms, max %.3f ms; sent %llu: accepted %llu, queued %llu, duplicate %llu, "
      "429 %llu, other %llu, errors %llu, unsent %llu%s\n",
      mode.c_str(), options_.connections,
      options_.rate > 0
          ? (" at " + std::to_string(static_cast<long long>(options_.rate)) + "/s").c_str()
          : "",
      throughput, window_s, ms(0.5), ms(0.99), ms(0.999), static_cast<double>(latency_.max()) / 1e6,
      static_cast<unsigned long long>(window_.sent),
      static_cast<unsigned long long>(window_.accepted),
      static_cast<unsigned long long>(window_.queued),
      static_cast<unsigned long long>(window_.duplicate),
      static_cast<unsigned long long>(window_.overloaded),
      static_cast<unsigned long long>(window_.other),
      static_cast<unsigned long long>(window_.errors), static_cast<unsigned long long>(unsent_),
      exhausted_ ? " (new events ran out: raise --events)" : "");
  std::printf(
      "{\"mode\":\"%s\",\"rate\":%.0f,\"connections\":%d,\"duplicates\":%.3f,\"window_s\":%.3f,"
      "\"sent\":%llu,\"accepted\":%llu,\"queued\":%llu,\"duplicate\":%llu,\"overloaded\":%llu,"
      "\"other\":%llu,\"other_statuses\":{%s},\"errors\":%llu,\"unsent\":%llu,"
      "\"throughput\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f,"
      "\"total_ok\":%llu,\"new_events\":%llu,\"exhausted\":%s}\n",
      mode.c_str(), options_.rate, options_.connections, options_.duplicates, window_s,
      static_cast<unsigned long long>(window_.sent),
      static_cast<unsigned long long>(window_.accepted),
      static_cast<unsigned long long>(window_.queued),
      static_cast<unsigned long long>(window_.duplicate),
      static_cast<unsigned long long>(window_.overloaded),
      static_cast<unsigned long long>(window_.other), others.c_str(),
      static_cast<unsigned long long>(window_.errors), static_cast<unsigned long long>(unsent_),
      throughput, ms(0.5), ms(0.99), ms(0.999), static_cast<double>(latency_.max()) / 1e6,
      static_cast<unsigned long long>(total_ok_), static_cast<unsigned long long>(next_new_),
      exhausted_ ? "true" : "false");
  std::fflush(stdout);
}

int Usage() {
  std::fputs(
      "usage: hookfence_loadgen --port N [--host H] [--source S] [--provider P] [--secret S]\n"
      "         [--connections C] [--duration SECONDS] [--warmup SECONDS] [--rate R (0: closed "
      "loop)]\n"
      "         [--duplicates RATIO] [--body-size BYTES] [--events N] [--id-prefix P] "
      "[--known K]\n"
      "         [--timeout SECONDS]\n",
      stderr);
  return 2;
}

bool ParseNumber(const char* text, double* out) {
  char* end = nullptr;
  *out = std::strtod(text, &end);
  return end != text && *end == '\0' && std::isfinite(*out) && *out >= 0;
}

}  // namespace
}  // namespace hookfence::bench

int main(int argc, char** argv) {
  // Thousands of connections (the latency curve opens 2,048): the soft descriptor limit is often
  // 1,024, the hard one far higher.
  if (rlimit limit{}; getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  using hookfence::bench::ParseNumber;
  using hookfence::bench::Usage;
  hookfence::bench::Options options;
  options.id_prefix = "evt_" + std::to_string(::getpid()) + "_" +
                      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count());
  if (argc % 2 == 0) return Usage();
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const char* value = argv[i + 1];
    double number = 0;
    const bool numeric = ParseNumber(value, &number);
    if (flag == "--host") {
      options.host = value;
    } else if (flag == "--port") {
      options.port = value;
    } else if (flag == "--url") {
      // http://HOST:PORT[/...]
      std::string_view url = value;
      if (url.starts_with("http://")) url.remove_prefix(7);
      url = url.substr(0, url.find('/'));
      const std::size_t colon = url.rfind(':');
      if (colon == std::string_view::npos) return Usage();
      options.host = std::string(url.substr(0, colon));
      options.port = std::string(url.substr(colon + 1));
    } else if (flag == "--source") {
      options.source = value;
    } else if (flag == "--provider") {
      options.provider = value;
    } else if (flag == "--secret") {
      options.secret = value;
    } else if (flag == "--id-prefix") {
      options.id_prefix = value;
    } else if (!numeric) {
      return Usage();
    } else if (flag == "--connections") {
      options.connections = static_cast<int>(number);
    } else if (flag == "--duration") {
      options.duration_s = number;
    } else if (flag == "--warmup") {
      options.warmup_s = number;
    } else if (flag == "--rate") {
      options.rate = number;
    } else if (flag == "--duplicates") {
      options.duplicates = number;
    } else if (flag == "--body-size") {
      options.body_size = static_cast<std::size_t>(number);
    } else if (flag == "--events") {
      options.events = static_cast<std::uint64_t>(number);
    } else if (flag == "--known") {
      options.known = static_cast<std::uint64_t>(number);
    } else if (flag == "--timeout") {
      options.timeout_s = number;
    } else {
      return Usage();
    }
  }
  if (options.port.empty() || options.connections < 1 || options.duplicates > 1 ||
      options.duration_s <= 0 || options.timeout_s <= 0) {
    return Usage();
  }
  hookfence::bench::LoadGenerator generator(std::move(options));
  if (!generator.Prepare()) return 1;
  return generator.Run();
}

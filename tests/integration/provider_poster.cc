#include "tests/integration/provider_poster.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tests/integration/gateway_fixture.h"
#include "tests/integration/serve_process.h"

namespace hookfence::testing {

using namespace std::chrono_literals;

double SecondsSince(Steady::time_point start) {
  return std::chrono::duration<double>(Steady::now() - start).count();
}

bool WaitUntil(const std::function<bool()>& condition, Duration timeout) {
  const auto deadline = Steady::now() + timeout;
  while (!condition()) {
    if (Steady::now() > deadline) return false;
    PollPause();
  }
  return true;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string Answer::Outcome() const {
  boost::json::error_code error;
  boost::json::value value = boost::json::parse(body, error);
  if (error || !value.is_object()) return "";
  const boost::json::value* field = value.as_object().if_contains("status");
  return field != nullptr && field->is_string() ? std::string(field->as_string()) : "";
}

Poster::Poster(const std::atomic<std::uint16_t>* port, std::string source)
    : port_(port), source_(std::move(source)) {
  ProviderConfig config;
  config.provider = "hmac";
  config.secrets = {kSecret};
  auto provider = MakeProvider(config);
  EXPECT_TRUE(provider.ok()) << provider.status();
  if (provider.ok()) provider_ = std::move(*provider);
}

Poster::~Poster() { Close(); }

Answer Poster::PostTo(std::uint16_t port, const std::string& event_id, const std::string& body) {
  Answer answer;
  if (provider_ == nullptr) return answer;
  if (fd_ >= 0 && connected_port_ != port) Close();
  if (fd_ < 0) {
    fd_ = ConnectTo(port);
    if (fd_ < 0) return answer;
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    connected_port_ = port;
    buffer_.clear();
  }
  std::string request =
      "POST /webhooks/" + source_ +
      " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  for (const auto& [name, value] :
       provider_->Sign(body, hookfence::Clock::Real()->Now(), event_id)) {
    request += name + ": " + value + "\r\n";
  }
  request += "\r\n";
  request += body;
  bool close = false;
  if (!WriteAll(fd_, request) || !ReadAnswer(&answer, &close)) {
    Close();
    return Answer{};
  }
  if (close) Close();
  return answer;
}

Answer Poster::PostUntilAccepted(const std::string& event_id, const std::string& body,
                                 Duration timeout) {
  const auto deadline = Steady::now() + timeout;
  for (;;) {
    Answer answer = Post(event_id, body);
    if (answer.status == 200 || Steady::now() > deadline) return answer;
    if (answer.status != 0 && answer.status != 429 && answer.status != 503) return answer;
    PollPause();
  }
}

void Poster::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

// Receives more bytes into buffer_, waiting at most 10 s.
bool Poster::Receive() {
  pollfd pfd{fd_, POLLIN, 0};
  if (poll(&pfd, 1, 10000) <= 0) return false;
  char chunk[16384];
  const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0) return false;
  buffer_.append(chunk, static_cast<std::size_t>(n));
  return true;
}

// Reads one response (Content-Length framed, as the gateway always answers).
bool Poster::ReadAnswer(Answer* answer, bool* close) {
  std::size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!Receive()) return false;
  }
  const std::string head = buffer_.substr(0, header_end);
  if (head.size() < 12 || head.compare(0, 5, "HTTP/") != 0) return false;
  answer->status = std::atoi(head.c_str() + 9);
  std::size_t length = 0;
  std::istringstream lines(head);
  std::string line;
  std::getline(lines, line);
  while (std::getline(lines, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    std::string value = line.substr(colon + 1);
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    std::transform(value.begin(), value.end(), value.begin(), ::tolower);
    if (name == "content-length") length = std::stoul(value);
    if (name == "connection" && value.find("close") != std::string::npos) *close = true;
  }
  while (buffer_.size() < header_end + 4 + length) {
    if (!Receive()) return false;
  }
  answer->body = buffer_.substr(header_end + 4, length);
  buffer_.erase(0, header_end + 4 + length);
  return true;
}

std::string Body(const std::string& event_id, const std::string& object_id) {
  std::string body = R"({"id":")" + event_id + R"(","type":"invoice.paid")";
  if (!object_id.empty()) body += R"(,"data":{"object":{"id":")" + object_id + R"("}})";
  return body + "}";
}

void AnswerTally::Add(const Answer& answer) {
  const std::string outcome =
      answer.status == 200 ? answer.Outcome() : "http " + std::to_string(answer.status);
  std::lock_guard lock(mu_);
  ++counts_[outcome];
}

std::size_t AnswerTally::Count(const std::string& outcome) const {
  std::lock_guard lock(mu_);
  auto it = counts_.find(outcome);
  return it == counts_.end() ? 0 : it->second;
}

std::string AnswerTally::ToString() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [outcome, count] : counts_) out += outcome + "=" + std::to_string(count) + " ";
  return out;
}

double MetricValue(const std::string& metrics, const std::string& series) {
  std::size_t at = 0;
  while ((at = metrics.find(series + " ", at)) != std::string::npos) {
    if (at == 0 || metrics[at - 1] == '\n') {
      return std::strtod(metrics.c_str() + at + series.size() + 1, nullptr);
    }
    at += series.size();
  }
  return -1;
}

std::map<std::string, std::vector<ReceivedRequest>> ByKey(
    const std::vector<ReceivedRequest>& requests) {
  std::map<std::string, std::vector<ReceivedRequest>> groups;
  for (const ReceivedRequest& request : requests) {
    groups[std::string(request.Header("Idempotency-Key").value_or(""))].push_back(request);
  }
  for (auto& [key, group] : groups) {
    std::sort(group.begin(), group.end(),
              [](const auto& a, const auto& b) { return a.sequence < b.sequence; });
  }
  return groups;
}

std::uint64_t HeaderNumber(const ReceivedRequest& request, std::string_view name) {
  auto value = request.Header(name);
  return value ? std::stoull(std::string(*value)) : 0;
}

std::string KeyOf(const std::string& event_id) {
  return std::string(kProcessTestSource) + ":" + event_id;
}

std::string Deliveries(const std::string& outcome) {
  return std::string("hookfence_deliveries_total{source=\"") + kProcessTestSource +
         "\",outcome=\"" + outcome + "\"}";
}

std::string ProcessTestConfig(const std::string& store_url, const std::string& destination,
                              const std::string& store_keys, const std::string& source_keys) {
  const auto has = [&](const char* key) { return store_keys.find(key) != std::string::npos; };
  return std::string("[server]\nlisten = \"127.0.0.1:0\"\nthreads = 2\nlog_level = \"info\"\n") +
         "admin_token = \"" + kAdminToken + "\"\n[store]\nurl = \"" + store_url + "\"\n" +
         (has("max_clock_skew") ? "" : "max_clock_skew = \"200ms\"\n") +
         (has("lease =") ? "" : "lease = \"2s\"\n") + store_keys +
         "[delivery]\npoll_interval = \"50ms\"\nshutdown_grace = \"1s\"\n" +
         "[[sources]]\nname = \"" + kProcessTestSource + "\"\nprovider = \"hmac\"\nsecrets = [\"" +
         kSecret + "\"]\ndestination = \"" + destination + "\"\n" +
         "backoff_base = \"50ms\"\nbackoff_max = \"200ms\"\nconnect_timeout = \"500ms\"\n" +
         (source_keys.find("response_timeout") == std::string::npos
              ? "response_timeout = \"500ms\"\n"
              : "") +
         "breaker_cool_down = \"200ms\"\nbreaker_max_cool_down = \"1s\"\n" + source_keys;
}

bool Drained(const std::string& metrics) {
  return MetricValue(metrics, "hookfence_due_events{when=\"now\"}") == 0 &&
         MetricValue(metrics, "hookfence_due_events{when=\"later\"}") == 0 &&
         MetricValue(metrics, "hookfence_leased_events") == 0 &&
         MetricValue(metrics, "hookfence_dead_letters") == 0;
}

server::HttpResponse AdminCall(std::uint16_t port, const std::string& method,
                               const std::string& target) {
  server::Url url{false, "127.0.0.1", std::to_string(port), target};
  auto response = server::SendRequest(
      method, url, {{"Authorization", std::string("Bearer ") + kAdminToken}}, "");
  return response.ok() ? *response
                       : server::HttpResponse{0, {}, response.status().ToString(), false, nullptr};
}

std::string MetricsOf(std::uint16_t port) {
  server::Url url{false, "127.0.0.1", std::to_string(port), "/metrics"};
  auto response = server::SendRequest("GET", url, {}, "");
  return response.ok() && response->status == 200 ? response->body : "";
}

}  // namespace hookfence::testing

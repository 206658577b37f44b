// hookfence_test_sink: the TestSink as a process, for whole-process tests.
//
//   hookfence_test_sink --port N [--fail-rate p --seed s]
//
// Prints {"listening":<port>} first, then one JSON line per received request, to stdout
// (flushed per line). With --fail-rate, each request is answered 503 with probability p from a
// generator seeded with s. Runs until SIGINT or SIGTERM.
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>

#include "src/core/json_quote.h"
#include "testing/test_sink.h"

namespace {

using hookfence::internal::JsonQuote;
using hookfence::testing::ReceivedRequest;

std::mutex output_mu;
const auto program_start = std::chrono::steady_clock::now();

void PrintLine(const std::string& line) {
  std::lock_guard lock(output_mu);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

std::string ToJson(const ReceivedRequest& request) {
  std::string headers;
  for (const auto& [name, value] : request.headers) {
    headers += std::string(headers.empty() ? "" : ",") + "[" + JsonQuote(name) + "," +
               JsonQuote(value) + "]";
  }
  const auto arrived_us =
      std::chrono::duration_cast<std::chrono::microseconds>(request.arrived_at - program_start)
          .count();
  return "{\"sequence\":" + std::to_string(request.sequence) +
         ",\"connection\":" + std::to_string(request.connection) +
         ",\"method\":" + JsonQuote(request.method) + ",\"target\":" + JsonQuote(request.target) +
         ",\"headers\":[" + headers + "],\"body\":" + JsonQuote(request.body) +
         ",\"answer_status\":" + std::to_string(request.answer_status) +
         ",\"arrived_us\":" + std::to_string(arrived_us) + "}";
}

int Usage() {
  std::fputs("usage: hookfence_test_sink --port N [--fail-rate p --seed s]\n", stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  long port = -1;
  double fail_rate = 0;
  unsigned long long seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    char* end = nullptr;
    if (flag == "--port") {
      port = std::strtol(argv[i + 1], &end, 10);
    } else if (flag == "--fail-rate") {
      fail_rate = std::strtod(argv[i + 1], &end);
    } else if (flag == "--seed") {
      seed = std::strtoull(argv[i + 1], &end, 10);
    } else {
      return Usage();
    }
    if (end == argv[i + 1] || *end != '\0') {
      return Usage();
    }
  }
  if (argc % 2 == 0 || port < 0 || port > 65535 || fail_rate < 0 || fail_rate > 1) {
    return Usage();
  }

  // Blocked before the sink's threads start, so they inherit the mask and sigwait gets them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  hookfence::testing::TestSink::Options options;
  options.port = static_cast<std::uint16_t>(port);
  options.on_record = [](const ReceivedRequest& request) { PrintLine(ToJson(request)); };
  hookfence::testing::TestSink sink(std::move(options));
  if (fail_rate > 0) {
    sink.AnswerWithProbability(fail_rate, hookfence::testing::StatusReply(503), seed);
  }
  auto bound = sink.Start();
  if (!bound.ok()) {
    std::fprintf(stderr, "hookfence_test_sink: %s\n", bound.status().message().c_str());
    return 1;
  }
  PrintLine("{\"listening\":" + std::to_string(*bound) + "}");
  int received = 0;
  sigwait(&signals, &received);
  sink.Stop();
  return 0;
}

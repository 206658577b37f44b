// Durability of the SQLite store across a kill -9: a child process accepts, begins, completes and
// claims from 8 threads and reports every acknowledged call through a pipe; the test SIGKILLs it
// mid-flight, reopens the database and checks that every acknowledged call's effect is there.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "hookfence/store.h"
#include "testing/scratch_dir.h"

extern char** environ;

namespace hookfence {
namespace {

struct Ack {
  char what;
  std::string key;
  std::uint64_t fence;
};

std::vector<Ack> ParseAcks(const std::string& output) {
  std::vector<Ack> acks;
  std::istringstream in(output.substr(0, output.rfind('\n') + 1));  // drop a torn last line
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    Ack ack{};
    fields >> ack.what >> ack.key >> ack.fence;
    if (fields) acks.push_back(ack);
  }
  return acks;
}

TEST(SqliteDurabilityTest, KillNineLosesNoAcknowledgedCall) {
  testing::ScratchDir dir;
  const std::string db = dir.File("crash.db");
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    int out[2];
    ASSERT_EQ(pipe(out), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    std::string child = HOOKFENCE_CRASH_CHILD;
    std::vector<char*> argv{child.data(), const_cast<char*>(db.c_str()), nullptr};
    pid_t pid = 0;
    ASSERT_EQ(posix_spawn(&pid, child.c_str(), &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);

    // Read until enough calls were acknowledged (with a deadline), then kill without warning.
    std::string output;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    char buffer[65536];
    std::size_t lines = 0;
    while (lines < 3000 && std::chrono::steady_clock::now() < deadline) {
      pollfd p{out[0], POLLIN, 0};
      if (poll(&p, 1, 1000) <= 0) continue;
      ssize_t n = read(out[0], buffer, sizeof buffer);
      if (n <= 0) break;
      output.append(buffer, static_cast<std::size_t>(n));
      lines += static_cast<std::size_t>(std::count(buffer, buffer + n, '\n'));
    }
    kill(pid, SIGKILL);
    int wstatus = 0;
    waitpid(pid, &wstatus, 0);
    ASSERT_TRUE(WIFSIGNALED(wstatus)) << "the child exited by itself: " << wstatus;
    // Whatever the child wrote before it died was acknowledged too.
    for (ssize_t n; (n = read(out[0], buffer, sizeof buffer)) > 0;) {
      output.append(buffer, static_cast<std::size_t>(n));
    }
    close(out[0]);

    std::vector<Ack> acks = ParseAcks(output);
    ASSERT_GE(acks.size(), 3000u);
    auto store = OpenStore("sqlite://" + db);
    ASSERT_TRUE(store.ok()) << store.status();
    std::map<char, int> counts;
    for (const Ack& ack : acks) {
      ++counts[ack.what];
      auto record = (*store)->Get(ack.key);
      ASSERT_TRUE(record.ok()) << ack.what << " " << ack.key << " lost: " << record.status();
      EXPECT_GE(record->fence, ack.fence) << ack.key;
      if (ack.what == 'F') {
        EXPECT_EQ(record->state, State::kCompleted) << ack.key;
      }
      if (ack.what == 'A' || ack.what == 'C') {
        EXPECT_EQ(record->driver, Driver::kDispatcher) << ack.key;
        EXPECT_TRUE(record->payload.has_value()) << ack.key;
      }
      if (ack.what == 'B') {
        EXPECT_EQ(record->driver, Driver::kCaller) << ack.key;
      }
    }
    std::cout << "[ kill -9  ] round " << round << ": " << acks.size()
              << " acknowledged calls checked (A " << counts['A'] << ", Q " << counts['Q'] << ", B "
              << counts['B'] << ", F " << counts['F'] << ", C " << counts['C'] << ")\n";
  }
}

}  // namespace
}  // namespace hookfence

// Runs `hookfence serve` as a child process for whole-process tests (SIGKILL, SIGHUP, send).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace hookfence::testing {

class ServeProcess {
 public:
  // Writes nothing; `config_path` must exist. Output goes to `log_path`.
  ServeProcess(std::string config_path, std::string log_path);
  ~ServeProcess();  // SIGKILLs a process still running

  // Starts the process and waits (polling, with a deadline) until it logs its port and answers
  // /healthz. False on failure.
  bool Start();
  // Adds NAME=value to the environment of the next Start (after the test process's own).
  void AddEnv(std::string assignment) { extra_env_.push_back(std::move(assignment)); }
  void Signal(int signal);
  // Waits for the process to exit; returns its wait status.
  int WaitExit();
  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string Log() const;

 private:
  std::string config_path_;
  std::string log_path_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::size_t log_offset_ = 0;
  std::vector<std::string> extra_env_;  // where this run's output starts in the log
};

// The period of a polling loop that waits for a condition with a deadline (10 ms): it yields the
// CPU to the process being waited for; it is never what makes a test pass.
void PollPause();

// Runs a command to completion, capturing stdout+stderr; returns its exit code (-1 on failure).
int RunCommand(const std::vector<std::string>& argv, std::string* output);

// Runs `hookfence events ARGS...` with the HOOKFENCE_* variables removed from its environment,
// so only what the test passes counts.
int RunEventsCommand(const std::vector<std::string>& args, std::string* output);

}  // namespace hookfence::testing

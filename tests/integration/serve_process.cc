#include "tests/integration/serve_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "src/server/http_client.h"

extern char** environ;

namespace hookfence::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

pid_t Spawn(const std::vector<std::string>& argv, int out_fd,
            const std::vector<std::string>& extra_env) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDERR_FILENO);
  // Nothing else of the test process goes to the child: sockets are not opened close-on-exec, and
  // an inherited listener (a TestSink's) would keep that port taken and accepting after the test
  // closed it.
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> env;
  for (char** e = environ; *e != nullptr; ++e) env.push_back(*e);
  for (const auto& e : extra_env) env.push_back(const_cast<char*>(e.c_str()));
  env.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, args[0], &actions, nullptr, args.data(), env.data()) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

}  // namespace

void PollPause() { poll(nullptr, 0, 10); }

ServeProcess::ServeProcess(std::string config_path, std::string log_path)
    : config_path_(std::move(config_path)), log_path_(std::move(log_path)) {}

ServeProcess::~ServeProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

bool ServeProcess::Start() {
  // A restart binds a new port (listen port 0): read it from this run's log only.
  log_offset_ = ReadFile(log_path_).size();
  port_ = 0;
  int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) return false;
  pid_ = Spawn({HOOKFENCE_BINARY, "serve", "--config", config_path_}, fd, extra_env_);
  close(fd);
  if (pid_ <= 0) return false;
  const std::regex listening("listening on [^ ]*:([0-9]+)");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return false;  // exited: the log says why
    }
    std::smatch match;
    std::string log = Log();
    if (port_ == 0 && std::regex_search(log, match, listening)) {
      port_ = static_cast<std::uint16_t>(std::stoi(match[1]));
    }
    if (port_ != 0) {
      server::Url url{false, "127.0.0.1", std::to_string(port_), "/healthz"};
      auto response = server::SendRequest("GET", url, {}, "");
      if (response.ok() && response->status == 200) return true;
    }
    PollPause();
  }
  return false;
}

void ServeProcess::Signal(int signal) {
  if (pid_ > 0) kill(pid_, signal);
}

int ServeProcess::WaitExit() {
  int status = 0;
  if (pid_ > 0) waitpid(pid_, &status, 0);
  pid_ = -1;
  port_ = 0;
  return status;
}

std::string ServeProcess::Log() const { return ReadFile(log_path_).substr(log_offset_); }

int RunCommand(const std::vector<std::string>& argv, std::string* output) {
  char path[] = "/tmp/hookfence-cmd-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return -1;
  pid_t pid = Spawn(argv, fd, {});
  close(fd);
  int status = 0;
  if (pid <= 0 || waitpid(pid, &status, 0) != pid) {
    unlink(path);
    return -1;
  }
  if (output != nullptr) *output = ReadFile(path);
  unlink(path);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int RunEventsCommand(const std::vector<std::string>& args, std::string* output) {
  std::vector<std::string> argv = {"/usr/bin/env",
                                   "-u",
                                   "HOOKFENCE_STORE",
                                   "-u",
                                   "HOOKFENCE_GATEWAY",
                                   "-u",
                                   "HOOKFENCE_ADMIN_TOKEN",
                                   HOOKFENCE_BINARY,
                                   "events"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, output);
}

}  // namespace hookfence::testing

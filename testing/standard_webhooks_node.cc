#include "testing/standard_webhooks_node.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "src/core/json_quote.h"

extern char** environ;

namespace hookfence::testing {

std::string StandardWebhooksRequestsJson(std::string_view secret,
                                         const std::vector<SignedRequest>& requests) {
  using internal::JsonQuote;
  std::string json = "{\"secret\":" + JsonQuote(secret) + ",\"requests\":[";
  for (std::size_t i = 0; i < requests.size(); ++i) {
    json += i == 0 ? "{\"headers\":{" : ",{\"headers\":{";
    const Headers& headers = requests[i].headers;
    for (std::size_t h = 0; h < headers.size(); ++h) {
      json +=
          (h == 0 ? "" : ",") + JsonQuote(headers[h].first) + ":" + JsonQuote(headers[h].second);
    }
    json += "},\"body\":" + JsonQuote(requests[i].body) + "}";
  }
  return json + "]}";
}

NodeRun VerifyWithStandardWebhooksPackage(const std::string& node_dir, std::string_view secret,
                                          const std::vector<SignedRequest>& requests,
                                          const ScratchDir& dir) {
  NodeRun run;
  if (!std::filesystem::exists(node_dir + "/node_modules/standardwebhooks/package.json")) {
    ADD_FAILURE() << node_dir << "/node_modules has no standardwebhooks package: run "
                  << "`npm ci --prefix tests/node` (scripts/test.sh does)";
    return run;
  }
  const std::string input = dir.File("requests.json");
  const std::string output = dir.File("node-output.txt");
  std::ofstream(input, std::ios::binary) << StandardWebhooksRequestsJson(secret, requests);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::string node = "node";
  std::string script = node_dir + "/verify_standard_webhooks.mjs";
  std::vector<char*> argv = {node.data(), script.data(), const_cast<char*>(input.c_str()), nullptr};
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, "node", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    ADD_FAILURE() << "cannot run node (" << std::strerror(spawned)
                  << "): install Node.js with scripts/install-deps.sh";
    return run;
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
    ADD_FAILURE() << "node did not exit normally";
    return run;
  }
  run.exit_code = WEXITSTATUS(status);
  std::stringstream text;
  text << std::ifstream(output, std::ios::binary).rdbuf();
  run.output = text.str();
  return run;
}

}  // namespace hookfence::testing

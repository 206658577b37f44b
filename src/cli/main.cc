// hookfence: the command-line program. See command.h for how subcommands and main divide work.
#include <CLI/CLI.hpp>
#include <iostream>
#include <string>

#include "hookfence/version.h"
#include "src/cli/command.h"
#include "src/cli/demo_command.h"
#include "src/cli/events_commands.h"
#include "src/cli/serve_commands.h"
#include "src/cli/store_commands.h"

int main(int argc, char** argv) {
  using hookfence::cli::Command;
  CLI::App app("hookfence: exactly-once webhook ingestion", "hookfence");
  app.set_version_flag("--version", "hookfence " + std::string(hookfence::Version()));
  app.require_subcommand(1);
  Command command;
  hookfence::cli::AddDemoCommand(app, &command);
  hookfence::cli::AddStoreCommands(app, &command);
  hookfence::cli::AddEventsCommands(app, &command);
  hookfence::cli::AddServeCommands(app, &command);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // CLI11 prints the message (or the help or version text) and gives its own code; every usage
    // error becomes the conventional 2.
    return app.exit(error) == 0 ? 0 : 2;
  }
  const hookfence::Status status = command(std::cout);
  if (!status.ok()) {
    std::cout.flush();
    std::cerr << "hookfence: " << status.message() << '\n';
    return 1;
  }
  return 0;
}

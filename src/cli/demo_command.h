// `hookfence demo`: a guided tour of the Store API for a newcomer, on the embedded store.
//
// Each step makes one library call and says what happened and why it matters (duplicates,
// mismatches, fencing, replayed responses). Every run uses fresh event ids, so it can be run again
// on the same database file.
#pragma once

#include "src/cli/command.h"

namespace hookfence::cli {

// Adds the `demo` subcommand to `app`; when it is parsed, `*command` is set to run it.
void AddDemoCommand(CLI::App& app, Command* command);

}  // namespace hookfence::cli

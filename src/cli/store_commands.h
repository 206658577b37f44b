// `hookfence store get|list|sweep` (an operator's view of any store, by URL) and `hookfence
// migrate`.
//
// Each command opens the store, does one thing and closes it. --store may also come from the
// HOOKFENCE_STORE environment variable.
#pragma once

#include "src/cli/command.h"

namespace hookfence::cli {

// Adds the `store` subcommand (with its own subcommands) and `migrate` to `app`. When one of them
// is parsed,
// `*command` is set to run it. `command` must outlive parsing.
void AddStoreCommands(CLI::App& app, Command* command);

}  // namespace hookfence::cli

// `hookfence events list|show|replay|purge`: an operator's view of events and dead letters, the
// way to deliver them again, and to erase one for good (a data-deletion request, audited).
//
// Each command works either through a running gateway's admin API (--gateway URL or
// HOOKFENCE_GATEWAY, with --token or HOOKFENCE_ADMIN_TOKEN) or directly on a store (--store URL or
// HOOKFENCE_STORE); exactly one of the two. Flags win over the environment. Output is the same
// either way: text tables for people, and with --json the admin API's JSON.
#pragma once

#include "src/cli/command.h"

namespace hookfence::cli {

// Adds the `events` subcommand and its own subcommands to `app`. When one of them is parsed,
// `*command` is set to run it. `command` must outlive parsing.
void AddEventsCommands(CLI::App& app, Command* command);

}  // namespace hookfence::cli

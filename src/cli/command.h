// The contract between the CLI's subcommands and main.
//
// Registering a subcommand gives CLI11 its options; when CLI11 picks it, the subcommand's
// callback leaves a Command behind, and main runs it only after the whole command line parsed.
// So usage errors (CLI11's message, exit 2) never mix with a command's own failures, which come
// back as a Status (main prints "hookfence: <message>", exit 1).
#pragma once

#include <functional>
#include <ostream>

#include "hookfence/status.h"

namespace CLI {
class App;
}  // namespace CLI

namespace hookfence::cli {

// Writes the command's normal output to `out`; anything that went wrong is the returned Status.
using Command = std::function<Status(std::ostream& out)>;

}  // namespace hookfence::cli

// `hookfence serve --config FILE` runs the gateway; `hookfence check-config FILE` validates a
// configuration with line-numbered errors; `hookfence send` signs a body as a source's provider
// would and posts it to a running gateway.
#pragma once

#include "src/cli/command.h"

namespace hookfence::cli {

void AddServeCommands(CLI::App& app, Command* command);

}  // namespace hookfence::cli

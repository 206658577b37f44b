// `${VAR}` and `${VAR:-default}` substitution in configuration strings (DESIGN §5).
//
// Rules (docs/configuration.md has them for users):
//   ${NAME}            the variable's value; an error when it is unset (set but empty gives "")
//   ${NAME:-default}   the value, or `default` when the variable is unset or empty; the default is
//                      literal text up to the first '}' (no nested references, no escapes)
//   $$                 one literal '$' ("$${HOME}" stays "${HOME}")
//   any other '$'      kept as it is
// NAME is [A-Za-z_][A-Za-z0-9_]*. A string may hold any number of references.
// Thread-safety: a pure function (apart from what `env` does).
#pragma once

#include <string>
#include <string_view>

#include "hookfence/result.h"
#include "src/server/config.h"

namespace hookfence::server::internal {

// The text with every reference replaced. kInvalidArgument naming the variable for an unset one
// without a default, or describing a malformed reference (`${`, `${}`, `${1X}`, `${X:y}`).
Result<std::string> SubstituteEnv(std::string_view text, const EnvLookup& env);

}  // namespace hookfence::server::internal

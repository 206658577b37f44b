#include "hookfence/version.h"

namespace hookfence {

std::string_view Version() { return HOOKFENCE_VERSION; }

}  // namespace hookfence

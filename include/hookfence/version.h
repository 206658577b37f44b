// The library's version, e.g. "0.1.0".
#pragma once

#include <string_view>

namespace hookfence {

std::string_view Version();

}  // namespace hookfence

// JSON string literals for the small JSON texts hookfence writes by hand (status answers, the
// Slack challenge): quotes, backslashes and control characters escaped; other bytes unchanged.
// Thread-safety: pure function.
#pragma once

#include <string>
#include <string_view>

namespace hookfence::internal {

// `text` as a JSON string literal, quotes included.
std::string JsonQuote(std::string_view text);

}  // namespace hookfence::internal

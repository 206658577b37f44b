// Small helpers for putting stored strings in front of a person or a JSON parser.
//
// Stored strings come from outside (an upstream's error text, header values), so none of them is
// trusted to be printable or even valid UTF-8.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace hookfence::cli {

// `text` made valid UTF-8 (see Utf8Safe) with every control character (C0 including tab and
// newline, DEL, C1) replaced by a space, so it stays on one line and cannot drive the terminal.
std::string TerminalSafe(std::string_view text);

// `text` with every byte that is not part of well-formed UTF-8 replaced by U+FFFD.
std::string Utf8Safe(std::string_view text);

// At most `max_bytes` bytes of `text`; a cut string ends in "..." and never splits a UTF-8
// sequence. `max_bytes` must be at least 4.
std::string Shorten(std::string_view text, std::size_t max_bytes);

// Rows as left-aligned columns separated by two spaces; the first row is the header. The last
// column is not padded (no trailing blanks). Widths count bytes, which is exact for the ASCII
// that fills almost every cell. Each line ends with a newline.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows);

}  // namespace hookfence::cli

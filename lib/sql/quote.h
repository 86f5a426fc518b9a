// Quoting of identifiers and values for SQL text built by the library.
// Assumes the session's sql_mode has neither ANSI_QUOTES nor NO_BACKSLASH_ESCAPES
// (Session pins it so).
#pragma once

#include <string>
#include <string_view>

namespace omsbackup {

// `name` with backticks doubled, e.g. a`b -> `a``b`.
std::string quote_identifier(std::string_view name);
// `db`.`table`
std::string quote_qualified(std::string_view db, std::string_view table);
// A single-quoted string literal: ' \ NUL LF CR and ^Z escaped with backslashes.
std::string quote_string(std::string_view value);

}  // namespace omsbackup

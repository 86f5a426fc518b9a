// SQL literals for the INSERT loader: exact for any bytes, independent of character sets.
//
// A value is written as a binary string literal, `_binary'...'`, with only the bytes the
// server's lexer treats specially escaped: `\` -> `\\`, `'` -> `\'`, NUL -> `\0`. That is
// about 1.01x the value's bytes for random data (a hex literal `X'...'` is 2x). The
// `_binary` introducer keeps the bytes as they are: they are not read as utf8mb4 (the
// connection's character_set_client, see sql/session.cpp), so invalid UTF-8 is no problem,
// and utf8mb4 never hides a `\` or `'` inside a multi-byte character (its continuation
// bytes are 0x80-0xBF). MariaDB 10.11 takes every other byte raw (tested: all 256 bytes,
// invalid UTF-8 before a quote or backslash); NUL is escaped all the same, as
// mysql_real_escape_string() does, so that no server's parser meets a raw NUL.
//
// The backslash escapes hold only while NO_BACKSLASH_ESCAPES is off: Session pins the
// sql_mode without it, and the literals must only be sent on such a session.
//
// The hex form, `X'<two hex digits per byte>'`, is the same binary string in plain ASCII:
// twice the bytes, but nothing in it depends on the sql_mode, the character set a client
// parses its input in, or what a client does to line ends, NUL or backslashes. The SQL
// export (restore/sql_export.h), which a client program reads from a file, writes it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "codec/row.h"

namespace omsbackup {

// How a binary string value is written: `_binary'...'` with escapes, or `X'...'`.
enum class LiteralForm { escaped, hex };

// Appends NULL for a null field, '' for an empty value, else _binary'<escaped bytes>'.
// With LiteralForm::hex: NULL, '' or X'<hex>'.
void append_sql_literal(std::string& out, bool null, std::string_view bytes,
                        LiteralForm form = LiteralForm::escaped);
std::string sql_literal(bool null, std::string_view bytes, LiteralForm form = LiteralForm::escaped);
// The number of bytes append_sql_literal() appends, without building the literal.
std::size_t sql_literal_size(bool null, std::string_view bytes,
                             LiteralForm form = LiteralForm::escaped);
// Field `i` of `row`.
inline void append_sql_literal(std::string& out, const Row& row, std::size_t i) {
  append_sql_literal(out, row.is_null(i), row.value(i));
}

}  // namespace omsbackup

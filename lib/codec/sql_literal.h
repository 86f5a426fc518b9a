// SQL literals for the INSERT fallback: exact for any bytes, independent of character sets.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "codec/row.h"

namespace omsbackup {

// Appends NULL for a null field, '' for an empty value, else X'<uppercase hex>'.
void append_sql_literal(std::string& out, bool null, std::string_view bytes);
std::string sql_literal(bool null, std::string_view bytes);
// Field `i` of `row`.
inline void append_sql_literal(std::string& out, const Row& row, std::size_t i) {
  append_sql_literal(out, row.is_null(i), row.value(i));
}

}  // namespace omsbackup

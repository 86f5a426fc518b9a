// How each column's value travels through the archive: the expression that reads it
// from the server, and how LOAD DATA or an INSERT puts the same value back.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "codec/sql_literal.h"

namespace omsbackup {

// Stable names, used in docs/archive-format.md §4.1: a reader derives each column's kind from
// its data_type and column_type in the manifest, exactly as value_kind_for() does.
enum class ValueKind {
  bytes,    // the stored bytes as they are (strings, BLOBs, temporals, DECIMAL, ...)
  number,   // integers, DECIMAL, DOUBLE, YEAR: the server's exact decimal text
  float32,  // FLOAT: read as `col + 0e0`, the exact double of the stored float
  bit,      // BIT(n): read as `col + 0`, an unsigned decimal integer
  json,     // MySQL's native JSON: text that must be loaded as utf8mb4
  text,     // MariaDB's INET4, INET6, UUID: their text, loaded as utf8mb4 characters
            // (fed as binary bytes, these types would take them as the 4/16-byte form)
  index,    // ENUM/SET with an empty-string member: read as `col + 0`, the member index
            // or set bitmask (their text '' would not tell the error value or the empty
            // set from the '' member)
};

const char* value_kind_name(ValueKind k) noexcept;
// Throws Error(corrupt_archive) for an unknown name.
ValueKind value_kind_from_name(std::string_view name);
ValueKind value_kind_for(const ColumnDef& column);

// True when an ENUM or SET COLUMN_TYPE (`enum('a','it''s','')`, as information_schema
// and SHOW CREATE TABLE write it) has a member that is the empty string.
bool has_empty_member(std::string_view column_type);

// The columns that carry data (generated columns are recomputed by the server).
std::vector<const ColumnDef*> data_columns(const std::vector<ColumnDef>& columns);

// The SELECT list that reads the data columns in archive order.
std::string select_list(const std::vector<ColumnDef>& columns);

// The `(col, @v2, ...) SET col2 = ...` tail of a LOAD DATA statement for the data
// columns, reading the archive's row dialect.
std::string load_columns_clause(const std::vector<ColumnDef>& columns);

// A complete LOAD DATA LOCAL INFILE statement for one table.
std::string load_data_statement(const std::string& db, const std::string& table,
                                const std::vector<ColumnDef>& columns);

// One value as an SQL expression for a multi-row INSERT: NULL; for `bytes` a binary
// string literal (codec/sql_literal.h); for `json` and `text` that literal inside
// CONVERT(... USING utf8mb4); for `number` and `float32` a quoted string; for `bit` and
// `index` CAST('n' AS UNSIGNED).
// `form` says how the binary string literals are written (codec/sql_literal.h).
void append_insert_value(std::string& out, ValueKind kind, bool is_null, std::string_view bytes,
                         LiteralForm form = LiteralForm::escaped);
// The number of bytes append_insert_value() appends (big values are measured, not built).
std::size_t insert_value_size(ValueKind kind, bool is_null, std::string_view bytes,
                              LiteralForm form = LiteralForm::escaped);
// `INSERT INTO db.t (data columns) VALUES ` for a multi-row INSERT of `table`'s rows in
// archive order; `kinds` (if given) receives each data column's value kind.
std::string insert_prefix(const std::string& db, const TableDef& table,
                          std::vector<ValueKind>* kinds = nullptr);
// One value as an expression of an INSERT prepared with placeholders, for a row too long
// for one statement (Session::execute_long_data()): a non-empty `bytes` value is `?`, a
// non-empty `json` or `text` value `CONVERT(? USING utf8mb4)`, and true is returned: the
// placeholder's value is `bytes`, sent as a binary string, the same bytes the literal
// carries. Any other value is written as append_insert_value() writes it (false).
bool append_insert_placeholder(std::string& out, ValueKind kind, bool is_null,
                               std::string_view bytes);

}  // namespace omsbackup

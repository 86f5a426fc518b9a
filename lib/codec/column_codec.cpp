#include "codec/column_codec.h"

#include <fmt/format.h>

#include "codec/sql_literal.h"
#include "omsbackup/error.h"
#include "sql/quote.h"

namespace omsbackup {

const char* value_kind_name(ValueKind k) noexcept {
  switch (k) {
    case ValueKind::bytes: return "bytes";
    case ValueKind::number: return "number";
    case ValueKind::float32: return "float32";
    case ValueKind::bit: return "bit";
    case ValueKind::json: return "json";
  }
  return "bytes";
}

ValueKind value_kind_from_name(std::string_view name) {
  for (ValueKind k : {ValueKind::bytes, ValueKind::number, ValueKind::float32, ValueKind::bit,
                      ValueKind::json}) {
    if (name == value_kind_name(k)) return k;
  }
  throw Error(Errc::corrupt_archive, "manifest", fmt::format("unknown value kind '{}'", name));
}

ValueKind value_kind_for(const ColumnDef& c) {
  const std::string& t = c.data_type;
  if (t == "float") return ValueKind::float32;
  if (t == "bit") return ValueKind::bit;
  // MariaDB reports JSON columns as longtext: only MySQL has the native type.
  if (t == "json") return ValueKind::json;
  if (t == "tinyint" || t == "smallint" || t == "mediumint" || t == "int" || t == "integer" ||
      t == "bigint" || t == "decimal" || t == "numeric" || t == "double" || t == "real" ||
      t == "year") {
    return ValueKind::number;
  }
  return ValueKind::bytes;
}

std::vector<const ColumnDef*> data_columns(const std::vector<ColumnDef>& columns) {
  std::vector<const ColumnDef*> out;
  for (const auto& c : columns)
    if (!c.generated) out.push_back(&c);
  return out;
}

std::string select_list(const std::vector<ColumnDef>& columns) {
  std::string out;
  for (const ColumnDef* c : data_columns(columns)) {
    if (!out.empty()) out += ", ";
    std::string q = quote_identifier(c->name);
    switch (value_kind_for(*c)) {
      case ValueKind::float32: out += fmt::format("{} + 0e0", q); break;
      case ValueKind::bit: out += fmt::format("{} + 0", q); break;
      default: out += q;
    }
  }
  return out;
}

std::string load_columns_clause(const std::vector<ColumnDef>& columns) {
  std::string list, set;
  unsigned n = 0;
  for (const ColumnDef* c : data_columns(columns)) {
    ++n;
    if (!list.empty()) list += ", ";
    std::string q = quote_identifier(c->name);
    std::string var = fmt::format("@v{}", n);
    switch (value_kind_for(*c)) {
      case ValueKind::bit:
        list += var;
        set += fmt::format("{}{} = CAST({} AS UNSIGNED)", set.empty() ? "" : ", ", q, var);
        break;
      case ValueKind::json:
        list += var;
        set += fmt::format("{}{} = CONVERT({} USING utf8mb4)", set.empty() ? "" : ", ", q, var);
        break;
      default: list += q;
    }
  }
  std::string out = "(" + list + ")";
  if (!set.empty()) out += " SET " + set;
  return out;
}

std::string load_data_statement(const std::string& db, const std::string& table,
                                const std::vector<ColumnDef>& columns) {
  return fmt::format(
      "LOAD DATA LOCAL INFILE 'omsbackup-chunk' INTO TABLE {} CHARACTER SET binary "
      "FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' {}",
      quote_qualified(db, table), load_columns_clause(columns));
}

void append_insert_value(std::string& out, ValueKind kind, bool is_null, std::string_view bytes) {
  if (is_null) {
    out += "NULL";
    return;
  }
  switch (kind) {
    case ValueKind::number:
    case ValueKind::float32: out += quote_string(bytes); break;
    case ValueKind::bit: out += fmt::format("CAST({} AS UNSIGNED)", quote_string(bytes)); break;
    case ValueKind::json:
      out += "CONVERT(";
      append_sql_literal(out, false, bytes);
      out += " USING utf8mb4)";
      break;
    case ValueKind::bytes: append_sql_literal(out, false, bytes); break;
  }
}

}  // namespace omsbackup

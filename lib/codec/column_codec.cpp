#include "codec/column_codec.h"

#include <algorithm>

#include <fmt/format.h>

#include "codec/sql_literal.h"
#include "omsbackup/error.h"
#include "sql/quote.h"

namespace omsbackup {

namespace {
// A FLOAT column stores -0 for a negative double that rounds to zero as a float; the
// server turns a double -0 (or the text "-0") into +0 before it stores it.
constexpr const char* kFloatNegativeZero = "-1e-50";
}  // namespace

const char* value_kind_name(ValueKind k) noexcept {
  switch (k) {
    case ValueKind::bytes: return "bytes";
    case ValueKind::number: return "number";
    case ValueKind::float32: return "float32";
    case ValueKind::bit: return "bit";
    case ValueKind::json: return "json";
    case ValueKind::text: return "text";
    case ValueKind::index: return "index";
  }
  return "bytes";
}

ValueKind value_kind_from_name(std::string_view name) {
  for (ValueKind k : {ValueKind::bytes, ValueKind::number, ValueKind::float32, ValueKind::bit,
                      ValueKind::json, ValueKind::text, ValueKind::index}) {
    if (name == value_kind_name(k)) return k;
  }
  throw Error(Errc::corrupt_archive, "manifest", fmt::format("unknown value kind '{}'", name));
}

bool has_empty_member(std::string_view ct) {
  std::size_t i = ct.find('(');
  if (i == std::string_view::npos) return false;
  ++i;
  // Members are single-quoted, a quote inside doubled and a backslash escaping the
  // next byte; they are separated by commas and the list ends with ')'.
  while (i < ct.size() && ct[i] == '\'') {
    ++i;
    std::size_t length = 0;
    for (;;) {
      if (i >= ct.size()) return false;  // unterminated: not a member list
      if (ct[i] == '\\' && i + 1 < ct.size()) {
        i += 2;
      } else if (ct[i] == '\'' && i + 1 < ct.size() && ct[i + 1] == '\'') {
        i += 2;
      } else if (ct[i] == '\'') {
        ++i;
        break;
      } else {
        ++i;
      }
      ++length;
    }
    if (length == 0) return true;
    if (i >= ct.size() || ct[i] != ',') break;
    ++i;
  }
  return false;
}

ValueKind value_kind_for(const ColumnDef& c) {
  const std::string& t = c.data_type;
  if (t == "float") return ValueKind::float32;
  if (t == "bit") return ValueKind::bit;
  if ((t == "enum" || t == "set") && has_empty_member(c.column_type)) return ValueKind::index;
  // MariaDB reports JSON columns as longtext: only MySQL has the native type.
  if (t == "json") return ValueKind::json;
  // MariaDB's fixed-size binary types (10.7+; INET4 10.11+) send their text to the
  // client, but a binary-charset string stored into them is read as the packed 4/16
  // bytes: the text must arrive as characters.
  if (t == "inet4" || t == "inet6" || t == "uuid") return ValueKind::text;
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
      // The exact double of the stored float; a negative zero (what a FLOAT keeps of a
      // tiny negative value) reads "-0", which the server's text for it ("0") loses.
      case ValueKind::float32:
        out += fmt::format("IF({0} = 0 AND ATAN2({0}, -1) < 0, '-0', {0} + 0e0)", q);
        break;
      case ValueKind::bit:
      case ValueKind::index: out += fmt::format("{} + 0", q); break;
      default: out += q;
    }
  }
  return out;
}

namespace {

// How a field of kind `k`, read into the user variable `var`, is assigned in LOAD DATA's
// SET clause; empty for a field loaded straight into its column.
std::string set_expression(ValueKind k, const std::string& var) {
  switch (k) {
    case ValueKind::bit:
    case ValueKind::index: return fmt::format("CAST({} AS UNSIGNED)", var);
    case ValueKind::json:
    case ValueKind::text: return fmt::format("CONVERT({} USING utf8mb4)", var);
    case ValueKind::float32:
      // Text "-0" stores +0: a negative value too small for a FLOAT stores -0.
      return fmt::format("IF({} = '-0', {}, {})", var, kFloatNegativeZero, var);
    case ValueKind::number:
    case ValueKind::bytes: return {};
  }
  return {};
}

}  // namespace

std::string load_columns_clause(const std::vector<ColumnDef>& columns) {
  const std::vector<const ColumnDef*> data = data_columns(columns);
  std::vector<std::string> exprs;
  for (const ColumnDef* c : data)
    exprs.push_back(set_expression(value_kind_for(*c), fmt::format("@v{}", exprs.size() + 1)));
  // Once a SET clause assigns any column, the server forgets per row that the
  // AUTO_INCREMENT column was given a value of its own (MariaDB's fill_record resets
  // the flag), and a stored 0 is replaced by the next counter value even under
  // NO_AUTO_VALUE_ON_ZERO. Assigned in the SET clause, the column keeps its 0: so then
  // every number column (an AUTO_INCREMENT column is one) goes through it.
  const bool any_set =
      std::any_of(exprs.begin(), exprs.end(), [](const std::string& e) { return !e.empty(); });
  std::string list, set;
  for (std::size_t i = 0; i < data.size(); ++i) {
    std::string var = fmt::format("@v{}", i + 1);
    std::string& expr = exprs[i];
    if (expr.empty() && any_set && value_kind_for(*data[i]) == ValueKind::number) expr = var;
    if (!list.empty()) list += ", ";
    if (expr.empty()) {
      list += quote_identifier(data[i]->name);
      continue;
    }
    list += var;
    set += fmt::format("{}{} = {}", set.empty() ? "" : ", ", quote_identifier(data[i]->name), expr);
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

void append_insert_value(std::string& out, ValueKind kind, bool is_null, std::string_view bytes,
                         LiteralForm form) {
  if (is_null) {
    out += "NULL";
    return;
  }
  switch (kind) {
    case ValueKind::number: out += quote_string(bytes); break;
    case ValueKind::float32:
      out += bytes == "-0" ? std::string(kFloatNegativeZero) : quote_string(bytes);
      break;
    case ValueKind::bit:
    case ValueKind::index:
      out += fmt::format("CAST({} AS UNSIGNED)", quote_string(bytes));
      break;
    case ValueKind::json:
    case ValueKind::text:
      out += "CONVERT(";
      append_sql_literal(out, false, bytes, form);
      out += " USING utf8mb4)";
      break;
    case ValueKind::bytes: append_sql_literal(out, false, bytes, form); break;
  }
}

std::size_t insert_value_size(ValueKind kind, bool is_null, std::string_view bytes,
                              LiteralForm form) {
  if (is_null) return 4;
  switch (kind) {
    case ValueKind::json:
    case ValueKind::text:
      return std::string_view("CONVERT( USING utf8mb4)").size() +
             sql_literal_size(false, bytes, form);
    case ValueKind::bytes: return sql_literal_size(false, bytes, form);
    default: break;
  }
  // Numbers are short: measure what is written.
  std::string small;
  append_insert_value(small, kind, false, bytes);
  return small.size();
}

std::string insert_prefix(const std::string& db, const TableDef& table,
                          std::vector<ValueKind>* kinds) {
  std::string prefix = fmt::format("INSERT INTO {} (", quote_qualified(db, table.name));
  bool first = true;
  for (const ColumnDef* c : data_columns(table.columns)) {
    if (!first) prefix += ", ";
    first = false;
    prefix += quote_identifier(c->name);
    if (kinds) kinds->push_back(value_kind_for(*c));
  }
  return prefix + ") VALUES ";
}

bool append_insert_placeholder(std::string& out, ValueKind kind, bool is_null,
                               std::string_view bytes) {
  if (!is_null && !bytes.empty()) {
    switch (kind) {
      case ValueKind::bytes: out += '?'; return true;
      case ValueKind::json:
      case ValueKind::text: out += "CONVERT(? USING utf8mb4)"; return true;
      default: break;
    }
  }
  append_insert_value(out, kind, is_null, bytes);
  return false;
}

}  // namespace omsbackup

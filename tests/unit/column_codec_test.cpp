#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "codec/column_codec.h"
#include "omsbackup/error.h"

using namespace omsbackup;

namespace {

ColumnDef col(std::string name, std::string data_type, std::string column_type = "",
              bool generated = false) {
  ColumnDef c;
  c.name = std::move(name);
  c.data_type = std::move(data_type);
  c.column_type = column_type.empty() ? c.data_type : std::move(column_type);
  c.generated = generated;
  return c;
}

ValueKind kind(std::string data_type, std::string column_type = "") {
  return value_kind_for(col("c", std::move(data_type), std::move(column_type)));
}

}  // namespace

TEST_CASE("column codec: value kinds by data type", "[codec]") {
  for (const char* t : {"tinyint", "smallint", "mediumint", "int", "bigint", "decimal", "double",
                        "year"}) {
    INFO(t);
    CHECK(kind(t) == ValueKind::number);
  }
  CHECK(kind("float") == ValueKind::float32);
  CHECK(kind("bit", "bit(64)") == ValueKind::bit);
  CHECK(kind("json") == ValueKind::json);
  // MariaDB's JSON is LONGTEXT: its bytes.
  for (const char* t : {"char", "varchar", "longtext", "binary", "longblob", "date", "datetime",
                        "timestamp", "time", "geometry", "point", "geometrycollection"}) {
    INFO(t);
    CHECK(kind(t) == ValueKind::bytes);
  }
  // INET4/INET6/UUID would read binary bytes as their packed form: loaded as text.
  CHECK(kind("inet6") == ValueKind::text);
  CHECK(kind("inet4") == ValueKind::text);
  CHECK(kind("uuid") == ValueKind::text);
  // ENUM/SET travel as text unless a '' member makes the text ambiguous.
  CHECK(kind("enum", "enum('a','b,c','it''s')") == ValueKind::bytes);
  CHECK(kind("set", "set('a','b')") == ValueKind::bytes);
  CHECK(kind("enum", "enum('x','','y')") == ValueKind::index);
  CHECK(kind("set", "set('a','','b')") == ValueKind::index);
}

TEST_CASE("column codec: kind names are stable and round-trip", "[codec]") {
  CHECK(std::string(value_kind_name(ValueKind::text)) == "text");
  CHECK(std::string(value_kind_name(ValueKind::index)) == "index");
  for (ValueKind k : {ValueKind::bytes, ValueKind::number, ValueKind::float32, ValueKind::bit,
                      ValueKind::json, ValueKind::text, ValueKind::index}) {
    CHECK(value_kind_from_name(value_kind_name(k)) == k);
  }
  CHECK_THROWS_AS(value_kind_from_name("blob"), Error);
}

TEST_CASE("column codec: empty ENUM/SET members are found in COLUMN_TYPE", "[codec]") {
  CHECK_FALSE(has_empty_member("enum('a','b')"));
  CHECK(has_empty_member("enum('')"));
  CHECK(has_empty_member("enum('a','')"));
  CHECK(has_empty_member("set('','a')"));
  CHECK(has_empty_member("enum('x','','y') CHARACTER SET latin1"));
  // A doubled quote is a quote inside a member, not an empty member.
  CHECK_FALSE(has_empty_member("enum('it''s','b')"));
  CHECK_FALSE(has_empty_member("enum('''','x')"));
  CHECK_FALSE(has_empty_member("enum('x','''')"));
  CHECK(has_empty_member("enum('''','')"));
  // A backslash escapes the next byte (the member a\ is written 'a\\').
  CHECK(has_empty_member(R"(enum('a\\',''))"));
  CHECK_FALSE(has_empty_member(R"(enum('a\'','b'))"));
  CHECK_FALSE(has_empty_member("enum('a,b',' x')"));
  // Not a member list, or a broken one.
  CHECK_FALSE(has_empty_member("varchar(10)"));
  CHECK_FALSE(has_empty_member("enum("));
  CHECK_FALSE(has_empty_member("enum('abc"));
  CHECK_FALSE(has_empty_member("enum"));
}

TEST_CASE("column codec: select list, LOAD DATA columns and INSERT values per kind", "[codec]") {
  std::vector<ColumnDef> cols = {
      col("id", "int", "int(11)"),
      col("i6", "inet6"),
      col("g", "int", "int(11)", true),
      col("e", "enum", "enum('x','')"),
      col("f", "float"),
      col("u", "uuid"),
      col("s", "set", "set('a','b')"),
  };
  CHECK(select_list(cols) ==
        "`id`, `i6`, `e` + 0, IF(`f` = 0 AND ATAN2(`f`, -1) < 0, '-0', `f` + 0e0), `u`, `s`");
  CHECK(load_columns_clause(cols) ==
        "(@v1, @v2, @v3, @v4, @v5, `s`) SET `id` = @v1, `i6` = CONVERT(@v2 USING utf8mb4), "
        "`e` = CAST(@v3 AS UNSIGNED), `f` = IF(@v4 = '-0', -1e-50, @v4), "
        "`u` = CONVERT(@v5 USING utf8mb4)");
  // Without a SET clause every column loads directly (an AUTO_INCREMENT 0 stays 0 under
  // NO_AUTO_VALUE_ON_ZERO only then, or when assigned in the SET clause).
  CHECK(load_columns_clause({col("id", "bigint", "bigint(20)"), col("s", "set", "set('a','b')"),
                             col("b", "blob", "blob")}) == "(`id`, `s`, `b`)");

  std::string out;
  append_insert_value(out, ValueKind::text, false, "::1");
  out += ",";
  append_insert_value(out, ValueKind::index, false, "0");
  out += ",";
  append_insert_value(out, ValueKind::text, true, "");
  out += ",";
  append_insert_value(out, ValueKind::index, true, "");
  CHECK(out == "CONVERT(_binary'::1' USING utf8mb4),CAST('0' AS UNSIGNED),NULL,NULL");
}

TEST_CASE("column codec: INSERT values per kind, their sizes and placeholders", "[codec]") {
  struct Case {
    ValueKind kind;
    bool null;
    std::string bytes;
    std::string value;        // append_insert_value()
    std::string placeholder;  // append_insert_placeholder()
  };
  const std::vector<Case> cases = {
      {ValueKind::bytes, false, "a'b\\c", "_binary'a\\'b\\\\c'", "?"},
      {ValueKind::bytes, false, std::string(1, '\0'), "_binary'\\0'", "?"},
      {ValueKind::bytes, false, "", "''", "''"},
      {ValueKind::bytes, true, "", "NULL", "NULL"},
      {ValueKind::json, false, "{\"a\": \"\\\\\"}",
       "CONVERT(_binary'{\"a\": \"\\\\\\\\\"}' USING utf8mb4)", "CONVERT(? USING utf8mb4)"},
      {ValueKind::text, false, "::1", "CONVERT(_binary'::1' USING utf8mb4)",
       "CONVERT(? USING utf8mb4)"},
      {ValueKind::text, true, "", "NULL", "NULL"},
      {ValueKind::number, false, "-12.5", "'-12.5'", "'-12.5'"},
      {ValueKind::float32, false, "1e-45", "'1e-45'", "'1e-45'"},
      {ValueKind::bit, false, "31", "CAST('31' AS UNSIGNED)", "CAST('31' AS UNSIGNED)"},
      {ValueKind::index, false, "0", "CAST('0' AS UNSIGNED)", "CAST('0' AS UNSIGNED)"},
      {ValueKind::index, true, "", "NULL", "NULL"},
  };
  for (const Case& c : cases) {
    INFO(value_kind_name(c.kind) << " " << c.value);
    std::string out = "x";
    append_insert_value(out, c.kind, c.null, c.bytes);
    CHECK(out == "x" + c.value);
    CHECK(insert_value_size(c.kind, c.null, c.bytes) == c.value.size());
    std::string p = "y";
    bool is_placeholder = append_insert_placeholder(p, c.kind, c.null, c.bytes);
    CHECK(p == "y" + c.placeholder);
    CHECK(is_placeholder == (c.placeholder.find('?') != std::string::npos));
  }
  // A big value is measured without being built, to the byte.
  std::string big(100000, 'q');
  big[5] = '\'';
  big[7] = '\0';
  CHECK(insert_value_size(ValueKind::bytes, false, big) == 100000 + 2 + 9);
  CHECK(insert_value_size(ValueKind::json, false, big) ==
        100000 + 2 + 9 + std::string("CONVERT( USING utf8mb4)").size());
}

TEST_CASE("column codec: a FLOAT's negative zero is written as a value that stores -0",
          "[codec]") {
  std::string out;
  append_insert_value(out, ValueKind::float32, false, "-0");
  out += ",";
  append_insert_value(out, ValueKind::float32, false, "0");
  out += ",";
  append_insert_value(out, ValueKind::float32, false, "-1.5");
  CHECK(out == "-1e-50,'0','-1.5'");
}

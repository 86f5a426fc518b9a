#include <catch2/catch.hpp>

#include <string>

#include "codec/row.h"
#include "codec/sql_literal.h"

using namespace omsbackup;
using namespace std::string_literals;

TEST_CASE("sql literal: NULL, empty and hex", "[codec]") {
  CHECK(sql_literal(true, "") == "NULL");
  CHECK(sql_literal(true, "ignored") == "NULL");
  CHECK(sql_literal(false, "") == "''");
  CHECK(sql_literal(false, "abc") == "X'616263'");
  CHECK(sql_literal(false, "\0\xFF\x1A'\\"s) == "X'00FF1A275C'");
  CHECK(sql_literal(false, "中") == "X'E4B8AD'");
  CHECK(sql_literal(false, "NULL") == "X'4E554C4C'");
}

TEST_CASE("sql literal: appends to what is there", "[codec]") {
  std::string out = "(";
  append_sql_literal(out, false, "\x01");
  out += ",";
  Row row;
  row.add_null();
  row.add_field("");
  row.add_field("z");
  for (std::size_t i = 0; i < row.size(); ++i) {
    append_sql_literal(out, row, i);
    out += ",";
  }
  CHECK(out == "(X'01',NULL,'',X'7A',");
}

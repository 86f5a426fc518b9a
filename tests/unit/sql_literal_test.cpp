#include <catch2/catch.hpp>

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "codec/row.h"
#include "codec/sql_literal.h"

using namespace omsbackup;
using namespace std::string_literals;

namespace {

// How MySQL's and MariaDB's lexer reads a quoted string without NO_BACKSLASH_ESCAPES:
// `\` escapes the next byte (\0 \b \n \r \t \Z name control bytes, \% and \_ keep their
// backslash, any other byte stands for itself) and `''` is one quote. Returns the value of
// `_binary'...'` (or of `''`), or nullopt when `text` is not exactly one such literal.
std::optional<std::string> lex_literal(const std::string& text) {
  std::size_t i = 0;
  if (text.rfind("_binary'", 0) == 0) i = 7;
  if (i >= text.size() || text[i] != '\'') return std::nullopt;
  ++i;
  std::string out;
  while (i < text.size()) {
    char c = text[i++];
    if (c == '\\') {
      if (i >= text.size()) return std::nullopt;
      char e = text[i++];
      switch (e) {
        case '0': out += '\0'; break;
        case 'b': out += '\b'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'Z': out += '\x1a'; break;
        case '%': out += "\\%"; break;
        case '_': out += "\\_"; break;
        default: out += e;
      }
    } else if (c == '\'') {
      if (i < text.size() && text[i] == '\'') {
        out += '\'';
        ++i;
      } else {
        return i == text.size() ? std::optional<std::string>(out) : std::nullopt;
      }
    } else {
      out += c;
    }
  }
  return std::nullopt;  // unterminated
}

void check_round_trip(const std::string& value) {
  std::string lit = sql_literal(false, value);
  INFO("literal " << lit);
  CHECK(lit.size() == sql_literal_size(false, value));
  std::optional<std::string> back = lex_literal(lit);
  REQUIRE(back.has_value());
  CHECK(*back == value);
  // No raw NUL reaches the server's parser.
  CHECK(lit.find('\0') == std::string::npos);
}

}  // namespace

TEST_CASE("sql literal: NULL, empty and binary strings", "[codec]") {
  CHECK(sql_literal(true, "") == "NULL");
  CHECK(sql_literal(true, "ignored") == "NULL");
  CHECK(sql_literal_size(true, "ignored") == 4);
  CHECK(sql_literal(false, "") == "''");
  CHECK(sql_literal_size(false, "") == 2);
  CHECK(sql_literal(false, "abc") == "_binary'abc'");
  // Only backslash, quote and NUL are escaped; every other byte is sent as it is.
  CHECK(sql_literal(false, "\0\xFF\x1A'\\\"\n\r\t%_"s) == "_binary'\\0\xFF\x1A\\'\\\\\"\n\r\t%_'");
  CHECK(sql_literal(false, "中") == "_binary'中'");
  CHECK(sql_literal(false, "NULL") == "_binary'NULL'");
  CHECK(sql_literal(false, "\\N") == "_binary'\\\\N'");
  CHECK(sql_literal(false, "\\'") == "_binary'\\\\\\''");
  CHECK(sql_literal(false, "abc\\") == "_binary'abc\\\\'");
}

TEST_CASE("sql literal: every byte value and awkward sequence reads back exactly", "[codec]") {
  std::string all;
  for (int b = 0; b < 256; ++b) {
    all.push_back(static_cast<char>(b));
    check_round_trip(std::string(1, static_cast<char>(b)));
    for (int c = 0; c < 256; ++c) {
      std::string two{static_cast<char>(b), static_cast<char>(c)};
      REQUIRE(lex_literal(sql_literal(false, two)) == two);
    }
  }
  check_round_trip(all);
  // Invalid UTF-8 (cut sequences, overlong forms, surrogates, 0xFF) before the bytes
  // that end or escape a literal; values that look like escapes or NULL in the archive.
  for (std::string lead : {"\xC3"s, "\xE4\xB8"s, "\xF0\x9F\x98"s, "\xC0\x80"s, "\xED\xA0\x80"s,
                           "\xFF\xFE"s, "\x81"s, "\x95"s}) {
    for (std::string tail : {"'"s, "\\"s, "\0"s, "''"s, "\\'"s, "x"s, ""s}) {
      check_round_trip(lead + tail);
      check_round_trip(tail + lead);
    }
  }
  for (std::string v : {"\\'"s, "\\\\N"s, "\\N"s, "abc\\"s, "\\"s, "'"s, "''"s, "'\\"s,
                        "\\0"s, "\\%\\_"s, std::string(1000, '\0'), std::string(999, '\\'),
                        std::string(999, '\'')}) {
    check_round_trip(v);
  }
  std::mt19937 gen(20240229);
  for (int i = 0; i < 200; ++i) {
    std::string v(gen() % 300, '\0');
    for (char& c : v) c = static_cast<char>(gen() & 0xFF);
    check_round_trip(v);
  }
}

TEST_CASE("sql literal: the size is the bytes plus one per escaped byte", "[codec]") {
  CHECK(sql_literal_size(false, std::string(1000, 'a')) == 1000 + 9);
  CHECK(sql_literal_size(false, std::string(1000, '\\')) == 2000 + 9);
  CHECK(sql_literal_size(false, std::string(1000, '\'')) == 2000 + 9);
  CHECK(sql_literal_size(false, std::string(1000, '\0')) == 2000 + 9);
  std::string random(1 << 20, '\0');
  std::mt19937 gen(7);
  for (char& c : random) c = static_cast<char>(gen() & 0xFF);
  // About 1.01x for random bytes (3 of 256 values escaped), where hex was 2x.
  CHECK(sql_literal_size(false, random) < random.size() * 102 / 100);
  CHECK(sql_literal(false, random).size() == sql_literal_size(false, random));
}

TEST_CASE("sql literal: appends to what is there", "[codec]") {
  std::string out = "(";
  append_sql_literal(out, false, "\x01");
  out += ",";
  Row row;
  row.add_null();
  row.add_field("");
  row.add_field("z'");
  for (std::size_t i = 0; i < row.size(); ++i) {
    append_sql_literal(out, row, i);
    out += ",";
  }
  CHECK(out == "(_binary'\x01',NULL,'',_binary'z\\'',");
}

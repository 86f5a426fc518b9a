// Type torture: every column type MariaDB 10.11 has, at its edge values, through
// dump -> DROP DATABASE -> restore, compared by SHOW CREATE TABLE, AUTO_INCREMENT,
// CHECKSUM TABLE, SELECT * and capture()'s exact per-column read (hex of the stored
// bytes, the exact double of FLOATs, ENUM/SET indexes, invisible and generated columns).
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "omsbackup/omsbackup.h"
#include "server.h"
#include "types_corpus.h"
#include "sql/quote.h"
#include "util/hex.h"

using namespace omsbackup;
using namespace omsbackup::testing;

namespace {

void run_all(Session& s, std::initializer_list<std::string> statements) {
  for (const std::string& sql : statements) s.execute(sql);
}

// Test data is written as hex literals, whatever the INSERT loader writes.
std::string hex_literal(const std::string& bytes) { return "X'" + hex_encode(bytes) + "'"; }

std::string all_bytes(int from = 0, int to = 255) {
  std::string b;
  for (int i = from; i <= to; ++i) b.push_back(static_cast<char>(i));
  return b;
}

std::string random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::string b(n, '\0');
  for (char& c : b) c = static_cast<char>(gen() & 0xFF);
  return b;
}

std::string scalar_text(Session& s, const std::string& sql) {
  return s.scalar(sql).value_or("NULL");
}

}  // namespace

// The corpora (types_corpus.h), shared with the SQL export's test.
namespace omsbackup::testing {

// ---- numbers ----------------------------------------------------------------

void make_numbers(Session& s) {
  run_all(s, {
      "DROP DATABASE IF EXISTS types_num",
      "CREATE DATABASE types_num CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
      "CREATE TABLE types_num.ints (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, "
      "ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, siu SMALLINT UNSIGNED, "
      "mi MEDIUMINT, miu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED, "
      "bi BIGINT, biu BIGINT UNSIGNED, bo BOOL, z INT(8) UNSIGNED ZEROFILL) "
      "AUTO_INCREMENT=9000000000",
      // id 0 must stay 0 (NO_AUTO_VALUE_ON_ZERO on both sides).
      "INSERT INTO types_num.ints VALUES "
      "(0, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0, 0, 0), "
      "(1, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295, "
      "9223372036854775807, 18446744073709551615, 1, 99999999), "
      "(2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), "
      "(3, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1), "
      "(4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",

      "CREATE TABLE types_num.decimals (id INT PRIMARY KEY, d65 DECIMAL(65,30), "
      "d65u DECIMAL(65,30) UNSIGNED, d10 DECIMAL(10,0), n NUMERIC(5,2), d30 DECIMAL(30,30))",
      "INSERT INTO types_num.decimals VALUES "
      "(1, 99999999999999999999999999999999999.999999999999999999999999999999, "
      "99999999999999999999999999999999999.999999999999999999999999999999, 9999999999, "
      "999.99, 0.999999999999999999999999999999), "
      "(2, -99999999999999999999999999999999999.999999999999999999999999999999, 0, "
      "-9999999999, -999.99, -0.999999999999999999999999999999), "
      "(3, 0, 0, 0, 0, 0), "
      "(4, 0.000000000000000000000000000001, 0.000000000000000000000000000001, 1, 0.01, "
      "0.000000000000000000000000000001), "
      "(5, -0.000000000000000000000000000001, NULL, -1, -0.01, "
      "-0.000000000000000000000000000001), "
      "(6, NULL, NULL, NULL, NULL, NULL)",

      "CREATE TABLE types_num.floats (id INT PRIMARY KEY, f FLOAT, f74 FLOAT(7,4), "
      "d DOUBLE, d102 DOUBLE(10,2), r REAL, dp DOUBLE PRECISION)",
      "INSERT INTO types_num.floats VALUES "
      "(1, 0.01051625, 999.9999, 0.1e0 + 0.2e0, 99999999.99, 1.7976931348623157e308, 0.1e0), "
      "(2, 3.4028234e38, -999.9999, 1.7976931348623157e308, -99999999.99, "
      "-1.7976931348623157e308, 1e-300), "
      "(3, -1.17549435e-38, 0.0001, 4.9e-324, 0.01, 4.9e-324, -4.9e-324), "
      "(4, 1e-45, 123.4567, 2.2250738585072014e-308, 1234.56, 2.2250738585072014e-308, 1e22), "
      "(5, '-0', '-0', '-0', '-0', -1e-300 * 1e-300, '-0.0'), "
      "(6, 16777217, 0, -1.7976931348623157e308, 0, 0, 9007199254740993), "
      "(7, -3.4028234e38, -0.0001, 0, -0.01, 123456789.123456789e0, 5e-324), "
      "(8, NULL, NULL, NULL, NULL, NULL, NULL)",

      "CREATE TABLE types_num.bits (id INT PRIMARY KEY, b1 BIT(1), b8 BIT(8), b10 BIT(10), "
      "b64 BIT(64) NOT NULL DEFAULT b'0')",
      "INSERT INTO types_num.bits VALUES "
      "(1, b'0', b'0', b'0', 0), "
      "(2, b'1', b'11111111', b'1111111111', "
      "b'1111111111111111111111111111111111111111111111111111111111111111'), "
      "(3, b'1', b'10000000', b'1000000000', X'8000000000000000'), "
      "(4, NULL, b'00001010', b'0000001101', X'000000000000005C'), "
      "(5, b'0', NULL, NULL, X'0000000000000009')",

      "CREATE TABLE types_num.years (id INT PRIMARY KEY, y YEAR, y4 YEAR(4) NOT NULL)",
      // '0000' and 0 are the year 0000; the string '0' would be 2000.
      "INSERT INTO types_num.years VALUES (1, '0000', 0), (2, 1901, 1901), (3, 2155, 2155), "
      "(4, NULL, 2000), (5, 1970, 1999)",
  });
}

// ---- strings ----------------------------------------------------------------

void make_strings(Session& s) {
  run_all(s, {
      "DROP DATABASE IF EXISTS types_str",
      "CREATE DATABASE types_str CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci",
      "CREATE TABLE types_str.utf8mb4 (id INT PRIMARY KEY, c CHAR(10), v VARCHAR(100), "
      "t TEXT, tt TINYTEXT, mt MEDIUMTEXT, lt LONGTEXT, "
      "vb VARCHAR(50) COLLATE utf8mb4_bin, vci VARCHAR(50) COLLATE utf8mb4_unicode_ci, "
      "vnp VARCHAR(50) COLLATE utf8mb4_nopad_bin, cb CHAR(10) COLLATE utf8mb4_bin)",
  });
  // One value per row, written to every column.
  const std::vector<std::string> values = {
      "'😀'",
      "'中文'",
      "'e\xCC\x81 A\xCC\x8A'",  // e + COMBINING ACUTE, A + COMBINING RING ABOVE
      "NULL",
      "''",
      "'NULL'",
      R"('\\N')",              // the text \N
      R"('\\')",               // a single backslash
      R"('a\tb\nc\rd\0e\Zf')",  // TAB LF CR NUL 0x1A inside
      "'a  '",                 // trailing spaces (CHAR strips them, VARCHAR keeps them)
      "'  '",
      "'ABC'",
      "'abc'",
      "' lead'",
      R"('\\\\N')",            // the text \\N
      R"('''"`')",
      "X'5C'",
      "X'0A'",
      "X'00'",
      "'\\N\t'",
  };
  std::string ins = "INSERT INTO types_str.utf8mb4 VALUES ";
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::string& v = values[i];
    ins += fmt::format("{}({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})", i ? ", " : "", i + 1, v, v,
                       v, v, v, v, v, v, v, v);
  }
  s.execute(ins);

  run_all(s, {
      "CREATE TABLE types_str.charsets (id INT PRIMARY KEY, "
      "u3 VARCHAR(60) CHARACTER SET utf8mb3, "
      "l1 VARCHAR(300) CHARACTER SET latin1, "
      "l1b VARCHAR(300) CHARACTER SET latin1 COLLATE latin1_bin, "
      "l1c CHAR(10) CHARACTER SET latin1, "
      "gb VARCHAR(60) CHARACTER SET gbk, "
      "sj VARCHAR(60) CHARACTER SET sjis, "
      "u2 VARCHAR(300) CHARACTER SET ucs2, "
      "u16 VARCHAR(60) CHARACTER SET utf16, "
      "u16le VARCHAR(60) CHARACTER SET utf16le, "
      "u32 VARCHAR(60) CHARACTER SET utf32, "
      "u32t TEXT CHARACTER SET utf32, "
      "u2c CHAR(5) CHARACTER SET ucs2, "
      "vbin VARCHAR(300) CHARACTER SET binary) DEFAULT CHARSET=latin1",
      "INSERT INTO types_str.charsets VALUES "
      "(1, 'é中', 'é', 'É', 'ñ ', '中文', '表示', '中', '中😀', '中😀', '中😀', '😀', 'é ', 'x')",
      // Latin-1: every byte 0x80..0xFF, and all 256 bytes in the binary collation.
      fmt::format("INSERT INTO types_str.charsets (id, l1, l1b, vbin) VALUES (2, _latin1 {}, "
                  "_latin1 {}, {})",
                  hex_literal(all_bytes(0x80, 0xFF)), hex_literal(all_bytes()),
                  hex_literal(all_bytes())),
      // GBK 0x815C and SJIS 0x955C (表) end in a backslash byte; UTF-16/UCS-2 of 屎
      // (U+5C4E) is the bytes `\N`; U+0A0D, U+0909, U+1A1A hold LF/CR/TAB/^Z bytes.
      "INSERT INTO types_str.charsets (id, gb, sj, u2, u16, u16le, u32, u32t, u2c) VALUES "
      "(3, _gbk X'815C815C', _sjis X'955C955C', '屎', '屎', '屎', '屎', '屎', '屎'), "
      "(4, _gbk X'5C', _sjis X'5C', 'ऀ\xE0\xA8\x8D\xE0\xA4\x89\xE1\xA8\x9A\\\\', "
      "'\xE0\xA8\x8D\xE0\xA4\x89\xE1\xA8\x9A\\\\', '\xE0\xA8\x8D\xE0\xA4\x89\xE1\xA8\x9A', "
      "'\xE0\xA8\x8D\xE0\xA4\x89\xE1\xA8\x9A', '\\0\\t\\n', '\\0')",
      "INSERT INTO types_str.charsets (id) VALUES (5)",
      "INSERT INTO types_str.charsets VALUES (6, '', '', '', '', '', '', '', '', '', '', '', '', '')",

      "CREATE TABLE types_str.binaries (id INT PRIMARY KEY, b16 BINARY(16), vb VARBINARY(300), "
      "tb TINYBLOB, b BLOB, mb MEDIUMBLOB, lb LONGBLOB)",
      fmt::format("INSERT INTO types_str.binaries VALUES (1, X'0102000000', {0}, {1}, {0}, {0}, {0})",
                  hex_literal(all_bytes()), hex_literal(all_bytes(1, 255))),
      fmt::format("INSERT INTO types_str.binaries VALUES (2, X'00000000000000000000000000000000', "
                  "X'00', '', X'5C4E', X'5C', {})",
                  hex_literal(random_bytes(1 << 20, 4711))),
      "INSERT INTO types_str.binaries VALUES (3, X'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF', X'2020', "
      "NULL, NULL, NULL, NULL)",
      "INSERT INTO types_str.binaries VALUES (4, X'41424300000000000000000000000000', "
      "X'4142430000', X'0D0A', X'1A', X'09', X'5C5C4E')",
      "INSERT INTO types_str.binaries VALUES (5, '', '', X'00', X'4E554C4C', X'5C4E', '')",

      "CREATE TABLE types_str.enums (id INT PRIMARY KEY, "
      "e ENUM('a','b,c','it''s','x\"y','中','back\\\\slash') CHARACTER SET utf8mb4, "
      "e2 ENUM('x','','y'), s SET('a','b','c','中文'), s2 SET('a','','b'), "
      "el ENUM('é','ü') CHARACTER SET latin1, eu ENUM('1','0','10') NOT NULL)",
      // 'zzz' is not a member: non-strict mode stores the '' error value (index 0).
      "INSERT INTO types_str.enums VALUES "
      "(1, 'a', 'x', '', '', 'é', '1'), "
      "(2, 'zzz', 'zzz', 'a,b,c,中文', 'a,,b', 'ü', '0'), "
      "(3, 'b,c', '', 'c,a', ',', NULL, '10'), "
      "(4, 'it''s', 'y', NULL, 'a,', 'é', 3), "
      "(5, 'x\"y', NULL, '中文', 'b', 'ü', 'zzz'), "
      "(6, '中', 'x', 'b', NULL, NULL, '1'), "
      "(7, 'back\\\\slash', '', 'a', '', 'é', '0'), "
      "(8, NULL, NULL, NULL, NULL, NULL, '10')",
  });
}

// ---- temporal, JSON, spatial, INET/UUID ---------------------------------------

void make_temporal_and_others(Session& s) {
  run_all(s, {
      "DROP DATABASE IF EXISTS types_misc",
      "CREATE DATABASE types_misc",
      "CREATE TABLE types_misc.temporals (id INT PRIMARY KEY, d DATE, "
      "dt0 DATETIME, dt1 DATETIME(1), dt2 DATETIME(2), dt3 DATETIME(3), dt4 DATETIME(4), "
      "dt5 DATETIME(5), dt6 DATETIME(6), "
      "ts0 TIMESTAMP NULL, ts1 TIMESTAMP(1) NULL, ts2 TIMESTAMP(2) NULL, ts3 TIMESTAMP(3) NULL, "
      "ts4 TIMESTAMP(4) NULL, ts5 TIMESTAMP(5) NULL, ts6 TIMESTAMP(6) NULL, "
      "t0 TIME, t6 TIME(6), y YEAR)",
      // Inserted at +08:00: 1970-01-01 08:00:01 is 00:00:01 UTC, 2038-01-19 11:14:07 is
      // the last TIMESTAMP second.
      "SET SESSION time_zone = '+08:00'",
      "INSERT INTO types_misc.temporals VALUES "
      "(1, '1000-01-01', '1000-01-01 00:00:00', '1000-01-01 00:00:00.1', "
      "'1000-01-01 00:00:00.12', '1000-01-01 00:00:00.123', '1000-01-01 00:00:00.1234', "
      "'1000-01-01 00:00:00.12345', '1000-01-01 00:00:00.123456', "
      "'1970-01-01 08:00:01', '1970-01-01 08:00:01.1', '1970-01-01 08:00:01.12', "
      "'1970-01-01 08:00:01.123', '1970-01-01 08:00:01.1234', '1970-01-01 08:00:01.12345', "
      "'1970-01-01 08:00:01.123456', '-838:59:59', '-838:59:59.000000', 1901), "
      "(2, '9999-12-31', '9999-12-31 23:59:59', '9999-12-31 23:59:59.9', "
      "'9999-12-31 23:59:59.99', '9999-12-31 23:59:59.999', '9999-12-31 23:59:59.9999', "
      "'9999-12-31 23:59:59.99999', '9999-12-31 23:59:59.999999', "
      "'2038-01-19 11:14:07', '2038-01-19 11:14:07.9', '2038-01-19 11:14:07.99', "
      "'2038-01-19 11:14:07.999', '2038-01-19 11:14:07.9999', '2038-01-19 11:14:07.99999', "
      "'2038-01-19 11:14:07.999999', '838:59:59', '838:59:59.999999', 2155), "
      "(3, '0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00.0', "
      "'0000-00-00 00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', "
      "'0000-00-00 00:00:00', '0000-00-00 00:00:00.000000', "
      "'0000-00-00 00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', "
      "'0000-00-00 00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', "
      "'0000-00-00 00:00:00.000000', '00:00:00', '-00:00:00.000001', '0000'), "
      "(4, '2024-00-15', '2024-02-00 12:00:00', '2024-00-00 00:00:00.5', "
      "'0000-01-01 00:00:00', '2024-13-01 00:00:00', NULL, NULL, '2024-02-29 23:59:59.000001', "
      "'2024-02-29 23:59:59', '2024-03-31 02:30:00.5', NULL, NULL, NULL, NULL, "
      "'2024-02-29 23:59:59.123456', '-00:00:01', '00:00:00.000001', NULL), "
      "(5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
      "NULL, NULL, NULL, NULL)",
      "SET SESSION time_zone = '+00:00'",

      "CREATE TABLE types_misc.json_docs (id INT PRIMARY KEY, j JSON, "
      "j2 JSON NOT NULL DEFAULT '{}')",
      R"(INSERT INTO types_misc.json_docs VALUES )"
      R"((1, '{"b":1,"a":[1,2,{"x":"中😀","y":"e\\u0301"}]}', '{"a":1,"a":2}'), )"
      "(2, '{ \"a\" :  1 ,\\n\\t \"b\":[ ] }', '[]'), "
      R"((3, '"\\u00e9\\n\\t\\"\\\\\\/\\ud83d\\ude00"', 'null'), )"
      "(4, '123456789012345678901234567890.12345678901234567890e300', "
      "'[1e400, -0, 0.1, -0.0, 1E-400, 18446744073709551616]'), "
      R"((5, NULL, '{"z":{"y":{"x":[[[[{}]]]]}},"a":"\\\\N","b":"\\t"}'), )"
      "(6, '\"\"', '  {}  ')",

      "CREATE TABLE types_misc.spatial (id INT PRIMARY KEY, g GEOMETRY, p POINT, l LINESTRING, "
      "po POLYGON, mp MULTIPOINT, ml MULTILINESTRING, mpo MULTIPOLYGON, gc GEOMETRYCOLLECTION)",
      "INSERT INTO types_misc.spatial VALUES (1, ST_GeomFromText('POINT(1 2)'), "
      "ST_GeomFromText('POINT(-1.5 2.25)'), "
      "ST_GeomFromText('LINESTRING(0 0, 1 1, 2 0)'), "
      "ST_GeomFromText('POLYGON((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 3 2, 3 3, 2 2))'), "
      "ST_GeomFromText('MULTIPOINT(0 0, 1 1)'), "
      "ST_GeomFromText('MULTILINESTRING((0 0, 1 1), (2 2, 3 3))'), "
      "ST_GeomFromText('MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5)))'), "
      "ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 1), LINESTRING(0 0, 1 1))'))",
      // Explicit SRIDs on the values.
      "INSERT INTO types_misc.spatial VALUES (2, ST_GeomFromText('LINESTRING(0 0, 1 1)', 3857), "
      "ST_GeomFromText('POINT(13.4 52.5)', 4326), "
      "ST_GeomFromText('LINESTRING(0 0, 1 1)', 4326), "
      "ST_GeomFromText('POLYGON((0 0, 1 0, 1 1, 0 0))', 4326), "
      "ST_GeomFromText('MULTIPOINT(0 0)', 4326), "
      "ST_GeomFromText('MULTILINESTRING((0 0, 1 1))', 4326), "
      "ST_GeomFromText('MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)))', 4326), "
      "ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 1))', 4326))",
      "INSERT INTO types_misc.spatial VALUES (3, ST_GeomFromText('GEOMETRYCOLLECTION EMPTY'), "
      "ST_GeomFromText('POINT(-1.7976931348623157e308 4.9e-324)'), NULL, NULL, NULL, NULL, "
      "NULL, ST_GeomFromText('GEOMETRYCOLLECTION EMPTY'))",
      "INSERT INTO types_misc.spatial (id) VALUES (4)",
      // A point whose WKB holds the bytes 0x09, 0x0A, 0x5C and 0x00.
      "INSERT INTO types_misc.spatial (id, g, p) VALUES (5, ST_GeomFromWKB(X'0101000000"
      "0A095C0D1A000000" "0000000000005C40', 2573), ST_GeomFromWKB(X'0101000000"
      "0000000000000000" "0000000000000000'))",

      "CREATE TABLE types_misc.spatial_idx (id INT PRIMARY KEY, p POINT NOT NULL, "
      "SPATIAL INDEX (p))",
      "INSERT INTO types_misc.spatial_idx VALUES (1, POINT(1, 2)), (2, POINT(-180, 90)), "
      "(3, POINT(0, 0))",

      "CREATE TABLE types_misc.net (id INT PRIMARY KEY, i6 INET6, i4 INET4, u UUID)",
      "INSERT INTO types_misc.net VALUES "
      "(1, '::', '0.0.0.0', '00000000-0000-0000-0000-000000000000'), "
      "(2, '::1', '127.0.0.1', 'ffffffff-ffff-ffff-ffff-ffffffffffff'), "
      "(3, 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '255.255.255.255', "
      "'123e4567-e89b-12d3-a456-426655440000'), "
      "(4, '::ffff:1.2.3.4', '1.2.3.4', '6ccd780c-baba-1026-9564-5b8c656024db'), "
      "(5, '2001:db8::5c4e:a09', '10.9.92.78', '5c4e0a09-0d1a-0000-5c4e-0a090d1a0000'), "
      "(6, NULL, NULL, NULL)",
      "CREATE TABLE types_misc.uuid_pk (u UUID NOT NULL PRIMARY KEY, i6 INET6 NOT NULL, "
      "UNIQUE KEY (i6))",
      "INSERT INTO types_misc.uuid_pk VALUES "
      "('6ccd780c-baba-1026-9564-5b8c656024db', '::1'), "
      "('6ccd780c-baba-1027-9564-5b8c656024db', '::2'), "
      "('00000000-0000-0000-0000-000000000001', 'fe80::1'), "
      "('ffffffff-ffff-ffff-ffff-ffffffffffff', '::')",
  });
}

// ---- schema features --------------------------------------------------------

void make_schema_features(Session& s) {
  run_all(s, {
      "DROP DATABASE IF EXISTS types_schema",
      "CREATE DATABASE types_schema CHARACTER SET latin1 COLLATE latin1_swedish_ci",
      "CREATE TABLE types_schema.gen_cols ("
      "id INT NOT NULL PRIMARY KEY, "
      "a INT NOT NULL CHECK (a BETWEEN -1000 AND 1000), "
      "b VARCHAR(20) CHARACTER SET utf8mb4 COMMENT 'it''s a \"comment\" with `ticks`, \\\\ and 中文', "
      "v INT AS (a * 2) VIRTUAL, "
      "st VARCHAR(40) CHARACTER SET utf8mb4 AS (CONCAT(b, '!')) STORED, "
      "h INT INVISIBLE DEFAULT 7, "
      "hs VARCHAR(10) INVISIBLE, "
      "hv INT AS (a + 1) VIRTUAL INVISIBLE, "
      "created DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), "
      "upd TIMESTAMP(6) NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), "
      "two INT DEFAULT (1 + 1), "
      "d DATE DEFAULT (CURRENT_DATE + INTERVAL 1 DAY), "
      "CONSTRAINT `chk \"odd\" 'name'` CHECK (CHAR_LENGTH(b) < 20 OR b IS NULL), "
      "KEY k_v (v), KEY k_st (st)"
      ") COMMENT = 'table comment ''q'' \"dq\" 中文' AUTO_INCREMENT = 5",
      "INSERT INTO types_schema.gen_cols (id, a, b, h, hs, created, upd, two, d) VALUES "
      "(1, -1000, 'x', 1, 'hidden', '2001-02-03 04:05:06.789012', '2001-02-03 04:05:06.789012', "
      "3, '2001-01-01'), "
      "(2, 1000, NULL, NULL, NULL, '1999-12-31 23:59:59', NULL, NULL, NULL)",
      "INSERT INTO types_schema.gen_cols (id, a, b, created, upd) VALUES "
      "(3, 0, '中文', '2010-01-01 00:00:00', '2010-01-01 00:00:00')",

      // The child sorts (and is created) before its parent; the restore's FK checks are off.
      "SET SESSION foreign_key_checks = 0",
      "CREATE TABLE types_schema.a_child (id INT PRIMARY KEY, parent_id INT, "
      "CONSTRAINT `fk child``s \"parent\"` FOREIGN KEY (parent_id) "
      "REFERENCES types_schema.z_parent (id) ON DELETE CASCADE ON UPDATE SET NULL) "
      "ENGINE=InnoDB",
      "INSERT INTO types_schema.a_child VALUES (1, 10), (2, 10), (3, 20), (4, NULL)",
      "SET SESSION foreign_key_checks = 1",
      "CREATE TABLE types_schema.z_parent (id INT PRIMARY KEY, name VARCHAR(10))",
      "INSERT INTO types_schema.z_parent VALUES (10, 'ten'), (20, 'twenty'), (30, NULL)",
      "CREATE TABLE types_schema.tree (id INT PRIMARY KEY, parent INT, "
      "FOREIGN KEY (parent) REFERENCES types_schema.tree (id))",
      "SET SESSION foreign_key_checks = 0",
      "INSERT INTO types_schema.tree VALUES (1, 3), (2, 1), (3, NULL)",
      "SET SESSION foreign_key_checks = 1",

      "CREATE TABLE types_schema.no_pk_dups (a INT, b VARCHAR(10), c DOUBLE)",
      "INSERT INTO types_schema.no_pk_dups VALUES (1, 'x', 0.5), (1, 'x', 0.5), (1, 'x', 0.5), "
      "(NULL, NULL, NULL), (NULL, NULL, NULL), (2, 'X', 0.5)",
      "CREATE TABLE types_schema.composite_pk (a INT NOT NULL, b VARCHAR(10) NOT NULL, c DATE, "
      "v TEXT, PRIMARY KEY (b, a)) CHARACTER SET utf8mb4",
      "INSERT INTO types_schema.composite_pk VALUES (1, 'x', '2024-01-01', 'one'), "
      "(2, 'x', NULL, NULL), (1, 'y', '0000-00-00', ''), (-1, '', NULL, '中')",
      "CREATE TABLE types_schema.empty_table (id INT PRIMARY KEY AUTO_INCREMENT, v TEXT) "
      "AUTO_INCREMENT=1000",
      "CREATE TABLE types_schema.only_nulls (a INT, b TEXT, c DATETIME, d BLOB, e FLOAT, f BIT(3))",
      "INSERT INTO types_schema.only_nulls VALUES (NULL, NULL, NULL, NULL, NULL, NULL), "
      "(NULL, NULL, NULL, NULL, NULL, NULL), (NULL, NULL, NULL, NULL, NULL, NULL)",
      "CREATE TABLE types_schema.gbk_table (id INT PRIMARY KEY AUTO_INCREMENT, "
      "v VARCHAR(20), c CHAR(4)) DEFAULT CHARSET=gbk AUTO_INCREMENT=42",
      "INSERT INTO types_schema.gbk_table (v, c) VALUES ('中文', '文'), (_gbk X'815C', '\\\\')",
  });
}

// ---- odd identifiers --------------------------------------------------------

const std::string kOddDb = "types_`odd` 'q' 名";

void make_odd_identifiers(Session& s) {
  const std::string db = quote_identifier(kOddDb);
  const std::string long_table(64, 't');
  const std::string long_column = "c" + std::string(62, 'x') + "z";
  run_all(s, {
      "DROP DATABASE IF EXISTS " + db,
      "CREATE DATABASE " + db + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
      "CREATE TABLE " + db + ".`select` (`from` INT NOT NULL AUTO_INCREMENT PRIMARY KEY, "
      "```` VARCHAR(10), `\"` INT, `sp ace` INT, `a.b` INT, `列` TEXT, `" + long_column +
          "` INT, `where` INT) AUTO_INCREMENT=77",
      "INSERT INTO " + db + ".`select` VALUES (0, '`', 1, 2, 3, '名', 4, 5), "
      "(1, NULL, NULL, NULL, NULL, NULL, NULL, NULL), (76, '\"', -1, -2, -3, '', -4, -5)",
      "CREATE TABLE " + db + ".`a``b \"c\" d.e 名` (`key` INT PRIMARY KEY, `index` VARCHAR(5), "
      "`order` DATE)",
      "INSERT INTO " + db + ".`a``b \"c\" d.e 名` VALUES (1, 'x', '2020-02-02'), (2, NULL, NULL)",
      "CREATE TABLE " + db + ".`" + long_table + "` (`" + long_column + "` INT PRIMARY KEY)",
      "INSERT INTO " + db + ".`" + long_table + "` VALUES (1), (2), (3)",
      "CREATE TABLE " + db + ".`名前` (`名` VARCHAR(10) PRIMARY KEY, `ü` INT)",
      "INSERT INTO " + db + ".`名前` VALUES ('一', 1), ('二', NULL)",
      "CREATE TABLE " + db + ".`order` (`group` INT, `desc` INT, KEY `index` (`desc`), "
      "CONSTRAINT `check` CHECK (`group` > 0))",
      "INSERT INTO " + db + ".`order` VALUES (1, 2), (1, 2)",
  });
}

// ---- chunk keys of every orderable type ------------------------------------

// Tables of about 300 rows of ~100 bytes, keyed by each type a chunk key may have, so that
// a dump with 4 KiB chunks splits them by key predicates built from their edge values.
void make_keyed_tables(Session& s) {
  const std::string pad = "REPEAT('x', 80)";
  run_all(s, {
      "DROP DATABASE IF EXISTS types_keys",
      "CREATE DATABASE types_keys CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci",
      "CREATE TABLE types_keys.k_uint (k BIGINT UNSIGNED PRIMARY KEY, pad VARCHAR(100))",
      "INSERT INTO types_keys.k_uint SELECT seq * 61489146912365172, " + pad +
          " FROM types_keys.seq_1_to_300",
      "INSERT INTO types_keys.k_uint VALUES (0, 'min'), (18446744073709551615, 'max')",
      "CREATE TABLE types_keys.k_int (k BIGINT PRIMARY KEY, pad VARCHAR(100))",
      "INSERT INTO types_keys.k_int SELECT (CAST(seq AS SIGNED) - 150) * 61489146912365172, " +
          pad + " FROM types_keys.seq_1_to_300",
      "INSERT INTO types_keys.k_int VALUES (-9223372036854775808, 'min'), "
      "(9223372036854775807, 'max')",
      "CREATE TABLE types_keys.k_text_ci (k VARCHAR(30) COLLATE utf8mb4_general_ci PRIMARY KEY, "
      "pad VARCHAR(100))",
      "INSERT IGNORE INTO types_keys.k_text_ci SELECT CONCAT(CHAR(64 + seq % 58), seq, "
      "IF(seq % 3 = 0, '  ', '')), " + pad + " FROM types_keys.seq_1_to_300",
      "INSERT IGNORE INTO types_keys.k_text_ci VALUES ('é', 1), ('😀', 2), ('中', 3), "
      "('\\\\', 4), ('\\\\N', 5), ('', 6), ('z\\'', 7), (' lead', 8), ('a\\tb', 9)",
      "CREATE TABLE types_keys.k_latin1 (k VARCHAR(10) CHARACTER SET latin1 "
      "COLLATE latin1_german2_ci PRIMARY KEY, pad VARCHAR(100))",
      "INSERT IGNORE INTO types_keys.k_latin1 SELECT CONCAT(CHAR(160 + seq % 96 USING latin1), "
      "seq), " + pad + " FROM types_keys.seq_1_to_300",
      "CREATE TABLE types_keys.k_utf16 (k VARCHAR(10) CHARACTER SET utf16 "
      "COLLATE utf16_unicode_ci PRIMARY KEY, pad VARCHAR(100))",
      "INSERT IGNORE INTO types_keys.k_utf16 SELECT CONCAT(CHAR(0x5C00 + seq USING utf16), "
      "seq % 7), " + pad + " FROM types_keys.seq_1_to_300",
      "CREATE TABLE types_keys.k_varbinary (k VARBINARY(8) PRIMARY KEY, pad VARCHAR(100))",
      "INSERT INTO types_keys.k_varbinary SELECT CONCAT(CHAR(seq % 256), "
      "REPEAT(CHAR(0), seq DIV 256 + seq % 2)), " + pad + " FROM types_keys.seq_1_to_300",
      "CREATE TABLE types_keys.k_binary (k BINARY(4) PRIMARY KEY, pad VARCHAR(100))",
      "INSERT INTO types_keys.k_binary SELECT CHAR(seq DIV 256, seq % 256), " + pad +
          " FROM types_keys.seq_1_to_300",
      "CREATE TABLE types_keys.k_decimal (k DECIMAL(65,30) PRIMARY KEY, pad VARCHAR(100))",
      "INSERT INTO types_keys.k_decimal SELECT (CAST(seq AS SIGNED) - 150) * "
      "1234567890123456789.123456789012345678901234567891, " + pad + " FROM types_keys.seq_1_to_300",
      "INSERT INTO types_keys.k_decimal VALUES "
      "(99999999999999999999999999999999999.999999999999999999999999999999, 'max'), "
      "(-99999999999999999999999999999999999.999999999999999999999999999999, 'min'), "
      "(0.000000000000000000000000000001, 'tiny')",
      "CREATE TABLE types_keys.k_temporal (t TIME(6) NOT NULL, dt DATETIME(6) NOT NULL, "
      "d DATE NOT NULL, pad VARCHAR(100), PRIMARY KEY (t, dt, d))",
      "INSERT INTO types_keys.k_temporal SELECT "
      "SEC_TO_TIME((CAST(seq AS SIGNED) - 150) * 20000.5 + seq / 1000000), "
      "IF(seq % 5 = 0, '0000-00-00 00:00:00', '2024-01-01' + INTERVAL seq * 1000 SECOND), "
      "IF(seq % 7 = 0, '2024-00-00', '2024-01-01'), " + pad + " FROM types_keys.seq_1_to_300",
      "CREATE TABLE types_keys.k_timestamp (k TIMESTAMP(6) NOT NULL PRIMARY KEY, "
      "pad VARCHAR(100))",
      "INSERT INTO types_keys.k_timestamp SELECT FROM_UNIXTIME(seq * 7000000 + seq / 1000000), " +
          pad + " FROM types_keys.seq_1_to_300",
      "INSERT INTO types_keys.k_timestamp VALUES ('1970-01-01 00:00:01', 'min'), "
      "('2038-01-19 03:14:07.999999', 'max')",
      "CREATE TABLE types_keys.k_year (k YEAR NOT NULL PRIMARY KEY, pad VARCHAR(100))",
      "INSERT INTO types_keys.k_year SELECT 1900 + seq, " + pad + " FROM types_keys.seq_1_to_255",
      "INSERT INTO types_keys.k_year VALUES (0, 'zero')",
      "CREATE TABLE types_keys.k_composite (a TINYINT NOT NULL, b CHAR(3) COLLATE utf8mb4_bin "
      "NOT NULL, c DATE NOT NULL, pad VARCHAR(100), PRIMARY KEY (a, b, c))",
      "INSERT INTO types_keys.k_composite SELECT CAST(seq AS SIGNED) % 5 - 2, CONCAT(CHAR(65 + seq % 3), "
      "IF(seq % 2 = 0, 'é', ' ')), '2024-01-01' + INTERVAL seq DAY, " + pad +
          " FROM types_keys.seq_1_to_300",
      "CREATE TABLE types_keys.k_uuid (k UUID NOT NULL PRIMARY KEY, pad VARCHAR(100))",
      "INSERT INTO types_keys.k_uuid SELECT CONCAT(LPAD(HEX(seq), 8, '0'), '-0000-1000-8000-', "
      "LPAD(HEX(seq * 7), 12, '0')), " + pad + " FROM types_keys.seq_1_to_300",
      "CREATE TABLE types_keys.k_unique_nn (id DOUBLE, u VARCHAR(20) CHARACTER SET ucs2 "
      "COLLATE ucs2_general_ci NOT NULL, pad VARCHAR(100), UNIQUE KEY (u))",
      "INSERT INTO types_keys.k_unique_nn SELECT seq / 3, CONCAT(CHAR(0x4E00 + seq USING ucs2), "
      "'\\\\N'), " + pad + " FROM types_keys.seq_1_to_300",
  });
}

}  // namespace omsbackup::testing

TEST_CASE("numbers of every type round-trip exactly at their edges", "[types]") {
  auto s = sandbox_session();
  make_numbers(*s);
  // The source holds what the test means: the float denormal, FLT_MAX, id 0.
  CHECK(scalar_text(*s, "SELECT f + 0e0 FROM types_num.floats WHERE id = 4") ==
        "1.401298464324817e-45");
  CHECK(scalar_text(*s, "SELECT f + 0e0 FROM types_num.floats WHERE id = 2") ==
        "3.4028234663852886e38");
  CHECK(scalar_text(*s, "SELECT d FROM types_num.floats WHERE id = 1") == "0.30000000000000004");
  CHECK(scalar_text(*s, "SELECT d FROM types_num.floats WHERE id = 3") == "5e-324");
  CHECK(scalar_text(*s, "SELECT COUNT(*) FROM types_num.ints WHERE id = 0") == "1");
  round_trip(*s, {"types_num"}, "types-num");
  // The same values through the INSERT loader (its literals per value kind).
  round_trip(*s, {"types_num"}, "types-num-insert", 0, LoadMethod::insert);
  CHECK(scalar_text(*s, "SELECT COUNT(*) FROM types_num.ints WHERE id = 0") == "1");
  CHECK(scalar_text(*s, "SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE "
                        "TABLE_SCHEMA = 'types_num' AND TABLE_NAME = 'ints'") == "9000000000");
  CHECK(scalar_text(*s, "SELECT HEX(b64) FROM types_num.bits WHERE id = 2") == "FFFFFFFFFFFFFFFF");
  s->execute("DROP DATABASE types_num");
}

TEST_CASE("strings, binaries, ENUM and SET round-trip byte for byte", "[types]") {
  auto s = sandbox_session();
  make_strings(*s);
  // The ENUM/SET rows the test relies on: the error value and the '' member differ.
  CHECK(scalar_text(*s, "SELECT CONCAT(e2 + 0, '/', s2 + 0) FROM types_str.enums WHERE id = 2") ==
        "0/7");
  CHECK(scalar_text(*s, "SELECT CONCAT(e2 + 0, '/', s2 + 0) FROM types_str.enums WHERE id = 3") ==
        "2/2");
  CHECK(scalar_text(*s, "SELECT HEX(u16) FROM types_str.charsets WHERE id = 3") == "5C4E");
  round_trip(*s, {"types_str"}, "types-str");
  // The same values through the INSERT loader (its literals per value kind).
  round_trip(*s, {"types_str"}, "types-str-insert", 0, LoadMethod::insert);
  CHECK(scalar_text(*s, "SELECT CONCAT(e2 + 0, '/', s2 + 0) FROM types_str.enums WHERE id = 2") ==
        "0/7");
  CHECK(scalar_text(*s, "SELECT LENGTH(lb) FROM types_str.binaries WHERE id = 2") == "1048576");
  s->execute("DROP DATABASE types_str");
}

TEST_CASE("temporal, JSON, spatial, INET4/INET6 and UUID values round-trip exactly",
          "[types]") {
  auto s = sandbox_session();
  make_temporal_and_others(*s);
  CHECK(scalar_text(*s, "SELECT UNIX_TIMESTAMP(ts0) FROM types_misc.temporals WHERE id = 1") ==
        "1");
  CHECK(scalar_text(*s, "SELECT ts6 FROM types_misc.temporals WHERE id = 2") ==
        "2038-01-19 03:14:07.999999");
  round_trip(*s, {"types_misc"}, "types-misc");
  // The same values through the INSERT loader (its literals per value kind).
  round_trip(*s, {"types_misc"}, "types-misc-insert", 0, LoadMethod::insert);
  CHECK(scalar_text(*s, "SELECT ts6 FROM types_misc.temporals WHERE id = 2") ==
        "2038-01-19 03:14:07.999999");
  CHECK(scalar_text(*s, "SELECT ST_SRID(p) FROM types_misc.spatial WHERE id = 2") == "4326");
  CHECK(scalar_text(*s, "SELECT i6 FROM types_misc.net WHERE id = 4") == "::ffff:1.2.3.4");
  s->execute("DROP DATABASE types_misc");
}

TEST_CASE("generated, invisible and defaulted columns, checks, keys and odd identifiers "
          "round-trip exactly",
          "[types]") {
  auto s = sandbox_session();
  make_schema_features(*s);
  make_odd_identifiers(*s);
  round_trip(*s, {"types_schema", kOddDb}, "types-schema");
  round_trip(*s, {"types_schema", kOddDb}, "types-schema-insert", 0, LoadMethod::insert);
  CHECK(scalar_text(*s, "SELECT CONCAT(h, '/', hs, '/', v, '/', st, '/', hv) FROM "
                        "types_schema.gen_cols WHERE id = 1") == "1/hidden/-2000/x!/-999");
  CHECK(scalar_text(*s, "SELECT upd FROM types_schema.gen_cols WHERE id = 1") ==
        "2001-02-03 04:05:06.789012");
  CHECK(scalar_text(*s, "SELECT COUNT(*) FROM types_schema.no_pk_dups") == "6");
  CHECK(scalar_text(*s, "SELECT `from` FROM " + quote_qualified(kOddDb, "select") +
                            " ORDER BY `from` LIMIT 1") == "0");
  s->execute("DROP DATABASE types_schema");
  s->execute("DROP DATABASE " + quote_identifier(kOddDb));
}

TEST_CASE("chunked dumps split tables keyed by every orderable type exactly", "[types]") {
  auto s = sandbox_session();
  make_keyed_tables(*s);
  DumpReport dr = round_trip(*s, {"types_keys"}, "types-keys", 4096);
  for (const TableReport& t : dr.tables) {
    INFO("table " << t.table << " split by " << fmt::format("{}", fmt::join(t.chunk_key, ", ")));
    // UUID is no chunk key (the table is one scan cut by size); the others are split by
    // key predicates over their edge values.
    if (t.table == "k_uuid") continue;
    CHECK_FALSE(t.chunk_key.empty());
    CHECK(t.chunks > 1);
  }
  s->execute("DROP DATABASE types_keys");
}

// SHOW CREATE TABLE prints the DEFAULT of a BINARY/VARBINARY/BLOB column as its raw bytes
// (`DEFAULT '\0<FF>'`), whatever character_set_results is: create_sql is not UTF-8, and the
// manifest must carry it byte for byte (it once failed the dump with "[json.exception.
// type_error.316] invalid UTF-8 byte").
TEST_CASE("a binary column DEFAULT that is not UTF-8 round-trips exactly", "[types]") {
  auto s = sandbox_session();
  run_all(*s, {
      "DROP DATABASE IF EXISTS types_bin_default",
      "CREATE DATABASE types_bin_default",
      "CREATE TABLE types_bin_default.t (id INT PRIMARY KEY, b VARBINARY(4) DEFAULT X'00FF', "
      "b2 BINARY(2) NOT NULL DEFAULT X'FFFE', bl BLOB DEFAULT X'80C0', "
      "u VARCHAR(8) CHARACTER SET utf8mb4 DEFAULT '\\\\xFF中')",
      "INSERT INTO types_bin_default.t (id) VALUES (1)",
  });
  round_trip(*s, {"types_bin_default"}, "types-bin-default");
  CHECK(s->scalar("SELECT HEX(CONCAT(b, b2, bl)) FROM types_bin_default.t") ==
        std::optional<std::string>("00FFFFFE80C0"));
  s->execute("INSERT INTO types_bin_default.t (id) VALUES (2)");
  CHECK(s->scalar("SELECT HEX(CONCAT(b, b2, bl, u)) FROM types_bin_default.t WHERE id = 2") ==
        std::optional<std::string>("00FFFFFE80C05C784646E4B8AD"));
  s->execute("DROP DATABASE types_bin_default");
}

// ---- known gaps -------------------------------------------------------------
// Each of these fails today, for a reason outside the value codec (see the comment on
// each). Hidden with [.], so a plain run (meson test) stays green; run them with
// integration_tests "[known-gap]". Catch2 also runs hidden tests that a tag filter names,
// so the green set is integration_tests "[types]~[known-gap]".

namespace {

std::vector<std::string> rows_as_text(Session& s, const std::string& sql) {
  std::vector<std::string> out;
  for (const auto& row : s.query(sql).rows) {
    std::string line;
    for (const auto& v : row) line += (v ? *v : std::string("NULL")) + "|";
    out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

// Until the two gaps below are closed, the dump refuses such objects by name rather than
// write an archive that silently restores without them.
TEST_CASE("a SEQUENCE or a system-versioned table is refused by name, not left out",
          "[types][dump]") {
  auto s = sandbox_session();
  run_all(*s, {
      "DROP DATABASE IF EXISTS types_refuse",
      "CREATE DATABASE types_refuse",
      "CREATE SEQUENCE types_refuse.s START WITH 100",
      "CREATE TABLE types_refuse.v (id INT PRIMARY KEY) WITH SYSTEM VERSIONING",
      "CREATE TABLE types_refuse.t (id INT PRIMARY KEY)",
      "INSERT INTO types_refuse.t VALUES (1), (2)",
  });
  DumpOptions d;
  d.connection = sandbox_connection();
  d.databases = {"types_refuse"};
  auto refused = [&](const std::string& tag) -> Error {
    d.output = fresh_path(tag);
    try {
      dump(d);
    } catch (const Error& e) {
      CHECK_FALSE(std::filesystem::exists(d.output));
      return e;
    }
    FAIL("the dump was not refused");
    return Error(Errc::internal, "", "");
  };
  Error seq = refused("refuse-seq");
  CHECK(seq.code() == Errc::unsupported);
  CHECK(seq.object() == "types_refuse.s");
  CHECK_THAT(seq.message(), Catch::Contains("has TABLE_TYPE 'SEQUENCE'") &&
                                Catch::Contains("--exclude 'types_refuse.s'"));

  d.exclude_tables = {"types_refuse.s"};
  Error ver = refused("refuse-versioned");
  CHECK(ver.code() == Errc::unsupported);
  CHECK(ver.object() == "types_refuse.v");
  CHECK_THAT(ver.message(), Catch::Contains("TABLE_TYPE 'SYSTEM VERSIONED'"));

  // Left out on purpose, both go; so does a filter that names only the plain table.
  for (const auto& [include, exclude] :
       {std::pair<std::vector<std::string>, std::vector<std::string>>{
            {}, {"types_refuse.s", "types_refuse.v"}},
        {{"types_refuse.t"}, {}}}) {
    d.include_tables = include;
    d.exclude_tables = exclude;
    d.output = fresh_path("refuse-filtered");
    DumpReport r = dump(d);
    REQUIRE(r.tables.size() == 1);
    CHECK(r.tables[0].table == "t");
    CHECK(r.total_rows() == 2);
  }
  s->execute("DROP DATABASE types_refuse");
}

// SHOW CREATE TABLE of MariaDB 10.11 does not print a geometry column's REF_SYSTEM_ID,
// so the restored column loses it (information_schema.GEOMETRY_COLUMNS.SRID becomes 0).
// Fix (catalog): read GEOMETRY_COLUMNS.SRID and put `REF_SYSTEM_ID=n` back into the
// column definitions of create_sql (or have the restore ALTER the columns).
TEST_CASE("known gap: a geometry column's REF_SYSTEM_ID survives the round trip",
          "[types][known-gap][.]") {
  auto s = sandbox_session();
  run_all(*s, {
      "DROP DATABASE IF EXISTS types_gap_srid",
      "CREATE DATABASE types_gap_srid",
      "CREATE TABLE types_gap_srid.t (id INT PRIMARY KEY, p POINT REF_SYSTEM_ID=4326, "
      "g GEOMETRY REF_SYSTEM_ID=3857 NOT NULL, SPATIAL INDEX (g))",
      "INSERT INTO types_gap_srid.t VALUES (1, ST_GeomFromText('POINT(13.4 52.5)', 4326), "
      "ST_GeomFromText('POINT(1 2)', 3857))",
  });
  const std::string srids =
      "SELECT G_GEOMETRY_COLUMN, SRID FROM information_schema.GEOMETRY_COLUMNS "
      "WHERE G_TABLE_SCHEMA = 'types_gap_srid'";
  std::vector<std::string> before = rows_as_text(*s, srids);
  REQUIRE(before == std::vector<std::string>{"g|3857|", "p|4326|"});
  round_trip(*s, {"types_gap_srid"}, "types-gap-srid");
  CHECK(rows_as_text(*s, srids) == before);
  s->execute("DROP DATABASE types_gap_srid");
}

// information_schema.TABLES says TABLE_TYPE = 'SYSTEM VERSIONED' for a table WITH SYSTEM
// VERSIONING, and the catalog only lists 'BASE TABLE': the dump refuses it (test above).
// Fix (catalog + dump + restore): list it; read its rows with
// `FOR SYSTEM_TIME ALL` plus the ROW START/ROW END columns (row_start/row_end are hidden
// and not in information_schema.COLUMNS when implicit); load them with
// `SET SESSION system_versioning_insert_history = 1` (10.11+) naming row_start/row_end.
TEST_CASE("known gap: a system-versioned table and its history survive the round trip",
          "[types][known-gap][.]") {
  auto s = sandbox_session();
  run_all(*s, {
      "DROP DATABASE IF EXISTS types_gap_versioned",
      "CREATE DATABASE types_gap_versioned",
      "CREATE TABLE types_gap_versioned.t (id INT PRIMARY KEY, v VARCHAR(10)) "
      "WITH SYSTEM VERSIONING",
      "CREATE TABLE types_gap_versioned.plain (id INT PRIMARY KEY)",
      "INSERT INTO types_gap_versioned.t VALUES (1, 'one'), (2, 'two')",
      "UPDATE types_gap_versioned.t SET v = 'uno' WHERE id = 1",
      "DELETE FROM types_gap_versioned.t WHERE id = 2",
  });
  const std::string all =
      "SELECT id, v, row_start, row_end FROM types_gap_versioned.t FOR SYSTEM_TIME ALL";
  std::vector<std::string> before = rows_as_text(*s, all);
  REQUIRE(before.size() == 3);
  std::string ddl =
      s->query("SHOW CREATE TABLE types_gap_versioned.t").rows.at(0).at(1).value_or("");
  round_trip(*s, {"types_gap_versioned"}, "types-gap-versioned");
  REQUIRE(s->scalar("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                    "'types_gap_versioned' AND TABLE_NAME = 't'") == std::optional<std::string>("1"));
  CHECK(s->query("SHOW CREATE TABLE types_gap_versioned.t").rows.at(0).at(1).value_or("") == ddl);
  CHECK(rows_as_text(*s, all) == before);
  s->execute("DROP DATABASE types_gap_versioned");
}

// A SEQUENCE has TABLE_TYPE = 'SEQUENCE': neither a base table nor a view, so the dump
// refuses it (test above). Fix (catalog + restore): dump
// SHOW CREATE SEQUENCE and the sequence's state (SELECT next_not_cached_value ... FROM seq)
// and restore it with CREATE SEQUENCE + SETVAL (or by writing its one row).
TEST_CASE("known gap: a SEQUENCE and its next value survive the round trip",
          "[types][known-gap][.]") {
  auto s = sandbox_session();
  run_all(*s, {
      "DROP DATABASE IF EXISTS types_gap_seq",
      "CREATE DATABASE types_gap_seq",
      "CREATE SEQUENCE types_gap_seq.s START WITH 100 INCREMENT BY 5 CACHE 0",
      "CREATE TABLE types_gap_seq.t (id INT PRIMARY KEY DEFAULT (NEXT VALUE FOR types_gap_seq.s))",
      "INSERT INTO types_gap_seq.t VALUES (), ()",
  });
  std::string ddl = s->query("SHOW CREATE SEQUENCE types_gap_seq.s").rows.at(0).at(1).value_or("");
  std::vector<std::string> state = rows_as_text(*s, "SELECT * FROM types_gap_seq.s");
  round_trip(*s, {"types_gap_seq"}, "types-gap-seq");
  REQUIRE(s->scalar("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                    "'types_gap_seq' AND TABLE_NAME = 's'") == std::optional<std::string>("1"));
  CHECK(s->query("SHOW CREATE SEQUENCE types_gap_seq.s").rows.at(0).at(1).value_or("") == ddl);
  CHECK(rows_as_text(*s, "SELECT * FROM types_gap_seq.s") == state);
  s->execute("DROP DATABASE types_gap_seq");
}

// The parallel restore's building blocks against the sandbox server: secondary indexes
// deferred and added back give a byte-identical SHOW CREATE TABLE, and the INSERT
// fallback loads the archive's rows exactly.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "codec/column_codec.h"
#include "codec/row_encoder.h"
#include "codec/sql_literal.h"
#include "omsbackup/error.h"
#include "restore/deferred_indexes.h"
#include "restore/insert_loader.h"
#include "server.h"
#include "sql/quote.h"

using namespace omsbackup;
using namespace omsbackup::testing;

namespace {

std::string show_create(Session& s, const std::string& db, const std::string& table) {
  return s.query("SHOW CREATE TABLE " + quote_qualified(db, table)).rows.at(0).at(1).value_or("");
}

struct DdlCase {
  std::string name;
  std::string create;  // run in database load_ddl
  bool defers;         // whether some key must be deferred
};

std::vector<DdlCase> ddl_cases() {
  std::vector<DdlCase> c = {
      {"t_no_keys", "CREATE TABLE t_no_keys (id INT PRIMARY KEY, a VARCHAR(10))", false},
      {"t_heap", "CREATE TABLE t_heap (a INT, b TEXT)", false},
      {"t_several",
       "CREATE TABLE t_several (id BIGINT NOT NULL, a VARCHAR(64) NOT NULL, b INT, "
       "c DATETIME(6), d TEXT, e VARCHAR(20) CHARACTER SET latin1, PRIMARY KEY (id), "
       "KEY idx_b (b), UNIQUE KEY uk_a (a), UNIQUE KEY `uk, b``c (x)` (b, c), "
       "KEY `idx (a), weird` (a(10), b DESC, c) USING BTREE COMMENT 'x, ''y'' \\\\ (z)', "
       "KEY idx_d (d(20)), KEY idx_e (e, id) COMMENT 'dépôt' , KEY idx_be (b, e(3))) "
       "COMMENT 'table, comment' ROW_FORMAT=DYNAMIC",
       true},
      {"t_auto_inc",
       "CREATE TABLE t_auto_inc (id INT NOT NULL AUTO_INCREMENT, code INT NOT NULL, a INT, "
       "PRIMARY KEY (code), KEY a (a), KEY id (id), KEY a2 (a, code), UNIQUE KEY u (a, id)) "
       "AUTO_INCREMENT=1000",
       true},
      {"t_auto_inc_pk",
       "CREATE TABLE t_auto_inc_pk (id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, "
       "a INT, KEY a (a)) AUTO_INCREMENT=77",
       true},
      {"t_fulltext",
       "CREATE TABLE t_fulltext (id INT PRIMARY KEY, body TEXT, title VARCHAR(100), a INT, "
       "FULLTEXT KEY ft (body, title), KEY a (a), FULLTEXT KEY ft2 (title), KEY t (title))",
       true},
      {"t_fk_parent", "CREATE TABLE t_fk_parent (id INT PRIMARY KEY, x INT, KEY x (x))", true},
      {"t_fk_child",
       "CREATE TABLE t_fk_child (id INT PRIMARY KEY, p INT, q INT, KEY q (q), "
       "CONSTRAINT fk_p FOREIGN KEY (p) REFERENCES t_fk_parent (id) ON DELETE CASCADE)",
       false},
      {"t_checks",
       "CREATE TABLE t_checks (id INT PRIMARY KEY, a INT CHECK (a <> 0), b VARCHAR(10), "
       "KEY a (a), KEY b (b), CONSTRAINT `chk, 1` CHECK (a > 0 AND b IN ('x,y', 'z')))",
       true},
      {"t_last_key_no_pk",
       "CREATE TABLE t_last_key_no_pk (a INT NOT NULL, b INT, UNIQUE KEY ua (a), KEY b (b))",
       true},
      {"t_ignored",
       "CREATE TABLE t_ignored (id INT PRIMARY KEY, a INT, b INT, KEY a (a) IGNORED, "
       "KEY b (b) COMMENT 'c' IGNORED)",
       true},
      {"t_nullable_unique",
       "CREATE TABLE t_nullable_unique (id INT PRIMARY KEY, a INT, b INT NOT NULL, c VARCHAR(20),"
       " UNIQUE KEY ua (a), UNIQUE KEY ub (b), UNIQUE KEY uc (c(5)), UNIQUE KEY uac (a, c), "
       "KEY k (c))",
       true},
      {"t_long_unique",
       "CREATE TABLE t_long_unique (id INT PRIMARY KEY, b BLOB, a INT, UNIQUE KEY ua (a), "
       "UNIQUE KEY ub (b), KEY a (a))",
       true},
      {"t_spatial",
       "CREATE TABLE t_spatial (id INT PRIMARY KEY, g POINT NOT NULL, a INT, KEY a (a), "
       "SPATIAL KEY g (g), KEY b (a, id))",
       true},
      {"t_generated",
       "CREATE TABLE t_generated (id INT PRIMARY KEY, a INT, v INT AS (a * 2) VIRTUAL, "
       "s VARCHAR(20) AS (CONCAT('x,', a)) STORED, KEY v (v), KEY s (s), KEY va (v, a))",
       true},
      {"t_partitioned",
       "CREATE TABLE t_partitioned (id INT NOT NULL, b INT NOT NULL, c INT, "
       "PRIMARY KEY (id, b), UNIQUE KEY u (b, id), KEY c (c)) "
       "PARTITION BY RANGE (id) (PARTITION p0 VALUES LESS THAN (100), "
       "PARTITION p1 VALUES LESS THAN MAXVALUE)",
       true},
      {"t_myisam",
       "CREATE TABLE t_myisam (g INT NOT NULL, id INT NOT NULL AUTO_INCREMENT, a INT, "
       "PRIMARY KEY (g, id), KEY a (a), KEY ga (g, a)) ENGINE=MyISAM",
       true},
      {"`odd, name`",
       "CREATE TABLE `odd, name` (`i``d` INT PRIMARY KEY, `a, b` INT, `心跳` VARCHAR(10), "
       "KEY `k``1, (x)` (`a, b`), KEY `心跳` (`心跳`(3), `i``d`))",
       true},
  };
  std::string twenty = "CREATE TABLE t_twenty (id INT PRIMARY KEY";
  for (int i = 0; i < 20; ++i) twenty += fmt::format(", c{} INT", i);
  for (int i = 19; i >= 0; --i) {
    twenty += fmt::format(", {}KEY k{} (c{}, c{})", i % 5 == 0 ? "UNIQUE " : "", i, i,
                          (i + 1) % 20);
  }
  twenty += ")";
  c.push_back({"t_twenty", twenty, true});
  return c;
}

}  // namespace

TEST_CASE("deferred keys added back give the same SHOW CREATE TABLE", "[load][ddl]") {
  auto s = sandbox_session();
  s->execute("DROP DATABASE IF EXISTS load_ddl");
  s->execute("CREATE DATABASE load_ddl");
  s->execute("USE load_ddl");
  s->execute("SET SESSION foreign_key_checks = 0");
  for (const DdlCase& c : ddl_cases()) {
    std::string name = c.name.front() == '`' ? c.name.substr(1, c.name.size() - 2) : c.name;
    INFO("table " << name);
    s->execute(c.create);
    std::string original = show_create(*s, "load_ddl", name);
    std::string qualified = quote_qualified("load_ddl", name);
    SplitDdl split = split_secondary_indexes(original, qualified);
    INFO("original:\n" << original << "\nsplit create:\n"
                       << split.create_sql << "\nadd: " << split.add_indexes_sql);
    CHECK(split.add_indexes_sql.empty() != c.defers);
    s->execute("DROP TABLE " + qualified);
    s->execute(split.create_sql);
    if (!split.add_indexes_sql.empty()) {
      // With a row in it, as after a load (a row would move the AUTO_INCREMENT counter,
      // and a POINT has no default).
      if (c.create.find("AUTO_INCREMENT") == std::string::npos &&
          c.create.find("POINT") == std::string::npos) {
        s->execute("INSERT INTO " + qualified + " () VALUES ()");
      }
      s->execute(split.add_indexes_sql);
    }
    REQUIRE(show_create(*s, "load_ddl", name) == original);
  }
  s->execute("DROP DATABASE load_ddl");
}

namespace {

// Encodes a table's rows as the dump does: the codec's SELECT list, read with
// character_set_results = binary.
std::string encode_table(Session& reader, const std::string& db, const TableDef& t,
                         std::uint64_t& rows) {
  RowStream st = reader.stream(fmt::format("SELECT {} FROM {}", select_list(t.columns),
                                           quote_qualified(db, t.name)));
  RowEncoder enc;
  while (st.next()) {
    for (unsigned i = 0; i < st.field_count(); ++i) {
      if (st.is_null(i)) enc.null_field();
      else enc.field(st.value(i));
    }
    enc.end_row();
  }
  rows = enc.rows();
  return enc.buffer();
}

// A source that hands out `data` in pieces of at most `piece` bytes.
std::function<std::size_t(char*, std::size_t)> source_of(const std::string& data,
                                                         std::size_t piece) {
  auto at = std::make_shared<std::size_t>(0);
  return [&data, piece, at](char* buf, std::size_t n) {
    std::size_t k = std::min({n, piece, data.size() - *at});
    std::copy_n(data.data() + *at, k, buf);
    *at += k;
    return k;
  };
}

const TableDef& table_def(const DatabaseDef& db, const std::string& name) {
  for (const TableDef& t : db.tables)
    if (t.name == name) return t;
  FAIL("no table " << name);
  throw std::logic_error("unreachable");
}

std::uint64_t com_insert(Session& s) {
  return std::stoull(
      s.query("SHOW SESSION STATUS LIKE 'Com_insert'").rows.at(0).at(1).value_or("0"));
}

template <class F>
Error error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  FAIL("no omsbackup::Error thrown");
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("insert_chunk loads the archive's rows exactly", "[load][insert]") {
  auto s = sandbox_session();
  s->execute("DROP DATABASE IF EXISTS load_ins_src");
  s->execute("DROP DATABASE IF EXISTS load_ins_dst");
  s->execute("CREATE DATABASE load_ins_src CHARACTER SET utf8mb4");
  s->execute("CREATE DATABASE load_ins_dst CHARACTER SET utf8mb4");
  s->execute(
      "CREATE TABLE load_ins_src.t ("
      " id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,"
      " s_utf VARCHAR(300) CHARACTER SET utf8mb4,"
      " s_latin TEXT CHARACTER SET latin1,"
      " vb VARBINARY(300), bl BLOB, fixed BINARY(4),"
      " f FLOAT, d DOUBLE, dec65 DECIMAL(65,30), bits BIT(64), bits5 BIT(5),"
      " dt DATETIME(6), ts TIMESTAMP(6) NULL DEFAULT NULL, dd DATE, tm TIME(3), y YEAR,"
      " j JSON, e ENUM('a','b,c',''), st SET('x','y'), u UUID, ip INET6,"
      " g_virtual INT AS (id * 2) VIRTUAL,"
      " g_stored VARCHAR(320) AS (CONCAT(s_utf, '|')) STORED,"
      " hidden INT INVISIBLE DEFAULT 5,"
      " KEY (s_utf(10)))");
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<char>(i));
  std::string bin = sql_literal(false, all_bytes);
  s->execute(fmt::format(
      "INSERT INTO load_ins_src.t (id, s_utf, s_latin, vb, bl, fixed, f, d, dec65, bits, bits5,"
      " dt, ts, dd, tm, y, j, e, st, u, ip, hidden) VALUES"
      " (0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
      "  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),"
      " (1, '', '', '', '', X'00000000', 0, 0, 0, 0, 0, '0000-00-00 00:00:00',"
      "  '0000-00-00 00:00:00', '0000-00-00', '00:00:00', 0, '{{}}', '', '', "
      "  '00000000-0000-0000-0000-000000000000', '::', 0),"
      " (2, 'NULL', 'NULL', 'NULL', 'NULL', 'NULL', 0.01051625, 0.1,"
      "  '99999999999999999999999999999999999.999999999999999999999999999999',"
      "  b'1111111111111111111111111111111111111111111111111111111111111111', b'10101',"
      "  '2024-02-29 23:59:59.999999', '2038-01-19 03:14:07.999999', '9999-12-31',"
      "  '-838:59:59.000', 2155, '{{\"a\": [1, \"é\", null, 1.5e300], \"b\\\\\\\\n\": {{}}}}',"
      "  'b,c', 'x,y', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'ffff::1', NULL),"
      " (3, '\\\\N', '\\\\N', '\\\\N', '\\\\N', '\\\\N\\t', -3.4028235e38, 1.7976931348623157e308,"
      "  '-0.000000000000000000000000000001', 1, 1, '1000-01-01 00:00:00.000001',"
      "  '1970-01-01 00:00:01', '1000-01-01', '838:59:59.999', 1901, '[]', 'a', 'y',"
      "  '123e4567-e89b-12d3-a456-426614174000', '192.168.0.1', -1),"
      " (4, 'tab\\there\\nnew\\rline\\\\back\\0nul\\Z', X'E9E8FF00', {}, {}, X'0A0D091A',"
      "  1e-45, -2.2250738585072014e-308, '1.5', 9223372036854775808, 31,"
      "  '2000-01-01 00:00:00.5', NULL, '2000-00-00', '-00:00:00.001', NULL, '\"str\"', '',"
      "  'x', NULL, NULL, 0),"
      " (5, '😀 心跳 ünïcödé', X'A0FF', X'FF', X'00', X'FFFFFFFF', 3.4028235e38, -0.0,"
      "  '0.000000000000000000000000000001', 18446744073709551614, 16,"
      "  '2024-02-29 12:00:00', '2024-02-29 12:00:00', '2024-02-29', '12:00:00', 2000,"
      "  'null', NULL, '', NULL, NULL, NULL)",
      bin, bin));
  // Bulk rows, so that a 4 KiB statement limit makes many statements.
  s->execute(
      "INSERT INTO load_ins_src.t (id, s_utf, s_latin, vb, f, d, dec65, bits, dt, j) "
      "WITH RECURSIVE n(i) AS (SELECT 10 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) "
      "SELECT i, REPEAT(CHAR(65 + i % 26), i % 97), CONCAT('é', i), UNHEX(SHA2(i, 256)), "
      "i / 7, i / 3, i / 11, i * 7919, FROM_UNIXTIME(i * 1000003.123456), "
      "JSON_OBJECT('i', i, 's', REPEAT('x', i % 13)) FROM n");

  auto reader = sandbox_session();
  reader->execute("SET SESSION character_set_results = binary");
  DatabaseDef src = read_database(*reader, "load_ins_src");
  const TableDef& def = table_def(src, "t");
  std::uint64_t rows = 0;
  std::string encoded = encode_table(*reader, "load_ins_src", def, rows);
  REQUIRE(rows == 997);

  s->execute("CREATE TABLE load_ins_dst.t LIKE load_ins_src.t");
  std::uint64_t before = com_insert(*s);
  std::uint64_t inserted =
      insert_chunk(*s, "load_ins_dst", def, source_of(encoded, 777), 4096, "load_ins_dst.t");
  CHECK(inserted == rows);
  CHECK(com_insert(*s) - before > 20);  // many statements, each under 4 KiB

  DatabaseState a = capture(*s, "load_ins_src");
  DatabaseState b = capture(*s, "load_ins_dst");
  REQUIRE(a.tables.at("t").checksum.has_value());
  CHECK(a.tables.at("t").checksum == b.tables.at("t").checksum);
  b.create_sql = a.create_sql;  // they differ only by the database's name
  require_same(a, b);

  {  // with the server's own limit: one statement
    s->execute("TRUNCATE TABLE load_ins_dst.t");
    std::size_t limit = server_max_statement_bytes(*s);
    CHECK(limit == statement_bytes_for_packet(
                       std::stoull(s->scalar("SELECT @@max_allowed_packet").value())));
    std::uint64_t b0 = com_insert(*s);
    CHECK(insert_chunk(*s, "load_ins_dst", def, source_of(encoded, 1 << 20), limit,
                       "load_ins_dst.t") == rows);
    CHECK(com_insert(*s) - b0 == 1);
    DatabaseState c = capture(*s, "load_ins_dst");
    c.create_sql = a.create_sql;
    require_same(a, c);
  }
  {  // an empty chunk inserts nothing
    s->execute("TRUNCATE TABLE load_ins_dst.t");
    std::string empty;
    CHECK(insert_chunk(*s, "load_ins_dst", def, source_of(empty, 10), 4096, "x") == 0);
  }
  {  // a row with the wrong number of fields is a corrupt archive
    s->execute("TRUNCATE TABLE load_ins_dst.t");
    std::string bad = "1\t2\n";
    Error e = error_of([&] {
      insert_chunk(*s, "load_ins_dst", def, source_of(bad, 10), 4096, "load_ins_dst.t chunk 3");
    });
    CHECK(e.code() == Errc::corrupt_archive);
    CHECK(e.object() == "load_ins_dst.t chunk 3");
    CHECK(std::string(e.what()).find("row 1 has 2 fields") != std::string::npos);
  }
  {  // a truncated chunk is a corrupt archive
    s->execute("TRUNCATE TABLE load_ins_dst.t");
    std::string cut = encoded.substr(0, encoded.size() - 1);
    Error e = error_of(
        [&] { insert_chunk(*s, "load_ins_dst", def, source_of(cut, 4096), 4096, "lbl"); });
    CHECK(e.code() == Errc::corrupt_archive);
  }
  s->execute("DROP DATABASE load_ins_src");
  s->execute("DROP DATABASE load_ins_dst");
}

TEST_CASE("a row too big for one INSERT names the table and the setting", "[load][insert]") {
  auto s = sandbox_session();
  s->execute("DROP DATABASE IF EXISTS load_big");
  s->execute("CREATE DATABASE load_big");
  s->execute("CREATE TABLE load_big.task (id INT PRIMARY KEY, body LONGBLOB)");
  TableDef def = table_def(read_database(*s, "load_big"), "task");
  RowEncoder enc;
  for (int i = 1; i <= 20; ++i) {
    enc.field(std::to_string(i));
    enc.field(std::string(i == 17 ? 10000 : 100, 'x'));
    enc.end_row();
  }
  std::string data = enc.buffer();
  Error e = error_of(
      [&] { insert_chunk(*s, "load_big", def, source_of(data, 4096), 4096, "rm.task"); });
  INFO(e.what());
  CHECK((e.code() == Errc::server || e.code() == Errc::invalid_argument));
  CHECK(e.object() == "rm.task");
  std::string msg = e.what();
  CHECK(msg.find("row 17 needs a 19.6 KiB INSERT statement") != std::string::npos);
  CHECK(msg.find("raise max_allowed_packet on the server to at least 1M") != std::string::npos);
  CHECK(msg.find("--load-method=load-data") != std::string::npos);

  // The advice holds: a packet of that size gives a budget for the statement.
  CHECK(packet_for_statement_bytes(70 * 1024 * 1024) == 71ull * 1024 * 1024);
  CHECK(statement_bytes_for_packet(71ull * 1024 * 1024) >= 70 * 1024 * 1024);
  CHECK(statement_bytes_for_packet(70ull * 1024 * 1024) < 70 * 1024 * 1024);
  CHECK(packet_for_statement_bytes(1020ull * 1024 * 1024) > 1024ull * 1024 * 1024);
  CHECK(packet_for_statement_bytes(1) == 1024 * 1024);
  s->execute("DROP DATABASE load_big");
}

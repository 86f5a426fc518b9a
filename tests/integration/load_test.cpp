// The parallel restore's building blocks against the sandbox server: secondary indexes
// deferred and added back give a byte-identical SHOW CREATE TABLE, and the INSERT
// fallback loads the archive's rows exactly: its binary literals for every byte value,
// rows too long for one statement sent as long data, up to the server's max_allowed_packet.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "codec/column_codec.h"
#include "codec/row_encoder.h"
#include "codec/sql_literal.h"
#include "omsbackup/error.h"
#include "omsbackup/omsbackup.h"
#include "restore/deferred_indexes.h"
#include "restore/insert_loader.h"
#include "server.h"
#include "sql/quote.h"
#include "util/hex.h"
#include "util/sha256.h"

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

std::uint64_t status(Session& s, const std::string& scope, const std::string& name) {
  return std::stoull(s.query(fmt::format("SHOW {} STATUS LIKE {}", scope, quote_string(name)))
                         .rows.at(0)
                         .at(1)
                         .value_or("0"));
}

// Limits for the tests: statements of at most `statement_bytes`, a single value as long as
// the sandbox takes (its max_allowed_packet is 256M).
InsertLimits statement_limit(std::size_t statement_bytes) {
  return InsertLimits{statement_bytes, 256ull << 20};
}

// Test data is written as hex literals, whatever the INSERT loader writes.
std::string hex_literal(std::string_view bytes) { return "X'" + hex_encode(bytes) + "'"; }

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
  std::string bin = hex_literal(all_bytes);
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
  std::uint64_t long_rows = status(*s, "SESSION", "Com_stmt_execute");
  std::uint64_t inserted = insert_chunk(*s, "load_ins_dst", def, source_of(encoded, 777),
                                        statement_limit(4096), "load_ins_dst.t");
  CHECK(inserted == rows);
  CHECK(com_insert(*s) - before > 20);  // many statements, each under 4 KiB
  CHECK(status(*s, "SESSION", "Com_stmt_execute") == long_rows);  // every row fits one

  DatabaseState a = capture(*s, "load_ins_src");
  DatabaseState b = capture(*s, "load_ins_dst");
  REQUIRE(a.tables.at("t").checksum.has_value());
  CHECK(a.tables.at("t").checksum == b.tables.at("t").checksum);
  b.create_sql = a.create_sql;  // they differ only by the database's name
  require_same(a, b);

  {  // rows longer than a statement: each one alone, its values sent in pieces
    s->execute("TRUNCATE TABLE load_ins_dst.t");
    std::uint64_t b0 = com_insert(*s);
    std::uint64_t e0 = status(*s, "SESSION", "Com_stmt_execute");
    std::uint64_t l0 = status(*s, "SESSION", "Com_stmt_send_long_data");
    CHECK(insert_chunk(*s, "load_ins_dst", def, source_of(encoded, 1000), statement_limit(550),
                       "load_ins_dst.t") == rows);
    // The INSERT's column list is about 300 bytes: the longer rows (a third of them,
    // measured: 319) go one by one, the others in statements of a row or two; every row is
    // in, exactly (compared below).
    std::uint64_t long_data = status(*s, "SESSION", "Com_stmt_execute") - e0;
    CHECK(long_data > 100);
    CHECK(long_data < rows - 100);
    CHECK(com_insert(*s) - b0 > 0);
    CHECK(status(*s, "SESSION", "Com_stmt_send_long_data") - l0 > long_data);
    DatabaseState c = capture(*s, "load_ins_dst");
    c.create_sql = a.create_sql;
    require_same(a, c);
  }
  {  // with the server's own limit: one statement
    s->execute("TRUNCATE TABLE load_ins_dst.t");
    std::uint64_t packet = std::stoull(s->scalar("SELECT @@max_allowed_packet").value());
    InsertLimits limits = server_insert_limits(*s);
    CHECK(limits.statement_bytes == statement_bytes_for_packet(packet));
    CHECK(limits.value_bytes == packet);
    std::uint64_t b0 = com_insert(*s);
    CHECK(insert_chunk(*s, "load_ins_dst", def, source_of(encoded, 1 << 20), limits,
                       "load_ins_dst.t") == rows);
    CHECK(com_insert(*s) - b0 == 1);
    DatabaseState c = capture(*s, "load_ins_dst");
    c.create_sql = a.create_sql;
    require_same(a, c);
  }
  {  // an empty chunk inserts nothing
    s->execute("TRUNCATE TABLE load_ins_dst.t");
    std::string empty;
    CHECK(insert_chunk(*s, "load_ins_dst", def, source_of(empty, 10), statement_limit(4096),
                       "x") == 0);
  }
  {  // a row with the wrong number of fields is a corrupt archive
    s->execute("TRUNCATE TABLE load_ins_dst.t");
    std::string bad = "1\t2\n";
    Error e = error_of([&] {
      insert_chunk(*s, "load_ins_dst", def, source_of(bad, 10), statement_limit(4096),
                   "load_ins_dst.t chunk 3", 40);
    });
    CHECK(e.code() == Errc::corrupt_archive);
    CHECK(e.object() == "load_ins_dst.t chunk 3");
    CHECK(std::string(e.what()).find("row 41 has 2 fields") != std::string::npos);
  }
  {  // a truncated chunk is a corrupt archive
    s->execute("TRUNCATE TABLE load_ins_dst.t");
    std::string cut = encoded.substr(0, encoded.size() - 1);
    Error e = error_of([&] {
      insert_chunk(*s, "load_ins_dst", def, source_of(cut, 4096), statement_limit(4096), "lbl");
    });
    CHECK(e.code() == Errc::corrupt_archive);
  }
  s->execute("DROP DATABASE load_ins_src");
  s->execute("DROP DATABASE load_ins_dst");
}


TEST_CASE("a value too big for the server names the table, the row and the setting",
          "[load][insert]") {
  auto s = sandbox_session();
  s->execute("DROP DATABASE IF EXISTS load_big");
  s->execute("CREATE DATABASE load_big");
  s->execute("CREATE TABLE load_big.task (id INT PRIMARY KEY, body LONGBLOB, note TEXT)");
  TableDef def = table_def(read_database(*s, "load_big"), "task");
  // Statements of 4 KiB, single values of 8 KiB at most (a server whose
  // max_allowed_packet is 8K).
  const InsertLimits limits{4096, 8192};
  auto rows = [](std::size_t row17) {
    RowEncoder enc;
    for (int i = 1; i <= 20; ++i) {
      enc.field(std::to_string(i));
      enc.field(std::string(i == 17 ? row17 : i == 5 ? 6000 : 100, i == 5 ? '\\' : 'x'));
      if (i == 5) enc.field(std::string(5000, '\''));
      else enc.null_field();
      enc.end_row();
    }
    return enc.buffer();
  };
  // Rows 5 and 17 need more than one statement: they go alone, in pieces.
  std::string fits = rows(8192);
  std::uint64_t e0 = status(*s, "SESSION", "Com_stmt_execute");
  CHECK(insert_chunk(*s, "load_big", def, source_of(fits, 4096), limits, "rm.task") == 20);
  CHECK(status(*s, "SESSION", "Com_stmt_execute") - e0 == 2);
  CHECK(s->scalar("SELECT CONCAT(COUNT(*), '/', SUM(LENGTH(body)), '/', SUM(LENGTH(note)), '/', "
                  "SUM(body = REPEAT('\\\\', 6000)), '/', SUM(note = REPEAT('''', 5000))) "
                  "FROM load_big.task") == "20/" + std::to_string(18 * 100 + 6000 + 8192) +
                                                "/5000/1/1");

  // One byte more in row 17 and no statement can carry it: refused by name, before the
  // server is asked.
  s->execute("TRUNCATE TABLE load_big.task");
  std::string data = rows(10000);
  Error e = error_of(
      [&] { insert_chunk(*s, "load_big", def, source_of(data, 4096), limits, "rm.task", 100); });
  INFO(e.what());
  CHECK(e.code() == Errc::server);
  CHECK(e.object() == "rm.task");
  std::string msg = e.what();
  CHECK(msg.find("row 117 has a 9.8 KiB value in column `body`") != std::string::npos);
  CHECK(msg.find("max_allowed_packet is 8.0 KiB") != std::string::npos);
  CHECK(msg.find("raise max_allowed_packet on the server to at least 1M") != std::string::npos);
  CHECK(msg.find("--load-method=load-data") != std::string::npos);

  // The budget for a statement leaves room for the packet's header.
  CHECK(statement_bytes_for_packet(16ull << 20) == (16ull << 20) - 1024 - (16ull << 20) / 100);
  CHECK(insert_limits_for_packet(16ull << 20).value_bytes == 16ull << 20);
  CHECK(statement_bytes_for_packet(1024) == 512);
  s->execute("DROP DATABASE load_big");
}

namespace {

// Sets a global variable for one test and puts the old value back when the test ends,
// passed or failed.
class GlobalSetting {
 public:
  GlobalSetting(std::string name, const std::string& value) : name_(std::move(name)) {
    auto s = sandbox_session();
    old_ = s->scalar("SELECT @@GLOBAL." + name_).value_or("");
    s->execute(fmt::format("SET GLOBAL {} = {}", name_, value));
  }
  ~GlobalSetting() {
    try {
      bool number = !old_.empty() && old_.find_first_not_of("0123456789") == std::string::npos;
      sandbox_session()->execute(
          fmt::format("SET GLOBAL {} = {}", name_, number ? old_ : quote_string(old_)));
    } catch (const std::exception& e) {
      WARN("could not set " << name_ << " back to " << old_ << ": " << e.what());
    }
  }
  GlobalSetting(const GlobalSetting&) = delete;
  GlobalSetting& operator=(const GlobalSetting&) = delete;

 private:
  std::string name_, old_;
};

std::string random_bytes(std::size_t n, std::uint32_t seed, std::string_view alphabet = {}) {
  std::mt19937 gen(seed);
  std::string b(n, '\0');
  for (char& c : b) {
    std::uint32_t r = gen();
    c = alphabet.empty() ? static_cast<char>(r & 0xFF) : alphabet[r % alphabet.size()];
  }
  return b;
}

// `n` tokens drawn from `tokens`: valid UTF-8 when they are.
std::string random_text(std::size_t n, std::uint32_t seed, const std::vector<std::string>& tokens) {
  std::mt19937 gen(seed);
  std::string t;
  for (std::size_t i = 0; i < n; ++i) t += tokens[gen() % tokens.size()];
  return t;
}

}  // namespace

TEST_CASE("binary literals read back as the exact bytes, whatever the global sql_mode",
          "[load][insert]") {
  std::vector<std::string> values;
  std::string all;
  for (int b = 0; b < 256; ++b) {
    all.push_back(static_cast<char>(b));
    values.emplace_back(1, static_cast<char>(b));
    values.push_back(std::string("a") + static_cast<char>(b) + "'\\");
  }
  values.push_back(all);
  for (std::string v : {"\xC3'", "\xE4\xB8\\", "\xF0\x9F\x98'x", "\xC0\x80\\'", "\xED\xA0\x80",
                        "\xFF\xFE\\", "\x81\\", "\\'", "\\\\N", "\\N", "abc\\", "\\", "''",
                        "\\0", "\\%\\_", "NULL"})
    values.push_back(v);
  values.emplace_back(1000, '\0');
  values.push_back(random_bytes(100000, 99));

  // A server whose global sql_mode has NO_BACKSLASH_ESCAPES and ANSI_QUOTES: the session
  // pins its own, and the literals are written for that one.
  GlobalSetting mode("sql_mode", "'NO_BACKSLASH_ESCAPES,ANSI_QUOTES,STRICT_ALL_TABLES'");
  auto s = sandbox_session();
  CHECK(s->scalar("SELECT @@SESSION.sql_mode") == "NO_AUTO_VALUE_ON_ZERO");
  for (const std::string& v : values) {
    INFO("value " << hex_encode(v.substr(0, 40)));
    CHECK(s->scalar("SELECT HEX(" + sql_literal(false, v) + ")") == hex_encode(v));
  }
  // And stored into a table through the loader, every value in its own row.
  s->execute("DROP DATABASE IF EXISTS load_lit");
  s->execute("CREATE DATABASE load_lit");
  s->execute("CREATE TABLE load_lit.t (id INT PRIMARY KEY, b LONGBLOB, v VARCHAR(300) "
             "CHARACTER SET latin1)");
  TableDef def = table_def(read_database(*s, "load_lit"), "t");
  RowEncoder enc;
  for (std::size_t i = 0; i < values.size(); ++i) {
    enc.field(std::to_string(i));
    enc.field(values[i]);
    enc.field(values[i].substr(0, 300));
    enc.end_row();
  }
  std::string data = enc.buffer();
  CHECK(insert_chunk(*s, "load_lit", def, source_of(data, 65536), server_insert_limits(*s),
                     "load_lit.t") == values.size());
  ResultSet r = s->query("SELECT id, HEX(b), HEX(v) FROM load_lit.t ORDER BY id");
  REQUIRE(r.rows.size() == values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    INFO("row " << i);
    CHECK(r.rows[i][1] == hex_encode(values[i]));
    CHECK(r.rows[i][2] == hex_encode(values[i].substr(0, 300)));
  }
  s->execute("DROP DATABASE load_lit");
}

// With the server's default 16 MiB max_allowed_packet, the INSERT path restores every row
// such a server can store and send: a 15 MiB random value as one escaped literal, a value
// near max_allowed_packet and 12 MB of bytes that all need escaping as long data; only a
// single value longer than max_allowed_packet is refused, by name.
TEST_CASE("the INSERT path restores rows up to max_allowed_packet exactly", "[load][insert]") {
  constexpr std::size_t kMiB = 1024 * 1024;
  auto s = sandbox_session();  // the sandbox's 256M packet: it inserts and compares
  const std::string random15 = random_bytes(15 * kMiB, 15);
  const std::string near_packet = random_bytes(16 * kMiB - 64 * 1024, 16);
  const std::string escapes = random_bytes(12'000'000, 12, "\\'");
  const std::string text =
      random_text(1'000'000, 3,
                  {"\\", "'", "\"", "a", "\xC3\xA9", "\xE4\xB8\xAD", "\xF0\x9F\x98\x80", "\n"});
  s->execute("DROP DATABASE IF EXISTS load_big_rows");
  s->execute("CREATE DATABASE load_big_rows CHARACTER SET utf8mb4");
  s->execute("CREATE TABLE load_big_rows.t (id INT PRIMARY KEY, b LONGBLOB, "
             "t LONGTEXT CHARACTER SET utf8mb4, n INT)");
  auto insert = [&](int id, const std::string& b, const std::string& t) {
    s->execute(fmt::format("INSERT INTO load_big_rows.t VALUES ({}, {}, {}, {})", id, b, t, id));
  };
  insert(1, hex_literal(random15), "NULL");
  insert(2, hex_literal(escapes), "NULL");
  insert(3, "REPEAT(CHAR(0), 1048576)", "NULL");
  insert(4, "NULL", "NULL");
  insert(5, "''", "''");
  insert(6, hex_literal("\\N"), "'\\\\N'");
  insert(7, hex_literal("\\'"), "'\\\\\\''");
  insert(8, hex_literal("abc\\"), "'abc\\\\'");
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  insert(9, hex_literal(all), "'NULL'");
  insert(10, hex_literal("\xC3'\xE4\xB8\\\xFF\xF0\x9F\x98"), "_utf8mb4 X'E4B8AD5C27'");
  insert(11, hex_literal(near_packet), "NULL");
  insert(12, "NULL", "CONVERT(" + hex_literal(text) + " USING utf8mb4)");
  // The source holds what the test means.
  auto sha = [](std::string_view v) {
    Sha256Digest d = Sha256::of(v);
    return hex_encode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
  };
  auto stored_sha = [&](int id, const char* column) {
    return s->scalar(fmt::format("SELECT UPPER(SHA2({}, 256)) FROM load_big_rows.t WHERE id = {}",
                                 column, id));
  };
  CHECK(stored_sha(1, "b") == sha(random15));
  CHECK(stored_sha(2, "b") == sha(escapes));
  CHECK(stored_sha(3, "b") == sha(std::string(kMiB, '\0')));
  CHECK(stored_sha(11, "b") == sha(near_packet));
  CHECK(stored_sha(12, "t") == sha(text));

  // The server's default max_allowed_packet, for the dump and the restore (they connect
  // after this).
  GlobalSetting packet("max_allowed_packet", std::to_string(16 * kMiB));
  CHECK(sandbox_session()->scalar("SELECT @@max_allowed_packet") == std::to_string(16 * kMiB));
  // The literal of row 1 fits one statement; rows 2 and 11 do not.
  const std::size_t budget = statement_bytes_for_packet(16 * kMiB);
  CHECK(sql_literal_size(false, random15) < budget - 1000);
  CHECK(sql_literal_size(false, near_packet) > budget);
  CHECK(sql_literal_size(false, escapes) > budget);

  {  // --load-method=insert
    std::uint64_t e0 = status(*s, "GLOBAL", "Com_stmt_execute");
    round_trip(*s, {"load_big_rows"}, "load-big-insert", 0, LoadMethod::insert);
    CHECK(status(*s, "GLOBAL", "Com_stmt_execute") - e0 == 2);
  }
  {  // local_infile=0 and the automatic method
    GlobalSetting infile("local_infile", "0");
    std::uint64_t e0 = status(*s, "GLOBAL", "Com_stmt_execute");
    round_trip(*s, {"load_big_rows"}, "load-big-auto", 0, LoadMethod::automatic);
    CHECK(status(*s, "GLOBAL", "Com_stmt_execute") - e0 == 2);
  }
  s->execute("DROP DATABASE load_big_rows");

  {  // a single value longer than max_allowed_packet is refused by name
    // Dumped from a server that could send it, restored to one that cannot take it.
    s->execute("DROP DATABASE IF EXISTS load_too_big");
    s->execute("CREATE DATABASE load_too_big");
    s->execute("CREATE TABLE load_too_big.t (id INT PRIMARY KEY, b LONGBLOB)");
    s->execute("INSERT INTO load_too_big.t VALUES (1, 'x'), (2, REPEAT('y', 16 * 1048576 + 1)), "
               "(3, 'z')");
    DumpOptions d;
    d.connection = sandbox_connection();
    d.databases = {"load_too_big"};
    d.output = fresh_path("load-too-big");
    {
      GlobalSetting wide("max_allowed_packet", std::to_string(64 * kMiB));
      dump(d);
    }
    RestoreOptions r;
    r.connection = sandbox_connection();
    r.archive = d.output;
    r.load_method = LoadMethod::insert;
    Error e = error_of([&] { restore(r); });
    std::string msg = e.what();
    INFO(msg);
    CHECK(msg.find("load_too_big.t chunk 1") != std::string::npos);
    CHECK(msg.find("row 2 has a 16.0 MiB value in column `b`") != std::string::npos);
    CHECK(msg.find("its max_allowed_packet is 16.0 MiB") != std::string::npos);
    CHECK(msg.find("raise max_allowed_packet on the server to at least 17M") !=
          std::string::npos);
    // The live database is untouched.
    CHECK(s->scalar("SELECT COUNT(*) FROM load_too_big.t") == "3");
    s->execute("DROP DATABASE load_too_big");
    s->execute("DROP DATABASE IF EXISTS load_too_big__omsb_stage");
  }
}

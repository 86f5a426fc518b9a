// The chunk planner against the sandbox server. Each case plans a table with a tiny chunk
// size and then proves with SQL alone, independent of the planner, that every row
// satisfies exactly one chunk predicate and that no predicate is NULL for any row.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "omsbackup/error.h"
#include "plan/chunk_key.h"
#include "plan/planner.h"
#include "server.h"
#include "sql/quote.h"

using namespace omsbackup;
using namespace omsbackup::testing;

namespace {

const std::string kDb = "plan_it";

std::unique_ptr<Session> fresh_database() {
  auto s = sandbox_session();
  s->execute("DROP DATABASE IF EXISTS " + kDb);
  s->execute("CREATE DATABASE " + kDb + " CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci");
  return s;
}

std::string q(const std::string& table) { return quote_qualified(kDb, table); }

// INSERT INTO table VALUES <rows>, in batches.
void insert_rows(Session& s, const std::string& table, const std::vector<std::string>& rows) {
  for (std::size_t i = 0; i < rows.size(); i += 400) {
    std::string sql = "INSERT INTO " + q(table) + " VALUES ";
    for (std::size_t j = i; j < std::min(rows.size(), i + 400); ++j) {
      if (j > i) sql += ", ";
      sql += "(" + rows[j] + ")";
    }
    s.execute(sql);
  }
}

std::uint64_t count(Session& s, const std::string& sql) {
  return std::stoull(s.scalar(sql).value_or("0"));
}

TablePlan plan(Session& s, const std::string& table, std::uint64_t chunk_bytes) {
  s.execute("ANALYZE TABLE " + q(table));
  TableDef t;
  t.name = table;
  return plan_table(s, kDb, t, PlanOptions{chunk_bytes});
}

std::string pred(const ChunkSpec& c) { return c.where.empty() ? "1" : "(" + c.where + ")"; }

// The proof: every row satisfies exactly one predicate, no predicate is NULL for a row,
// the chunks' counts add up to the table's, each chunk's SELECT (with its ORDER BY) runs.
// Returns the per-chunk row counts.
std::vector<std::uint64_t> require_exact_cover(Session& s, const std::string& table,
                                               const TablePlan& p) {
  REQUIRE(!p.chunks.empty());
  if (p.split_by_size) {
    REQUIRE(p.chunks.size() == 1);
    REQUIRE(p.chunks[0].where.empty());
  }
  const std::uint64_t total = count(s, "SELECT COUNT(*) FROM " + q(table));
  std::string sum, any_null;
  for (std::size_t i = 0; i < p.chunks.size(); ++i) {
    if (i > 0) {
      sum += " + ";
      any_null += " OR ";
    }
    sum += "IFNULL(" + pred(p.chunks[i]) + ", 0)";
    any_null += pred(p.chunks[i]) + " IS NULL";
  }
  INFO("table " << table << ", " << p.chunks.size() << " chunks");
  CHECK(count(s, fmt::format("SELECT COUNT(*) FROM {} WHERE ({}) <> 1", q(table), sum)) == 0);
  CHECK(count(s, fmt::format("SELECT COUNT(*) FROM {} WHERE {}", q(table), any_null)) == 0);
  std::vector<std::uint64_t> per_chunk;
  std::uint64_t added = 0;
  for (const auto& c : p.chunks) {
    per_chunk.push_back(count(s, fmt::format("SELECT COUNT(*) FROM {} WHERE {}", q(table), pred(c))));
    added += per_chunk.back();
    s.query(fmt::format("SELECT * FROM {} WHERE {} {} LIMIT 1", q(table), pred(c), c.order_by));
  }
  CHECK(added == total);
  return per_chunk;
}

// Keyed plans found at plan time never make empty chunks.
void require_no_empty_chunk(const std::vector<std::uint64_t>& per_chunk) {
  for (std::size_t i = 0; i < per_chunk.size(); ++i) {
    INFO("chunk " << i + 1 << " of " << per_chunk.size());
    CHECK(per_chunk[i] > 0);
  }
}

void require_keyed(const TablePlan& p, const std::string& index, std::size_t min_chunks) {
  REQUIRE(p.key);
  CHECK(p.key->index == index);
  CHECK_FALSE(p.split_by_size);
  CHECK(p.chunks.size() >= min_chunks);
  // Bounds for messages: open at both ends, set in between.
  CHECK(p.chunks.front().lower.empty());
  CHECK(p.chunks.back().upper.empty());
  for (std::size_t i = 1; i < p.chunks.size(); ++i) {
    CHECK_FALSE(p.chunks[i].lower.empty());
    CHECK(p.chunks[i].lower == p.chunks[i - 1].upper);
  }
}

// An integer key never gets more chunks than the estimates ask for: estimated rows over
// rows per chunk (chunk bytes over the average row length), plus a small constant.
std::uint64_t chunk_limit(const TablePlan& p, std::uint64_t chunk_bytes) {
  std::uint64_t avg =
      std::max<std::uint64_t>(p.estimated_bytes / std::max<std::uint64_t>(p.estimated_rows, 1), 1);
  return p.estimated_rows / std::max<std::uint64_t>(chunk_bytes / avg, 1) + 2;
}

std::string pad(std::size_t i) { return quote_string(std::string(40 + i % 20, 'p')); }

std::string hex_of(const std::string& bytes) {
  static const char* d = "0123456789ABCDEF";
  std::string out = "X'";
  for (unsigned char c : bytes) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out + "'";
}

}  // namespace

TEST_CASE("plan: dense integer ids, also covering rows added outside [min, max]", "[plan]") {
  auto s = fresh_database();
  s->execute("CREATE TABLE " + q("dense") + " (id INT PRIMARY KEY, pad VARCHAR(100))");
  std::vector<std::string> rows;
  for (int i = 1; i <= 2000; ++i) rows.push_back(fmt::format("{}, {}", i, pad(i)));
  insert_rows(*s, "dense", rows);
  TablePlan p = plan(*s, "dense", 2000);
  require_keyed(p, "PRIMARY", 10);
  REQUIRE(p.key->single_integer());
  CHECK(p.chunks.front().order_by == "ORDER BY `id`");
  // Never more chunks than the estimates ask for (plus a small constant).
  CHECK(p.chunks.size() <= chunk_limit(p, 2000));
  require_no_empty_chunk(require_exact_cover(*s, "dense", p));
  s->execute("INSERT INTO " + q("dense") + " VALUES (-5, 'x'), (0, 'x'), (999999, 'x')");
  require_exact_cover(*s, "dense", p);
}

TEST_CASE("plan: integer ids with gaps and negative ids", "[plan]") {
  auto s = fresh_database();
  s->execute("CREATE TABLE " + q("gaps") + " (id INT PRIMARY KEY, pad VARCHAR(100))");
  std::vector<std::string> rows;
  for (int i = 1; i <= 300; ++i) rows.push_back(fmt::format("{}, {}", i, pad(i)));
  for (int i = 10000; i <= 10300; ++i) rows.push_back(fmt::format("{}, {}", i, pad(i)));
  for (int i = 5000000; i <= 5000100; i += 3) rows.push_back(fmt::format("{}, {}", i, pad(i)));
  rows.push_back("1000000, 'x'");
  rows.push_back("2147483647, 'x'");
  insert_rows(*s, "gaps", rows);
  TablePlan p = plan(*s, "gaps", 1000);
  require_keyed(p, "PRIMARY", 5);
  CHECK(p.chunks.size() <= chunk_limit(p, 1000));
  require_no_empty_chunk(require_exact_cover(*s, "gaps", p));

  s->execute("CREATE TABLE " + q("neg") + " (id SMALLINT PRIMARY KEY, pad VARCHAR(100))");
  rows.clear();
  for (int i = -1000; i <= -1; ++i) rows.push_back(fmt::format("{}, {}", i, pad(static_cast<std::size_t>(-i))));
  for (int i : {-32768, 0, 5, 32767}) rows.push_back(fmt::format("{}, 'x'", i));
  insert_rows(*s, "neg", rows);
  p = plan(*s, "neg", 1000);
  require_keyed(p, "PRIMARY", 5);
  require_no_empty_chunk(require_exact_cover(*s, "neg", p));
}

TEST_CASE("plan: BIGINT UNSIGNED 0..18446744073709551615 and BIGINT min/max", "[plan]") {
  auto s = fresh_database();
  s->execute("CREATE TABLE " + q("ubig") + " (id BIGINT UNSIGNED PRIMARY KEY, pad VARCHAR(100))");
  std::vector<std::string> rows;
  for (unsigned i = 0; i < 200; ++i) {
    rows.push_back(fmt::format("{}, {}", i, pad(i)));
    rows.push_back(fmt::format("{}, {}", UINT64_MAX - i, pad(i)));
    rows.push_back(fmt::format("{}, {}", (std::uint64_t{1} << 63) - 100 + i, pad(i)));
  }
  insert_rows(*s, "ubig", rows);
  TablePlan p = plan(*s, "ubig", 1000);
  require_keyed(p, "PRIMARY", 3);
  CHECK(p.chunks.size() <= chunk_limit(p, 1000));
  CHECK(p.key->parts[0].is_unsigned);
  require_no_empty_chunk(require_exact_cover(*s, "ubig", p));

  s->execute("CREATE TABLE " + q("sbig") + " (id BIGINT PRIMARY KEY, pad VARCHAR(100))");
  rows.clear();
  for (std::int64_t i = 0; i < 200; ++i) {
    rows.push_back(fmt::format("{}, {}", INT64_MIN + i, pad(static_cast<std::size_t>(i))));
    rows.push_back(fmt::format("{}, {}", INT64_MAX - i, pad(static_cast<std::size_t>(i))));
    rows.push_back(fmt::format("{}, {}", i - 100, pad(static_cast<std::size_t>(i))));
  }
  insert_rows(*s, "sbig", rows);
  p = plan(*s, "sbig", 1000);
  require_keyed(p, "PRIMARY", 3);
  CHECK_FALSE(p.key->parts[0].is_unsigned);
  require_no_empty_chunk(require_exact_cover(*s, "sbig", p));
}

TEST_CASE("plan: sparse integer keys make few chunks, none empty", "[plan]") {
  auto s = fresh_database();
  s->execute("CREATE TABLE " + q("sparse") + " (id BIGINT PRIMARY KEY, pad VARCHAR(100))");
  insert_rows(*s, "sparse", {"1, 'a'", "2, 'b'", "1000000000000000000, 'c'"});
  TablePlan p = plan(*s, "sparse", 200);
  REQUIRE(p.key);
  CHECK(p.chunks.size() <= 3);
  require_no_empty_chunk(require_exact_cover(*s, "sparse", p));

  // Dense ids and one far outlier: the budget goes to where the keys are.
  s->execute("CREATE TABLE " + q("skew") + " (id BIGINT PRIMARY KEY, pad VARCHAR(100))");
  std::vector<std::string> rows;
  for (int i = 1; i <= 1000; ++i) rows.push_back(fmt::format("{}, {}", i, pad(i)));
  rows.push_back("1000000000000000000, 'x'");
  insert_rows(*s, "skew", rows);
  p = plan(*s, "skew", 1500);
  REQUIRE(p.key);
  CHECK(p.chunks.size() >= 5);
  CHECK(p.chunks.size() <= chunk_limit(p, 1500));
  std::vector<std::uint64_t> per = require_exact_cover(*s, "skew", p);
  require_no_empty_chunk(per);
  CHECK(*std::max_element(per.begin(), per.end()) < 1000);
}

TEST_CASE("plan: composite key whose rows all share the first column", "[plan]") {
  auto s = fresh_database();
  s->execute("CREATE TABLE " + q("comp") +
             " (a INT NOT NULL, b VARCHAR(40) NOT NULL, pad VARCHAR(100), PRIMARY KEY (a, b))");
  std::vector<std::string> rows;
  for (int i = 0; i < 1000; ++i) rows.push_back(fmt::format("7, 'k{:04}', {}", i, pad(i)));
  insert_rows(*s, "comp", rows);
  TablePlan p = plan(*s, "comp", 1000);
  require_keyed(p, "PRIMARY", 5);
  REQUIRE(p.key->parts.size() == 2);
  CHECK(p.chunks.front().order_by == "ORDER BY `a`, `b`");
  require_no_empty_chunk(require_exact_cover(*s, "comp", p));
  // Rows outside the planned range on either side, and on the shared prefix.
  insert_rows(*s, "comp", {"6, 'zzz', 'x'", "8, '', 'x'", "7, '', 'x'", "7, 'zzzz', 'x'"});
  require_exact_cover(*s, "comp", p);

  // (varchar, datetime) with many rows per prefix.
  s->execute("CREATE TABLE " + q("comp2") +
             " (g VARCHAR(10) NOT NULL, t DATETIME(6) NOT NULL, n INT NOT NULL, "
             "PRIMARY KEY (g, t, n))");
  rows.clear();
  for (int i = 0; i < 900; ++i)
    rows.push_back(fmt::format("'{}', '2024-01-01 00:00:00.{:06}', {}", i % 3 == 0 ? "A" : "a b",
                               i % 7, i));
  insert_rows(*s, "comp2", rows);
  p = plan(*s, "comp2", 500);
  require_keyed(p, "PRIMARY", 5);
  require_no_empty_chunk(require_exact_cover(*s, "comp2", p));
}

TEST_CASE("plan: VARCHAR keys in case-insensitive, binary and NO PAD collations", "[plan]") {
  auto s = fresh_database();
  // utf8mb4_general_ci: mixed case, accents, quotes, backslashes, trailing spaces, emoji.
  s->execute("CREATE TABLE " + q("vci") +
             " (k VARCHAR(40) COLLATE utf8mb4_general_ci PRIMARY KEY, pad VARCHAR(100))");
  std::vector<std::string> rows;
  const char* stems[] = {"Key", "kEY", "\xc3\xa9t\xc3\xa9", "ete", "a'b", "a\\b", "sp ",
                         "\xf0\x9f\x98\x80", "ZZ", "_", " lead", "\xc3\x9f"};
  int n = 0;
  for (const char* stem : stems)
    for (int i = 0; i < 60; ++i, ++n)
      rows.push_back(fmt::format("{}, {}", quote_string(fmt::format("{}{:05}{}", stem, n,
                                                                      i % 4 == 0 ? " " : "")),
                                 pad(static_cast<std::size_t>(n))));
  rows.push_back("'', 'empty'");
  insert_rows(*s, "vci", rows);
  TablePlan p = plan(*s, "vci", 1000);
  require_keyed(p, "PRIMARY", 5);
  CHECK(p.key->parts[0].collation == "utf8mb4_general_ci");
  require_no_empty_chunk(require_exact_cover(*s, "vci", p));

  // utf8mb4_bin: keys that differ only by case.
  s->execute("CREATE TABLE " + q("vbin") +
             " (k VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PRIMARY KEY, pad VARCHAR(100))");
  rows.clear();
  const std::string word = "abcdefgh";
  for (unsigned mask = 0; mask < 256; ++mask) {
    std::string w = word;
    for (unsigned b = 0; b < 8; ++b)
      if (mask & (1u << b)) w[b] = static_cast<char>(w[b] - 'a' + 'A');
    rows.push_back(fmt::format("{}, {}", quote_string(w), pad(mask)));
    if (mask < 4) rows.push_back(fmt::format("{}, 'x'", quote_string(w.substr(0, mask + 1))));
  }
  insert_rows(*s, "vbin", rows);
  p = plan(*s, "vbin", 1000);
  require_keyed(p, "PRIMARY", 5);
  require_no_empty_chunk(require_exact_cover(*s, "vbin", p));

  if (s->server().flavor != ServerFlavor::mariadb) return;  // a MariaDB-only collation
  // utf8mb4_nopad_bin: keys that differ only by trailing spaces.
  s->execute("CREATE TABLE " + q("vnopad") +
             " (k VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin PRIMARY KEY, "
             "pad VARCHAR(100))");
  rows.clear();
  rows.push_back("'', 'x'");
  for (std::size_t sp = 1; sp <= 6; ++sp) rows.push_back(fmt::format("'{}', 'x'", std::string(sp, ' ')));
  for (char c = 'a'; c <= 'z'; ++c)
    for (std::size_t sp = 0; sp <= 8; ++sp)
      rows.push_back(fmt::format("'{}{}', {}", c, std::string(sp, ' '), pad(sp)));
  insert_rows(*s, "vnopad", rows);
  REQUIRE(count(*s, "SELECT COUNT(*) FROM " + q("vnopad")) == 7 + 26 * 9);
  p = plan(*s, "vnopad", 500);
  require_keyed(p, "PRIMARY", 5);
  require_no_empty_chunk(require_exact_cover(*s, "vnopad", p));
}

TEST_CASE("plan: temporal keys (DATETIME(6), TIMESTAMP, DATE, TIME, YEAR)", "[plan]") {
  auto s = fresh_database();
  s->execute("CREATE TABLE " + q("dt") + " (t DATETIME(6) PRIMARY KEY, pad VARCHAR(100))");
  std::vector<std::string> rows;
  for (int i = 0; i < 300; ++i) {
    rows.push_back(fmt::format("'2024-02-29 23:59:59.{:06}', {}", i, pad(i)));
    rows.push_back(fmt::format("'2024-03-01 00:00:{:02}', {}", i % 60, pad(i)));
  }
  // Duplicates of the second list were folded by the seconds modulo: keep them unique.
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end(),
                         [](const std::string& a, const std::string& b) {
                           return a.substr(0, 30) == b.substr(0, 30);
                         }),
             rows.end());
  for (const char* t : {"'0000-00-00 00:00:00'", "'1000-01-01 00:00:00'",
                        "'9999-12-31 23:59:59.999999'"})
    rows.push_back(fmt::format("{}, 'x'", t));
  insert_rows(*s, "dt", rows);
  TablePlan p = plan(*s, "dt", 800);
  require_keyed(p, "PRIMARY", 5);
  require_no_empty_chunk(require_exact_cover(*s, "dt", p));

  s->execute("CREATE TABLE " + q("ts") + " (t TIMESTAMP(3) NOT NULL, pad VARCHAR(100), UNIQUE KEY ut (t))");
  rows.clear();
  for (int i = 0; i < 400; ++i)
    rows.push_back(fmt::format("'2021-03-28 0{}:{:02}:{:02}.{:03}', {}", i % 4, i % 60, i / 60, i, pad(i)));
  insert_rows(*s, "ts", rows);
  p = plan(*s, "ts", 800);
  require_keyed(p, "ut", 5);
  require_no_empty_chunk(require_exact_cover(*s, "ts", p));

  s->execute("CREATE TABLE " + q("tm") + " (t TIME(6) PRIMARY KEY, pad VARCHAR(100))");
  rows.clear();
  for (const char* t : {"-838:59:59", "-100:00:00", "-99:00:00", "-1:00:00", "-0:00:00.000001",
                        "00:00:00", "9:00:00", "10:00:00", "99:00:00", "100:00:00",
                        "838:59:59"})
    rows.push_back(fmt::format("'{}', 'x'", t));
  for (int i = 0; i < 300; ++i)
    rows.push_back(fmt::format("'{}:{:02}:00.{:06}', {}", i - 150, i % 60, i, pad(i)));
  insert_rows(*s, "tm", rows);
  p = plan(*s, "tm", 600);
  require_keyed(p, "PRIMARY", 5);
  require_no_empty_chunk(require_exact_cover(*s, "tm", p));

  s->execute("CREATE TABLE " + q("dy") +
             " (d DATE NOT NULL, y YEAR NOT NULL, pad VARCHAR(100), PRIMARY KEY (y, d))");
  rows.clear();
  for (int i = 0; i < 400; ++i)
    rows.push_back(fmt::format("'{}-{:02}-{:02}', {}, {}", 1990 + i % 50, 1 + i % 12, 1 + i % 28,
                               i % 2 == 0 ? 0 : 2000 + i % 7, pad(i)));
  insert_rows(*s, "dy", rows);
  p = plan(*s, "dy", 600);
  require_keyed(p, "PRIMARY", 5);
  require_no_empty_chunk(require_exact_cover(*s, "dy", p));
}

TEST_CASE("plan: BINARY(16), VARBINARY and DECIMAL keys", "[plan]") {
  auto s = fresh_database();
  s->execute("CREATE TABLE " + q("bin16") + " (k BINARY(16) PRIMARY KEY, pad VARCHAR(100))");
  std::vector<std::string> rows;
  rows.push_back(hex_of(std::string(16, '\0')) + ", 'zeros'");
  rows.push_back(hex_of(std::string(16, '\xff')) + ", 'ones'");
  for (int i = 0; i < 400; ++i) {
    std::string v(16, '\0');
    v[static_cast<std::size_t>(i % 16)] = static_cast<char>(i % 2 ? 0xff : i);
    v[0] = static_cast<char>(i / 16 * 10);
    rows.push_back(hex_of(v) + ", " + pad(static_cast<std::size_t>(i)));
  }
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end(),
                         [](const std::string& a, const std::string& b) {
                           return a.substr(0, 35) == b.substr(0, 35);
                         }),
             rows.end());
  insert_rows(*s, "bin16", rows);
  TablePlan p = plan(*s, "bin16", 800);
  require_keyed(p, "PRIMARY", 5);
  require_no_empty_chunk(require_exact_cover(*s, "bin16", p));

  s->execute("CREATE TABLE " + q("vbin") + " (k VARBINARY(20) PRIMARY KEY, pad VARCHAR(100))");
  rows.clear();
  rows.push_back("'', 'empty'");
  for (const std::string& v : {std::string("\0", 1), std::string("\0\0", 2), std::string("\xff"),
                              std::string("\xff\0", 2), std::string("\0\xff", 2), std::string(" "),
                              std::string("  "), std::string("a"), std::string("a "),
                              std::string("A"), std::string("\xff\xff\xff")})
    rows.push_back(hex_of(v) + ", 'x'");
  for (int i = 0; i < 300; ++i) {
    std::string v = fmt::format("{:03}", i);
    v.push_back(static_cast<char>(i % 3 == 0 ? 0 : 0xff));
    rows.push_back(hex_of(v) + ", " + pad(static_cast<std::size_t>(i)));
  }
  insert_rows(*s, "vbin", rows);
  p = plan(*s, "vbin", 800);
  require_keyed(p, "PRIMARY", 5);
  require_no_empty_chunk(require_exact_cover(*s, "vbin", p));

  // Neighbours that a comparison as double could not tell apart.
  s->execute("CREATE TABLE " + q("dec") + " (k DECIMAL(30,10) PRIMARY KEY, pad VARCHAR(100))");
  rows.clear();
  for (int i = 0; i < 150; ++i) {
    rows.push_back(fmt::format("12345678901234567890.{:010}, {}", i, pad(i)));
    rows.push_back(fmt::format("-12345678901234567890.{:010}, {}", i, pad(i)));
    rows.push_back(fmt::format("0.{:010}, {}", i, pad(i)));
  }
  rows.push_back("-0.0000000001, 'x'");
  rows.push_back("99999999999999999999.9999999999, 'x'");
  insert_rows(*s, "dec", rows);
  p = plan(*s, "dec", 800);
  require_keyed(p, "PRIMARY", 5);
  require_no_empty_chunk(require_exact_cover(*s, "dec", p));
}

TEST_CASE("plan: tables without a usable key are one scan cut by size", "[plan]") {
  auto s = fresh_database();
  s->execute("CREATE TABLE " + q("unull") + " (u INT NULL, pad VARCHAR(100), UNIQUE KEY uu (u))");
  insert_rows(*s, "unull", {"1, 'a'", "NULL, 'b'", "NULL, 'c'", "2, 'd'"});
  TablePlan p = plan(*s, "unull", 200);
  CHECK_FALSE(p.key);
  CHECK(p.split_by_size);
  require_exact_cover(*s, "unull", p);

  s->execute("CREATE TABLE " + q("heap") + " (a INT, b VARCHAR(10))");
  insert_rows(*s, "heap", {"1, 'a'", "1, 'a'", "NULL, NULL"});
  p = plan(*s, "heap", 200);
  CHECK_FALSE(p.key);
  CHECK(p.split_by_size);
  CHECK(p.chunks.front().order_by.empty());
  require_exact_cover(*s, "heap", p);
}

TEST_CASE("plan: empty tables and one-row tables are one chunk", "[plan]") {
  auto s = fresh_database();
  s->execute("CREATE TABLE " + q("e_int") + " (id INT PRIMARY KEY)");
  s->execute("CREATE TABLE " + q("e_str") + " (k VARCHAR(10) PRIMARY KEY)");
  s->execute("CREATE TABLE " + q("o_int") + " (id BIGINT UNSIGNED PRIMARY KEY)");
  s->execute("CREATE TABLE " + q("o_str") + " (k VARCHAR(10) PRIMARY KEY)");
  insert_rows(*s, "o_int", {"18446744073709551615"});
  insert_rows(*s, "o_str", {"'only'"});
  for (const char* t : {"e_int", "e_str", "o_int", "o_str"}) {
    TablePlan p = plan(*s, t, 200);
    INFO(t);
    REQUIRE(p.key);
    CHECK_FALSE(p.split_by_size);
    REQUIRE(p.chunks.size() == 1);
    CHECK(p.chunks[0].where.empty());
    require_exact_cover(*s, t, p);
  }
}

TEST_CASE("plan: a missing table is named in the error", "[plan]") {
  auto s = fresh_database();
  TableDef t;
  t.name = "no_such_table";
  try {
    plan_table(*s, kDb, t, PlanOptions{});
    FAIL("planned a table that does not exist");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("plan_it.no_such_table") != std::string::npos);
  }
}

TEST_CASE("choose_chunk_key prefers the primary key, then the narrowest NOT NULL unique key",
          "[plan]") {
  auto s = fresh_database();
  s->execute("CREATE TABLE " + q("k_pk") +
             " (id BIGINT UNSIGNED NOT NULL, u INT NOT NULL, PRIMARY KEY (id), UNIQUE KEY uu (u))");
  auto k = choose_chunk_key(*s, kDb, "k_pk");
  REQUIRE(k);
  CHECK(k->index == "PRIMARY");
  REQUIRE(k->parts.size() == 1);
  CHECK(k->parts[0].column == "id");
  CHECK(k->parts[0].data_type == "bigint");
  CHECK(k->parts[0].is_unsigned);
  CHECK(k->single_integer());

  s->execute("CREATE TABLE " + q("k_uniq") +
             " (a INT NOT NULL, b INT NOT NULL, c VARCHAR(10) CHARACTER SET latin1 COLLATE "
             "latin1_bin NOT NULL, n INT NULL, UNIQUE KEY uab (a, b), UNIQUE KEY uc (c), "
             "UNIQUE KEY un (n))");
  k = choose_chunk_key(*s, kDb, "k_uniq");
  REQUIRE(k);
  CHECK(k->index == "uc");
  REQUIRE(k->parts.size() == 1);
  CHECK(k->parts[0].data_type == "varchar");
  CHECK(k->parts[0].charset == "latin1");
  CHECK(k->parts[0].collation == "latin1_bin");
  CHECK_FALSE(k->single_integer());

  s->execute("CREATE TABLE " + q("k_tie") +
             " (a INT NOT NULL, b INT NOT NULL, x INT NOT NULL, y INT NOT NULL, "
             "UNIQUE KEY zz (a), UNIQUE KEY aa (b), UNIQUE KEY mm (y, x))");
  k = choose_chunk_key(*s, kDb, "k_tie");
  REQUIRE(k);
  CHECK(k->index == "aa");

  s->execute("CREATE TABLE " + q("k_order") +
             " (x INT NOT NULL, y VARCHAR(5) NOT NULL, UNIQUE KEY yx (y, x))");
  k = choose_chunk_key(*s, kDb, "k_order");
  REQUIRE(k);
  REQUIRE(k->parts.size() == 2);
  CHECK(k->parts[0].column == "y");
  CHECK(k->parts[1].column == "x");

  s->execute("CREATE TABLE " + q("k_nullable") + " (n INT NULL, m INT, UNIQUE KEY un (n, m))");
  CHECK_FALSE(choose_chunk_key(*s, kDb, "k_nullable"));
}

TEST_CASE("choose_chunk_key rejects prefix indexes and unsafe types", "[plan]") {
  auto s = fresh_database();
  s->execute("CREATE TABLE " + q("k_prefix") +
             " (v VARCHAR(100) NOT NULL, PRIMARY KEY (v(10)))");
  CHECK_FALSE(choose_chunk_key(*s, kDb, "k_prefix"));
  s->execute("CREATE TABLE " + q("k_prefix2") +
             " (v VARCHAR(100) NOT NULL, id INT NOT NULL, PRIMARY KEY (v(10)), UNIQUE KEY uid (id))");
  auto k = choose_chunk_key(*s, kDb, "k_prefix2");
  REQUIRE(k);
  CHECK(k->index == "uid");

  for (const char* def : {"e ENUM('a','b') NOT NULL PRIMARY KEY", "e SET('a','b') NOT NULL PRIMARY KEY",
                          "f FLOAT NOT NULL PRIMARY KEY", "f DOUBLE NOT NULL PRIMARY KEY",
                          "b BIT(8) NOT NULL PRIMARY KEY", "t TEXT NOT NULL, UNIQUE KEY ut (t)",
                          "b BLOB NOT NULL, PRIMARY KEY (b(8))"}) {
    INFO(def);
    s->execute("DROP TABLE IF EXISTS " + q("k_type"));
    s->execute(fmt::format("CREATE TABLE {} ({})", q("k_type"), def));
    CHECK_FALSE(choose_chunk_key(*s, kDb, "k_type"));
    TablePlan p = plan(*s, "k_type", 200);
    CHECK(p.split_by_size);
  }
  s->execute("DROP TABLE IF EXISTS " + q("k_type"));
  s->execute("CREATE TABLE " + q("k_type") +
             " (e ENUM('a','b') NOT NULL, d DATE NOT NULL, PRIMARY KEY (e), UNIQUE KEY ud (d))");
  k = choose_chunk_key(*s, kDb, "k_type");
  REQUIRE(k);
  CHECK(k->index == "ud");
}

// Names from an archive are quoted everywhere: databases, tables, columns, indexes,
// constraints, views, triggers and routines named with backticks, quotes, spaces, dots and
// non-ASCII letters go through omsdump and omsrestore (as an operator runs them: argv, no
// shell) and come back identical, also under another name with --rename.
//
// MariaDB and MySQL keep identifiers in utf8mb3: a name cannot hold a character outside
// the Basic Multilingual Plane (an emoji), so emoji appear in values, comments and string
// literals only.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <map>
#include <string>
#include <vector>

#include "server.h"
#include "sql/quote.h"

using namespace omsbackup;
using namespace omsbackup::testing;

namespace {

const std::string kDb1 = "we`ird db";
const std::string kDb2 = "数据库 'q' \"d\" €.x";
const std::string kRenamed = "ré`named 'db' \"x\" 名";
const std::string kPlain = "ident_plain";

using Rows = std::vector<std::vector<std::optional<std::string>>>;

std::string q(const std::string& name) { return quote_identifier(name); }
std::string qq(const std::string& db, const std::string& name) { return quote_qualified(db, name); }

void run_all(Session& s, const std::vector<std::string>& sql) {
  for (const auto& stmt : sql) {
    INFO(stmt);
    s.execute(stmt);
  }
}

// kDb1: a table named like its database, a foreign key, views (one on another, one with a
// string literal that looks like a qualified name), a trigger writing into a table
// qualified with the database's name, and a procedure.
void make_databases(Session& s) {
  const std::string d1 = q(kDb1), d2 = q(kDb2);
  const std::string t = qq(kDb1, "ta\"b le"), same = qq(kDb1, kDb1), log = qq(kDb1, "log tbl`");
  run_all(s, {
      "DROP DATABASE IF EXISTS " + d1,
      "DROP DATABASE IF EXISTS " + d2,
      "DROP DATABASE IF EXISTS " + q(kRenamed),
      "CREATE DATABASE " + d1 + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
      "CREATE DATABASE " + d2 + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
      "CREATE TABLE " + t + " (`co``l 1` INT NOT NULL AUTO_INCREMENT PRIMARY KEY, "
      "`c'o\"l` VARCHAR(40), `列 名` TEXT, `a.b` INT, "
      "KEY `i``dx 1` (`c'o\"l`), UNIQUE KEY `索引 \"u\"` (`列 名`(10)), KEY `k'2` (`a.b`, `c'o\"l`)) "
      "COMMENT '表 😀 ''x''' AUTO_INCREMENT=100",
      "INSERT INTO " + t + " (`co``l 1`, `c'o\"l`, `列 名`, `a.b`) VALUES "
      "(1, 'plain', '心跳 😀', 1), (2, '`we``ird db`.x', 'looks like a name', 2), "
      "(3, 'it''s \"q\"', NULL, NULL), (4, NULL, '\\\\`', 4)",
      "CREATE TABLE " + same + " (a INT PRIMARY KEY, `b.c` VARCHAR(10), "
      "CONSTRAINT `chk 'b'` CHECK (a >= 0))",
      "INSERT INTO " + same + " VALUES (1, 'x'), (2, 'y😀')",
      "CREATE TABLE " + log + " (id INT AUTO_INCREMENT PRIMARY KEY, msg VARCHAR(100))",
      "CREATE TABLE " + qq(kDb1, "chi\"ld") + " (id INT PRIMARY KEY, `pa``rent` INT, "
      "CONSTRAINT `fk 'x' \"y\"` FOREIGN KEY (`pa``rent`) REFERENCES " + t + " (`co``l 1`))",
      "INSERT INTO " + qq(kDb1, "chi\"ld") + " VALUES (10, 1), (11, 2)",
      "CREATE VIEW " + qq(kDb1, "v`iew 1") + " AS SELECT `co``l 1`, `c'o\"l` AS `al ias` FROM " +
          t + " WHERE `c'o\"l` <> '`we``ird db`.x'",
      "CREATE VIEW " + qq(kDb1, "v2 'x'") + " AS SELECT a, `b.c` FROM " + same,
      "CREATE VIEW " + qq(kDb1, "v3 \"top\"") + " AS SELECT `al ias` FROM " +
          qq(kDb1, "v`iew 1") + " WHERE `co``l 1` < 4",
      "CREATE TRIGGER " + qq(kDb1, "tr`g 1") + " AFTER INSERT ON " + t +
          " FOR EACH ROW INSERT INTO " + log + " (msg) VALUES (CONCAT('ins ', NEW.`c'o\"l`))",
      "CREATE PROCEDURE " + qq(kDb1, "pro`c 1") + "(IN `p'1` INT) INSERT INTO " + log +
          " (msg) SELECT COUNT(*) FROM " + t + " WHERE `co``l 1` > `p'1`",
      "CREATE TABLE " + qq(kDb2, "数据表 `x`") + " (`名前` VARCHAR(20) PRIMARY KEY, `ü\"` INT, "
      "KEY `キー 'k'` (`ü\"`)) COMMENT '😀'",
      "INSERT INTO " + qq(kDb2, "数据表 `x`") + " VALUES ('一', 1), ('二 😀', NULL), ('''', 3)",
  });
}

// Everything about a database's views, triggers and routines, read on a fresh session
// (SHOW CREATE ... without a trigger's creation time).
std::map<std::string, Rows> objects_of(const std::string& db) {
  auto s = sandbox_session();
  std::map<std::string, Rows> out;
  auto show = [&](const std::string& sql) {
    ResultSet r = s->query(sql);
    Rows rows;
    for (const auto& row : r.rows) {
      rows.emplace_back();
      for (std::size_t i = 0; i < row.size(); ++i)
        if (i >= r.columns.size() || r.columns[i] != "Created") rows.back().push_back(row[i]);
    }
    return rows;
  };
  auto names = [&](const std::string& sql) {
    std::vector<std::pair<std::string, std::string>> v;
    for (const auto& row : s->query(sql).rows) v.emplace_back(row.at(0).value_or(""), row.at(1).value_or(""));
    return v;
  };
  const std::string in = quote_string(db);
  for (const auto& [kind, name] :
       names("SELECT 'VIEW', TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = " + in))
    out[kind + " " + name] = show("SHOW CREATE VIEW " + qq(db, name));
  for (const auto& [kind, name] :
       names("SELECT 'TRIGGER', TRIGGER_NAME FROM information_schema.TRIGGERS WHERE "
             "TRIGGER_SCHEMA = " + in))
    out[kind + " " + name] = show("SHOW CREATE TRIGGER " + qq(db, name));
  for (const auto& [kind, name] :
       names("SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES WHERE "
             "ROUTINE_SCHEMA = " + in))
    out[kind + " " + name] = show("SHOW CREATE " + kind + " " + qq(db, name));
  return out;
}

std::string render(const Rows& rows) {
  std::string out;
  for (const auto& row : rows)
    for (const auto& v : row) out += (out.empty() ? "" : " | ") + v.value_or("NULL");
  return out;
}

void require_same_objects(const std::map<std::string, Rows>& a,
                          const std::map<std::string, Rows>& b) {
  std::vector<std::string> an, bn;
  for (const auto& [k, v] : a) an.push_back(k);
  for (const auto& [k, v] : b) bn.push_back(k);
  REQUIRE(an == bn);
  for (const auto& [k, v] : a) {
    INFO(k);
    CHECK(render(v) == render(b.at(k)));
  }
}

std::vector<std::string> conn_args() {
  ConnectionOptions c = sandbox_connection();
  return {"-h", c.host, "-P", std::to_string(c.port), "-u", c.user};
}

SpawnOptions with_password() { return SpawnOptions{{{"MYSQL_PWD", *sandbox_connection().password}}, {}, {}}; }

ToolResult tool(const char* which, std::vector<std::string> args) {
  std::vector<std::string> argv = {tool_path(which)};
  for (const auto& a : conn_args()) argv.push_back(a);
  for (auto& a : args) argv.push_back(std::move(a));
  return run_tool(argv, with_password());
}

std::string scalar(Session& s, const std::string& sql) { return s.scalar(sql).value_or("NULL"); }

}  // namespace

TEST_CASE("odd names round-trip through omsdump and omsrestore, also with --rename",
          "[identifiers][cli]") {
  auto s = sandbox_session();
  make_databases(*s);
  DatabaseState db1 = capture(*s, kDb1), db2 = capture(*s, kDb2);
  REQUIRE(db1.tables.size() == 4);
  auto objects1 = objects_of(kDb1);
  REQUIRE(objects1.size() == 5);
  const std::string view_rows_sql = "SELECT * FROM " + qq(kDb1, "v`iew 1") + " ORDER BY 1";
  Rows view_rows = s->query(view_rows_sql).rows;
  REQUIRE(view_rows.size() == 2);  // not the row whose value looks like a qualified name

  std::string archive = fresh_path("identifiers");
  ToolResult d = tool("OMSDUMP", {"--databases", kDb1, kDb2, "-o", archive, "--threads", "2",
                                  "--chunk-size", "4KiB"});
  INFO(d.all());
  REQUIRE(d.status == 0);
  ToolResult c = run_tool({tool_path("OMSRESTORE"), "--check", archive});
  INFO(c.all());
  REQUIRE(c.status == 0);
  CHECK(c.out.find("database " + kDb1) != std::string::npos);
  CHECK(c.out.find("数据表 `x`") != std::string::npos);

  SECTION("restored under their own names") {
    s->execute("DROP DATABASE " + q(kDb1));
    s->execute("DROP DATABASE " + q(kDb2));
    ToolResult r = tool("OMSRESTORE", {archive, "--threads", "2"});
    INFO(r.all());
    REQUIRE(r.status == 0);
    require_same(db1, capture(*s, kDb1));
    require_same(db2, capture(*s, kDb2));
    require_same_objects(objects1, objects_of(kDb1));
    CHECK(s->query(view_rows_sql).rows == view_rows);
    // The trigger fires into its own database's log.
    s->execute("INSERT INTO " + qq(kDb1, "ta\"b le") + " (`c'o\"l`) VALUES ('after')");
    CHECK(scalar(*s, "SELECT msg FROM " + qq(kDb1, "log tbl`")) == "ins after");
  }

  SECTION("restored under an odd new name with --rename, the source left alone") {
    ToolResult r = tool("OMSRESTORE", {archive, "--databases", kDb1, "--rename", kDb1 + "=" + kRenamed});
    INFO(r.all());
    REQUIRE(r.status == 0);
    require_same(db1, capture(*s, kDb1));
    require_same_objects(objects1, objects_of(kDb1));
    DatabaseState renamed = capture(*s, kRenamed);
    const std::string src_create = "CREATE DATABASE " + q(kDb1) + " ";
    REQUIRE(db1.create_sql.rfind(src_create, 0) == 0);
    CHECK(renamed.create_sql ==
          "CREATE DATABASE " + q(kRenamed) + " " + db1.create_sql.substr(src_create.size()));
    renamed.create_sql = db1.create_sql;
    require_same(db1, renamed);
    // The views read the renamed database's tables (the one named like the source database
    // included), and the string literal that looks like a qualified name is unchanged.
    auto objects = objects_of(kRenamed);
    CHECK(objects.size() == objects1.size());
    CHECK(s->query("SELECT * FROM " + qq(kRenamed, "v`iew 1") + " ORDER BY 1").rows == view_rows);
    CHECK(s->query("SELECT * FROM " + qq(kRenamed, "v2 'x'") + " ORDER BY 1").rows ==
          s->query("SELECT * FROM " + qq(kDb1, "v2 'x'") + " ORDER BY 1").rows);
    CHECK(scalar(*s, "SELECT COUNT(*) FROM " + qq(kRenamed, "v3 \"top\"")) == "2");
    for (const auto& [name, rows] : objects) {
      INFO(name);
      if (name.rfind("VIEW", 0) == 0)
        CHECK(rows.at(0).at(1).value_or("").find(q(kRenamed) + ".") != std::string::npos);
    }
    // The trigger and the procedure write into the renamed database's log, not into the
    // source's.
    s->execute("INSERT INTO " + qq(kRenamed, "ta\"b le") + " (`c'o\"l`) VALUES ('copy')");
    s->execute("CALL " + qq(kRenamed, "pro`c 1") + "(0)");
    CHECK(scalar(*s, "SELECT GROUP_CONCAT(msg ORDER BY id) FROM " + qq(kRenamed, "log tbl`")) ==
          "ins copy,5");
    CHECK(scalar(*s, "SELECT COUNT(*) FROM " + qq(kDb1, "log tbl`")) == "0");
    s->execute("DROP DATABASE " + q(kRenamed));
  }

  s->execute("DROP DATABASE IF EXISTS " + q(kDb1));
  s->execute("DROP DATABASE IF EXISTS " + q(kDb2));
}

TEST_CASE("--rename requalifies unquoted names in triggers and routines", "[identifiers][cli]") {
  auto s = sandbox_session();
  const std::string copy = kPlain + "_copy";
  run_all(*s, {
      "DROP DATABASE IF EXISTS " + kPlain,
      "DROP DATABASE IF EXISTS " + copy,
      "CREATE DATABASE " + kPlain,
      "CREATE TABLE " + kPlain + ".t (id INT PRIMARY KEY)",
      "CREATE TABLE " + kPlain + ".log (n INT)",
      "CREATE TABLE " + kPlain + ".`" + kPlain + "` (x INT)",
      // As people write them: unquoted, and a table named like the database.
      "CREATE TRIGGER " + kPlain + ".trg AFTER INSERT ON " + kPlain + ".t FOR EACH ROW "
      "INSERT INTO " + kPlain + ".log VALUES (NEW.id)",
      "CREATE PROCEDURE " + kPlain + ".p() INSERT INTO " + kPlain + "." + kPlain + " SELECT COUNT(*) FROM " +
          kPlain + ".log",
  });
  std::string archive = fresh_path("ident-plain");
  ToolResult d = tool("OMSDUMP", {"--databases", kPlain, "-o", archive});
  INFO(d.all());
  REQUIRE(d.status == 0);
  ToolResult r = tool("OMSRESTORE", {archive, "--rename", kPlain + "=" + copy});
  INFO(r.all());
  REQUIRE(r.status == 0);
  s->execute("INSERT INTO " + copy + ".t VALUES (7)");
  s->execute("CALL " + copy + ".p()");
  CHECK(scalar(*s, "SELECT GROUP_CONCAT(n) FROM " + copy + ".log") == "7");
  CHECK(scalar(*s, "SELECT GROUP_CONCAT(x) FROM " + copy + "." + kPlain) == "1");
  CHECK(scalar(*s, "SELECT COUNT(*) FROM " + kPlain + ".log") == "0");
  CHECK(scalar(*s, "SELECT COUNT(*) FROM " + kPlain + "." + kPlain) == "0");
  s->execute("DROP DATABASE " + kPlain);
  s->execute("DROP DATABASE " + copy);
}

TEST_CASE("a database named like another's staging copy is refused, nothing changed",
          "[identifiers][cli]") {
  auto s = sandbox_session();
  const std::string a = "ident_c", b = "ident_c__omsb_stage";
  run_all(*s, {"DROP DATABASE IF EXISTS " + a, "DROP DATABASE IF EXISTS " + b,
               "CREATE DATABASE " + a, "CREATE TABLE " + a + ".t (id INT PRIMARY KEY)",
               "INSERT INTO " + a + ".t VALUES (1)", "CREATE DATABASE " + b,
               "CREATE TABLE " + b + ".u (id INT PRIMARY KEY)", "INSERT INTO " + b + ".u VALUES (2)"});
  DatabaseState da = capture(*s, a), db = capture(*s, b);
  std::string archive = fresh_path("ident-stage");
  ToolResult d = tool("OMSDUMP", {"--databases", a, b, "-o", archive});
  INFO(d.all());
  REQUIRE(d.status == 0);
  ToolResult r = tool("OMSRESTORE", {archive});
  INFO(r.all());
  CHECK(r.status != 0);
  CHECK(r.err.find(b) != std::string::npos);
  CHECK(r.err.find("--rename") != std::string::npos);
  require_same(da, capture(*s, a));
  require_same(db, capture(*s, b));
  // Each alone, or one renamed, restores.
  ToolResult one = tool("OMSRESTORE", {archive, "--databases", b, "--rename", b + "=ident_c_other"});
  INFO(one.all());
  CHECK(one.status == 0);
  s->execute("DROP DATABASE " + a);
  s->execute("DROP DATABASE " + b);
  s->execute("DROP DATABASE IF EXISTS ident_c_other");
}

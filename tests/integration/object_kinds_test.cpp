// Object kinds beyond plain tables, views, procedures and functions: MariaDB's Oracle-mode
// packages (a package and its body), a stored aggregate function, and tables whose rows
// are not their own (a MERGE table over two MyISAM tables; FEDERATED and BLACKHOLE), each
// through a dump and the three kinds of restore: staged (built in X__omsb_stage, moved
// into X with RENAME TABLE), --in-place and --rename. Then the proof of the objects after
// a restore (restore/objects.h prove_objects): it must fail, naming the object, when an
// object differs from the archive's, is missing or is extra.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "archive/manifest.h"
#include "omsbackup/omsbackup.h"
#include "restore/objects.h"
#include "server.h"
#include "sql/quote.h"

using namespace omsbackup;
using namespace omsbackup::testing;

namespace {

using Rows = std::vector<std::vector<std::optional<std::string>>>;

const std::string kSrc = "okd_src";
const std::string kCopy = "okd_copy";

void run_all(Session& s, const std::vector<std::string>& sql) {
  for (const auto& q : sql) {
    INFO(q);
    s.execute(q);
  }
}

std::string scalar(Session& s, const std::string& sql) { return s.scalar(sql).value_or("NULL"); }

// okd_src: two MyISAM tables and a MERGE table over them (INSERT_METHOD=LAST), an InnoDB
// table the package writes to, a package and its body (a variable, a function and a
// procedure; the body names a table qualified with the database, for --rename), a stored
// aggregate function and a view that uses it over the MERGE table.
void make_source(Session& s) {
  std::string put_back = fmt::format("SET SESSION sql_mode = {}",
                                     quote_string(scalar(s, "SELECT @@SESSION.sql_mode")));
  run_all(s, {
      "DROP DATABASE IF EXISTS okd_src",
      "DROP DATABASE IF EXISTS okd_copy",
      "CREATE DATABASE okd_src CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
      "CREATE TABLE okd_src.part1 (id INT NOT NULL, v VARCHAR(20), KEY k_id (id)) ENGINE=MyISAM",
      "CREATE TABLE okd_src.part2 (id INT NOT NULL, v VARCHAR(20), KEY k_id (id)) ENGINE=MyISAM",
      "CREATE TABLE okd_src.all_parts (id INT NOT NULL, v VARCHAR(20), KEY k_id (id)) "
      "ENGINE=MERGE UNION=(okd_src.part1, okd_src.part2) INSERT_METHOD=LAST",
      "INSERT INTO okd_src.part1 VALUES (1, 'one'), (2, 'two'), (3, 'three')",
      "INSERT INTO okd_src.part2 VALUES (10, 'ten'), (11, 'eleven')",
      "INSERT INTO okd_src.all_parts VALUES (12, 'twelve')",  // into part2 (LAST)
      "CREATE TABLE okd_src.calls (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(50))",
      "INSERT INTO okd_src.calls (what) VALUES ('by hand')",
  });
  s.execute("SET SESSION sql_mode = 'ORACLE'");
  run_all(s, {
      "CREATE PACKAGE okd_src.pkg AS\n"
      "  FUNCTION next_no RETURN INT;\n"
      "  PROCEDURE log_call(p_what VARCHAR2);\n"
      "END",
      "CREATE PACKAGE BODY okd_src.pkg AS\n"
      "  counter INT := 100;\n"
      "  FUNCTION next_no RETURN INT AS BEGIN counter := counter + 1; RETURN counter; END;\n"
      "  PROCEDURE log_call(p_what VARCHAR2) AS\n"
      "  BEGIN\n"
      "    INSERT INTO okd_src.calls (what) VALUES (p_what || ':' || next_no());\n"
      "  END;\n"
      "END",
  });
  s.execute(put_back);
  run_all(s, {
      "CREATE AGGREGATE FUNCTION okd_src.agg_sum(x INT) RETURNS INT DETERMINISTIC\n"
      "BEGIN\n"
      "  DECLARE total INT DEFAULT 0;\n"
      "  DECLARE CONTINUE HANDLER FOR NOT FOUND RETURN total;\n"
      "  LOOP FETCH GROUP NEXT ROW; SET total = total + x; END LOOP;\n"
      "END",
      "CREATE VIEW okd_src.v_parts AS SELECT okd_src.agg_sum(id) AS total, COUNT(*) AS n "
      "FROM okd_src.all_parts",
  });
}

// Read on a fresh session: no default database (SHOW CREATE VIEW depends on it), and the
// package's state (its variable) starts anew.
std::map<std::string, std::vector<std::string>> objects_of(const std::string& db) {
  auto s = sandbox_session();
  return object_definitions(*s, db);
}

// What the package, the aggregate function, the view and the MERGE table do, in a fresh
// session: the package's variable starts at its initial value.
std::vector<std::string> behaviour(const std::string& db) {
  auto s = sandbox_session();
  std::vector<std::string> out;
  s->execute(fmt::format("CALL {}.pkg.log_call('probe')", quote_identifier(db)));
  out.push_back(scalar(*s, fmt::format("SELECT what FROM {} ORDER BY id DESC LIMIT 1",
                                       quote_qualified(db, "calls"))));
  out.push_back(scalar(*s, fmt::format("SELECT {}.pkg.next_no()", quote_identifier(db))));
  out.push_back(scalar(*s, fmt::format("SELECT CONCAT(total, '/', n) FROM {}",
                                       quote_qualified(db, "v_parts"))));
  out.push_back(scalar(*s, fmt::format("SELECT {}(id) FROM {}", quote_qualified(db, "agg_sum"),
                                       quote_qualified(db, "part1"))));
  return out;
}

std::string merge_rows(Session& s, const std::string& db) {
  return scalar(s, fmt::format("SELECT GROUP_CONCAT(id, '=', v ORDER BY id) FROM {}",
                               quote_qualified(db, "all_parts")));
}

DumpOptions dump_options(const std::vector<std::string>& dbs, const std::string& tag) {
  DumpOptions d;
  d.connection = sandbox_connection();
  d.databases = dbs;
  d.output = fresh_path(tag);
  d.threads = 2;
  return d;
}

RestoreOptions restore_options(const std::string& archive) {
  RestoreOptions r;
  r.connection = sandbox_connection();
  r.archive = archive;
  r.threads = 2;
  return r;
}

const TableEntry& table_in(const Manifest& m, const std::string& name) {
  for (const auto& t : m.databases.at(0).tables)
    if (t.def.name == name) return t;
  FAIL("no table " + name + " in the archive");
  return m.databases.at(0).tables.at(0);
}

bool plugin_ready(Session& s, const std::string& engine, const std::string& soname) {
  auto active = [&] {
    return s.scalar(fmt::format("SELECT SUPPORT FROM information_schema.ENGINES WHERE ENGINE = {}",
                                quote_string(engine)))
        .has_value();
  };
  if (active()) return true;
  try {
    s.execute(fmt::format("INSTALL SONAME {}", quote_string(soname)));
  } catch (const Error& e) {
    WARN("cannot install " + soname + ": " + e.what());
    return false;
  }
  return active();
}

}  // namespace

TEST_CASE("packages, an aggregate function and a MERGE table round-trip: staged, in place and "
          "renamed",
          "[objects][restore]") {
  auto s = sandbox_session();
  make_source(*s);
  DatabaseState before = capture(*s, kSrc);
  auto objects = objects_of(kSrc);
  REQUIRE(objects.count("PACKAGE pkg") == 1);
  REQUIRE(objects.count("PACKAGE BODY pkg") == 1);
  REQUIRE(objects.count("FUNCTION agg_sum") == 1);
  const std::string rows = merge_rows(*s, kSrc);
  REQUIRE(rows == "1=one,2=two,3=three,10=ten,11=eleven,12=twelve");

  DumpOptions d = dump_options({kSrc}, "kinds");
  DumpReport report = dump(d);
  for (const auto& t : report.tables) CHECK(t.ddl_only == (t.table == "all_parts" ? "merge" : ""));

  Manifest m = Manifest::from_json(read_file(d.output + "/manifest.json"));
  const TableEntry& merge = table_in(m, "all_parts");
  CHECK(merge.def.ddl_only == "merge");
  CHECK(merge.chunks.empty());
  CHECK(merge.rows == 0);
  CHECK(table_in(m, "part1").rows == 3);
  CHECK(table_in(m, "part2").rows == 3);
  std::vector<std::string> routines;
  for (const auto& r : m.databases.at(0).objects.routines) routines.push_back(r.type + " " + r.name);
  CHECK(routines == std::vector<std::string>{"FUNCTION agg_sum", "PACKAGE pkg", "PACKAGE BODY pkg"});

  // The source's own behaviour, after the dump (it writes a row into calls).
  const std::vector<std::string> expected = behaviour(kSrc);
  REQUIRE(expected.at(0) == "probe:101");

  SECTION("staged, over the live database (its package is dropped before the swap)") {
    RestoreReport r = restore(restore_options(d.output));
    CHECK(r.staged);
    CHECK(r.warnings.empty());
    require_same(before, capture(*s, kSrc));
    CHECK(objects_of(kSrc) == objects);
    CHECK(merge_rows(*s, kSrc) == rows);
    CHECK(behaviour(kSrc) == expected);
  }

  SECTION("--in-place") {
    RestoreOptions o = restore_options(d.output);
    o.in_place = true;
    restore(o);
    require_same(before, capture(*s, kSrc));
    CHECK(objects_of(kSrc) == objects);
    CHECK(merge_rows(*s, kSrc) == rows);
    CHECK(behaviour(kSrc) == expected);
  }

  SECTION("--rename, the source left alone") {
    RestoreOptions o = restore_options(d.output);
    o.rename = {{kSrc, kCopy}};
    restore(o);
    DatabaseState copy = capture(*s, kCopy);
    copy.create_sql = before.create_sql;
    require_same(before, copy);
    CHECK(merge_rows(*s, kCopy) == rows);
    // The package body writes into the copy's table, and the view reads the copy's tables.
    auto copied = objects_of(kCopy);
    REQUIRE(copied.count("PACKAGE BODY pkg") == 1);
    bool requalified = false;
    for (const auto& col : copied.at("PACKAGE BODY pkg"))
      requalified = requalified || col.find("INSERT INTO `okd_copy`.calls") != std::string::npos;
    CHECK(requalified);
    CHECK(behaviour(kCopy) == expected);
    CHECK(scalar(*s, "SELECT COUNT(*) FROM okd_src.calls") == "2");  // by hand + the probe
    // An INSERT through the copy's MERGE table lands in the copy's last table.
    s->execute("INSERT INTO okd_copy.all_parts VALUES (99, 'new')");
    CHECK(scalar(*s, "SELECT COUNT(*) FROM okd_copy.part2 WHERE id = 99") == "1");
    CHECK(scalar(*s, "SELECT COUNT(*) FROM okd_src.part2 WHERE id = 99") == "0");
    s->execute("DROP DATABASE okd_copy");
  }
  s->execute("DROP DATABASE IF EXISTS okd_src");
}

// FEDERATED (FederatedX) rows are another server's table's; BLACKHOLE keeps none. Both are
// archived as DDL only: before, the dump archived the FEDERATED table's rows and the
// restore inserted them into the remote table a second time.
TEST_CASE("FEDERATED and BLACKHOLE tables are archived as DDL only", "[objects][restore]") {
  auto s = sandbox_session();
  bool federated = plugin_ready(*s, "FEDERATED", "ha_federatedx");
  bool blackhole = plugin_ready(*s, "BLACKHOLE", "ha_blackhole");
  REQUIRE((federated || blackhole));
  ConnectionOptions c = sandbox_connection();
  run_all(*s, {
      "DROP DATABASE IF EXISTS okd_remote",
      "DROP DATABASE IF EXISTS okd_fed",
      "CREATE DATABASE okd_remote",
      // No key: rows written to it a second time would stay (with a key FederatedX would
      // drop the duplicates without a word).
      "CREATE TABLE okd_remote.t (id INT, v VARCHAR(10))",
      "INSERT INTO okd_remote.t VALUES (1, 'a'), (2, 'b')",
      "CREATE DATABASE okd_fed",
      "CREATE TABLE okd_fed.plain (id INT PRIMARY KEY)",
      "INSERT INTO okd_fed.plain VALUES (7)",
  });
  if (federated) {
    s->execute("DROP SERVER IF EXISTS okd_srv");
    s->execute(fmt::format(
        "CREATE SERVER okd_srv FOREIGN DATA WRAPPER mysql OPTIONS (HOST '127.0.0.1', PORT {}, "
        "USER {}, PASSWORD {}, DATABASE 'okd_remote')",
        c.port, quote_string(c.user), quote_string(c.password.value_or(""))));
    s->execute("CREATE TABLE okd_fed.fed (id INT, v VARCHAR(10)) ENGINE=FEDERATED "
               "CONNECTION='okd_srv/t'");
    REQUIRE(scalar(*s, "SELECT COUNT(*) FROM okd_fed.fed") == "2");
  }
  if (blackhole) s->execute("CREATE TABLE okd_fed.hole (id INT) ENGINE=BLACKHOLE");
  DatabaseState before = capture(*s, "okd_fed");
  DumpOptions d = dump_options({"okd_fed"}, "kinds-fed");
  dump(d);
  Manifest m = Manifest::from_json(read_file(d.output + "/manifest.json"));
  if (federated) {
    CHECK(table_in(m, "fed").def.ddl_only == "remote");
    CHECK(table_in(m, "fed").chunks.empty());
  }
  if (blackhole) CHECK(table_in(m, "hole").def.ddl_only == "blackhole");
  CHECK(table_in(m, "plain").rows == 1);

  RestoreOptions o = restore_options(d.output);
  SECTION("staged") {}
  SECTION("in place") { o.in_place = true; }
  restore(o);
  require_same(before, capture(*s, "okd_fed"));
  // The remote table holds its two rows, not four.
  CHECK(scalar(*s, "SELECT GROUP_CONCAT(id ORDER BY id) FROM okd_remote.t") == "1,2");
  s->execute("DROP DATABASE okd_fed");
  s->execute("DROP DATABASE okd_remote");
  if (federated) s->execute("DROP SERVER IF EXISTS okd_srv");
}

// ---- the proof of the objects ------------------------------------------------------------

namespace {

// A restored okd_src and its archive's entry, for calling prove_objects directly.
struct Restored {
  Manifest manifest;
  DatabaseEntry entry() const { return manifest.databases.at(0); }
};

Restored restored_source(const std::string& tag) {
  auto s = sandbox_session();
  make_source(*s);
  run_all(*s, {
      "CREATE TRIGGER okd_src.t_first BEFORE INSERT ON okd_src.calls FOR EACH ROW "
      "SET NEW.what = CONCAT(NEW.what, '+1')",
      "CREATE TRIGGER okd_src.t_second BEFORE INSERT ON okd_src.calls FOR EACH ROW "
      "SET NEW.what = CONCAT(NEW.what, '+2')",
      "CREATE EVENT okd_src.ev ON SCHEDULE EVERY 1 DAY STARTS '2031-01-01 00:00:00' DISABLE "
      "DO DELETE FROM okd_src.calls WHERE id < 0",
  });
  DumpOptions d = dump_options({kSrc}, tag);
  dump(d);
  restore(restore_options(d.output));
  return Restored{Manifest::from_json(read_file(d.output + "/manifest.json"))};
}

Error proof_error(const Restored& r) {
  auto s = sandbox_session();
  std::vector<std::string> warnings;
  try {
    prove_objects(*s, r.entry(), r.manifest, warnings);
  } catch (const Error& e) {
    return e;
  }
  FAIL("the proof passed");
  return Error(Errc::internal, "", "");
}

}  // namespace

TEST_CASE("the proof of the objects names an object that differs, is missing or is extra",
          "[objects][restore]") {
  Restored r = restored_source("kinds-proof");
  auto s = sandbox_session();
  {
    std::vector<std::string> warnings;
    prove_objects(*s, r.entry(), r.manifest, warnings);  // as restored: the same
    CHECK(warnings.empty());
  }

  SECTION("a view with another definition") {
    s->execute("CREATE OR REPLACE VIEW okd_src.v_parts AS SELECT okd_src.agg_sum(id) AS total, "
               "COUNT(*) + 1 AS n FROM okd_src.all_parts");
    Error e = proof_error(r);
    CHECK(e.code() == Errc::verify_failed);
    CHECK(e.object() == "okd_src.v_parts");
    CHECK_THAT(e.message(), Catch::Contains("view okd_src.v_parts: its statement differs") &&
                                Catch::Contains("line 1, column") &&
                                Catch::Contains("\"+ 1 AS `n`"));
  }
  SECTION("a package body with another body, on its second line") {
    s->execute("SET SESSION sql_mode = 'ORACLE'");
    s->execute("CREATE OR REPLACE PACKAGE BODY okd_src.pkg AS\n"
               "  counter INT := 200;\n"
               "  FUNCTION next_no RETURN INT AS BEGIN counter := counter + 1; RETURN counter; END;\n"
               "  PROCEDURE log_call(p_what VARCHAR2) AS BEGIN NULL; END;\n"
               "END");
    Error e = proof_error(r);
    CHECK(e.object() == "okd_src.pkg");
    CHECK_THAT(e.message(), Catch::Contains("package body okd_src.pkg") &&
                                Catch::Contains("line 2, column 18") &&
                                Catch::Contains("\"100;\"") && Catch::Contains("\"200;\""));
  }
  SECTION("a routine's sql_mode") {
    s->execute("DROP FUNCTION okd_src.agg_sum");
    s->execute("USE okd_src");
    s->execute("SET SESSION sql_mode = 'PIPES_AS_CONCAT'");
    s->execute(r.entry().objects.routines.at(0).create_sql);
    Error e = proof_error(r);
    CHECK(e.object() == "okd_src.agg_sum");
    CHECK_THAT(e.message(), Catch::Contains("function okd_src.agg_sum: its sql_mode is 'PIPES_AS_CONCAT'"));
  }
  SECTION("a missing trigger") {
    s->execute("DROP TRIGGER okd_src.t_second");
    Error e = proof_error(r);
    CHECK(e.object() == "okd_src.t_second");
    CHECK_THAT(e.message(), Catch::Contains("trigger okd_src.t_second is missing"));
  }
  SECTION("triggers in another firing order") {
    s->execute("DROP TRIGGER okd_src.t_first");
    s->execute("CREATE TRIGGER okd_src.t_first BEFORE INSERT ON okd_src.calls FOR EACH ROW "
               "SET NEW.what = CONCAT(NEW.what, '+1')");
    Error e = proof_error(r);
    CHECK(e.object() == "okd_src.t_first");
    CHECK_THAT(e.message(), Catch::Contains("fire in the order t_second, t_first on the server, "
                                            "t_first, t_second in the archive"));
  }
  SECTION("an extra procedure") {
    s->execute("CREATE PROCEDURE okd_src.extra() SELECT 1");
    Error e = proof_error(r);
    CHECK(e.object() == "okd_src.extra");
    CHECK_THAT(e.message(), Catch::Contains("procedure okd_src.extra is on the server after the "
                                            "restore but not in the archive"));
  }
  SECTION("an event's schedule") {
    s->execute("ALTER EVENT okd_src.ev ON SCHEDULE EVERY 2 DAY STARTS '2031-01-01 00:00:00'");
    Error e = proof_error(r);
    CHECK(e.object() == "okd_src.ev");
    CHECK_THAT(e.message(), Catch::Contains("event okd_src.ev: its statement differs"));
  }
  SECTION("on another server version a differing definition is a warning, a missing one not") {
    r.manifest.server_version = "0.0.1-elsewhere";
    s->execute("CREATE OR REPLACE VIEW okd_src.v_parts AS SELECT 1 AS total, 2 AS n");
    std::vector<std::string> warnings;
    prove_objects(*s, r.entry(), r.manifest, warnings);
    REQUIRE(warnings.size() == 1);
    CHECK_THAT(warnings[0], Catch::Contains("view okd_src.v_parts: its statement differs"));
    s->execute("DROP VIEW okd_src.v_parts");
    Error e = proof_error(r);
    CHECK_THAT(e.message(), Catch::Contains("view okd_src.v_parts is missing"));
  }
  s->execute("DROP DATABASE IF EXISTS okd_src");
}

// The restore runs the proof after it creates the objects: an object changed on the server
// at that moment (here: between creating the events and the proof) fails the restore.
TEST_CASE("omsrestore fails when an object differs after it was created", "[objects][restore][cli]") {
  auto s = sandbox_session();
  make_source(*s);
  DatabaseState before = capture(*s, kSrc);
  auto objects = objects_of(kSrc);
  std::string archive = fresh_path("kinds-proof-cli");
  ToolResult d = run_tool({tool_path("OMSDUMP"), "--defaults-file", sandbox_cnf(), "--databases",
                           kSrc, "-o", archive});
  INFO(d.all());
  REQUIRE(d.status == 0);
  const std::string pause = temp_dir("kinds-pause") + "/paused";
  SpawnOptions env;
  env.env = {{"OMSB_TEST_PAUSE_AT", "restore.proving-objects:1"}, {"OMSB_TEST_PAUSE_FILE", pause}};
  Child restore_tool({tool_path("OMSRESTORE"), "--defaults-file", sandbox_cnf(), archive}, env);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!std::filesystem::exists(pause)) {
    if (!restore_tool.running()) FAIL("omsrestore ended before the proof: " + restore_tool.wait().all());
    if (std::chrono::steady_clock::now() > deadline) FAIL("omsrestore did not reach the proof");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  s->execute("SET SESSION sql_mode = 'ORACLE'");
  s->execute("CREATE OR REPLACE PACKAGE BODY okd_src.pkg AS\n"
             "  counter INT := 100;\n"
             "  FUNCTION next_no RETURN INT AS BEGIN counter := counter + 2; RETURN counter; END;\n"
             "  PROCEDURE log_call(p_what VARCHAR2) AS BEGIN NULL; END;\n"
             "END");
  s->execute("SET SESSION sql_mode = DEFAULT");
  std::filesystem::remove(pause);
  ToolResult r = restore_tool.wait();
  INFO(r.all());
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Catch::Contains("package body okd_src.pkg: its statement differs") &&
                        Catch::Contains("line 3, column 61"));
  // --resume drops the objects (the changed package body too) and creates them again.
  ToolResult resumed = run_tool(
      {tool_path("OMSRESTORE"), "--defaults-file", sandbox_cnf(), "--resume", archive});
  INFO(resumed.all());
  CHECK(resumed.status == 0);
  require_same(before, capture(*s, kSrc));
  CHECK(objects_of(kSrc) == objects);
  std::filesystem::remove(archive + ".restore-journal");
  s->execute("DROP DATABASE IF EXISTS okd_src");
}

// A database's COMMENT (MariaDB 10.5+) is part of SHOW CREATE DATABASE: before, a restore
// created the database with its character set and collation only, and lost it.
TEST_CASE("a database's COMMENT survives staged, in-place and renamed restores", "[restore]") {
  auto s = sandbox_session();
  run_all(*s, {
      "DROP DATABASE IF EXISTS okd_comment",
      "DROP DATABASE IF EXISTS okd_comment_copy",
      "CREATE DATABASE okd_comment COMMENT 'OMS metadata: it''s \\\\ \"quoted\"'",
      "CREATE TABLE okd_comment.t (id INT PRIMARY KEY)",
      "INSERT INTO okd_comment.t VALUES (1)",
  });
  DatabaseState before = capture(*s, "okd_comment");
  REQUIRE(before.create_sql.find(" COMMENT 'OMS metadata: it''s") != std::string::npos);
  DumpOptions d = dump_options({"okd_comment"}, "kinds-comment");
  dump(d);
  RestoreOptions o = restore_options(d.output);
  std::string target = "okd_comment";
  SECTION("staged, over the database with another comment") {
    s->execute("ALTER DATABASE okd_comment COMMENT 'changed by an upgrade'");
  }
  SECTION("staged, into a new database") { s->execute("DROP DATABASE okd_comment"); }
  SECTION("in place") { o.in_place = true; }
  SECTION("renamed") {
    o.rename = {{"okd_comment", "okd_comment_copy"}};
    target = "okd_comment_copy";
  }
  restore(o);
  DatabaseState after = capture(*s, target);
  if (target != "okd_comment") {
    CHECK(after.create_sql.find("CREATE DATABASE `okd_comment_copy` ") == 0);
    after.create_sql = before.create_sql;
  }
  require_same(before, after);
  s->execute("DROP DATABASE IF EXISTS okd_comment_copy");

  // An archive of a database without a comment takes the live one's away.
  run_all(*s, {"DROP DATABASE IF EXISTS okd_comment", "CREATE DATABASE okd_comment",
               "CREATE TABLE okd_comment.t (id INT PRIMARY KEY)"});
  DatabaseState plain = capture(*s, "okd_comment");
  DumpOptions d2 = dump_options({"okd_comment"}, "kinds-comment-none");
  dump(d2);
  s->execute("ALTER DATABASE okd_comment COMMENT 'added later'");
  restore(restore_options(d2.output));
  require_same(plain, capture(*s, "okd_comment"));
  s->execute("DROP DATABASE okd_comment");
}

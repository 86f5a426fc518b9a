// A restore changes only what it was asked to, and brings back exactly what the archive
// holds, in every mode: foreign keys across databases (also from tables the restore does
// not touch), database comments, a FLOAT's negative zero, rows that break their table's
// CHECK constraints, --rename without --databases. Each case fails if the restore
// silently loses or changes one of them.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "omsbackup/dump.h"
#include "omsbackup/error.h"
#include "omsbackup/restore.h"
#include "server.h"
#include "sql/quote.h"

using namespace omsbackup;
using namespace omsbackup::testing;
namespace fs = std::filesystem;

namespace {

void run_all(Session& s, const std::vector<std::string>& statements) {
  for (const auto& sql : statements) s.execute(sql);
}

std::string scalar_text(Session& s, const std::string& sql) {
  return s.scalar(sql).value_or("NULL");
}

std::string show_create(Session& s, const std::string& db, const std::string& table) {
  return s.query("SHOW CREATE TABLE " + quote_qualified(db, table)).rows.at(0).at(1).value_or("");
}

// Two databases with foreign keys both ways between them, a third outside the archive
// whose table points into one of them, comments on the databases, a FLOAT holding -0 and
// +0, and rows that break their table's CHECK constraints.
void make_corpus(Session& s) {
  run_all(s, {
      "SET SESSION foreign_key_checks = 0",
      "DROP DATABASE IF EXISTS ex_a", "DROP DATABASE IF EXISTS ex_b",
      "DROP DATABASE IF EXISTS ex_out", "DROP DATABASE IF EXISTS ex_a_copy",
      "CREATE DATABASE ex_a CHARACTER SET utf8mb4 COLLATE utf8mb4_bin "
      "COMMENT 'rm''s twin — «ä» \\\\ back\\\\slash'",
      "CREATE DATABASE ex_b CHARACTER SET latin1 COLLATE latin1_swedish_ci COMMENT 'b'",
      "CREATE DATABASE ex_out",
      "CREATE TABLE ex_b.parent (id INT PRIMARY KEY, name VARCHAR(20)) ENGINE=InnoDB",
      "CREATE TABLE ex_b.multi (a INT, b INT, PRIMARY KEY (a, b)) ENGINE=InnoDB",
      "CREATE TABLE ex_a.child (id INT AUTO_INCREMENT PRIMARY KEY, pid INT, "
      "CONSTRAINT fk_child_parent FOREIGN KEY (pid) REFERENCES ex_b.parent (id) "
      "ON DELETE CASCADE ON UPDATE SET NULL) ENGINE=InnoDB AUTO_INCREMENT=100",
      // Two foreign keys into ex_b on one table, one of them composite and NO ACTION.
      "CREATE TABLE ex_a.multi_child (id INT PRIMARY KEY, a INT, b INT, "
      "CONSTRAINT z_fk FOREIGN KEY (a, b) REFERENCES ex_b.multi (a, b) ON DELETE NO ACTION, "
      "CONSTRAINT a_fk FOREIGN KEY (id) REFERENCES ex_b.parent (id)) ENGINE=InnoDB",
      // Within one database, with a name the server chose.
      "CREATE TABLE ex_a.local_parent (id INT PRIMARY KEY) ENGINE=InnoDB",
      "CREATE TABLE ex_a.local_child (id INT PRIMARY KEY, lp INT, FOREIGN KEY (lp) "
      "REFERENCES local_parent (id)) ENGINE=InnoDB",
      // And back the other way.
      "CREATE TABLE ex_b.back (id INT PRIMARY KEY, cid INT, CONSTRAINT fk_back FOREIGN KEY "
      "(cid) REFERENCES ex_a.child (id)) ENGINE=InnoDB",
      // A database the archive does not hold, pointing into one it does.
      "CREATE TABLE ex_out.watcher (id INT PRIMARY KEY, pid INT, CONSTRAINT fk_watch "
      "FOREIGN KEY (pid) REFERENCES ex_b.parent (id)) ENGINE=InnoDB",
      "INSERT INTO ex_b.parent VALUES (1, 'one'), (2, 'two'), (3, 'three')",
      "INSERT INTO ex_b.multi VALUES (1, 1), (2, 2)",
      "INSERT INTO ex_a.child (pid) VALUES (1), (2), (NULL)",
      "INSERT INTO ex_a.multi_child VALUES (1, 1, 1), (2, NULL, NULL)",
      "INSERT INTO ex_a.local_parent VALUES (1), (2)",
      "INSERT INTO ex_a.local_child VALUES (1, 1), (2, 2)",
      "INSERT INTO ex_b.back VALUES (1, 100), (2, 101)",
      "INSERT INTO ex_out.watcher VALUES (1, 1), (2, 3)",
      "SET SESSION foreign_key_checks = 1",
      // A FLOAT keeps -0 for a negative value too small for it; its text reads "0".
      "CREATE TABLE ex_a.floats (id INT PRIMARY KEY, f FLOAT, d DOUBLE, u FLOAT UNSIGNED)",
      "INSERT INTO ex_a.floats VALUES (1, -1e-50, -0e0, 0), (2, 0, 0, 0), "
      "(3, 1.401298464324817e-45, 5e-324, 1.5), (4, -1.401298464324817e-45, -5e-324, NULL), "
      "(5, NULL, NULL, NULL), (6, -3.4028234663852886e38, -1.7976931348623157e308, 3e38), "
      "(7, -1e-50, 1, 2)",
      // Rows that break the table's own CHECK constraints (column and table level).
      "CREATE TABLE ex_a.checked (id INT PRIMARY KEY, a INT CHECK (a > 0), b INT, "
      "CONSTRAINT b_small CHECK (b < 10), CONSTRAINT ab CHECK (a IS NULL OR a <> b))",
      "SET SESSION check_constraint_checks = 0",
      "INSERT INTO ex_a.checked VALUES (1, -5, 100), (2, NULL, NULL), (3, 1, 1), (4, 2, 3)",
      "SET SESSION check_constraint_checks = 1",
      // AUTO_INCREMENT columns holding 0 beside columns LOAD DATA must assign in its SET
      // clause (an ENUM/SET with an empty member, a BIT, a FLOAT): the server then forgets
      // that the row gave the 0 and would hand out the counter instead.
      "SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_AUTO_VALUE_ON_ZERO')",
      "CREATE TABLE ex_a.zero_ids (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, "
      "e ENUM('a','b c',''), s SET('x',''), b BIT(3)) AUTO_INCREMENT=9000",
      "INSERT INTO ex_a.zero_ids VALUES (0, '', '', b'101'), (1, 'a', 'x', NULL), "
      "(18446744073709551613, 'b c', NULL, 0)",
      "CREATE TABLE ex_b.zero_second (f FLOAT, id INT NOT NULL AUTO_INCREMENT, KEY (id)) "
      "AUTO_INCREMENT=50",
      "INSERT INTO ex_b.zero_second VALUES (-1e-50, 0), (1.5, 7), (NULL, 0)",
      "SET SESSION sql_mode = DEFAULT",
  });
  // The source holds what the test means.
  REQUIRE(scalar_text(s, "SELECT COUNT(*) FROM ex_a.zero_ids WHERE id = 0") == "1");
  REQUIRE(scalar_text(s, "SELECT COUNT(*) FROM ex_b.zero_second WHERE id = 0") == "2");
  REQUIRE(scalar_text(s, "SELECT ATAN2(f, -1) < 0 FROM ex_a.floats WHERE id = 1") == "1");
  REQUIRE(scalar_text(s, "SELECT ATAN2(f, -1) < 0 FROM ex_a.floats WHERE id = 2") == "0");
  REQUIRE(scalar_text(s, "SELECT COUNT(*) FROM ex_a.checked WHERE a <= 0 OR b >= 10") == "1");
  REQUIRE(show_create(s, "ex_a", "child").find("REFERENCES `ex_b`.`parent`") != std::string::npos);
}

void drop_corpus(Session& s) {
  run_all(s, {"SET SESSION foreign_key_checks = 0", "DROP DATABASE IF EXISTS ex_a", "DROP DATABASE IF EXISTS ex_b",
              "DROP DATABASE IF EXISTS ex_out", "DROP DATABASE IF EXISTS ex_a_copy",
              "SET SESSION foreign_key_checks = 1"});
}

std::string dump_corpus(const std::string& tag) {
  DumpOptions d;
  d.connection = sandbox_connection();
  d.databases = {"ex_a", "ex_b"};
  d.output = fresh_path(tag);
  dump(d);
  return d.output;
}

RestoreOptions restore_options(const std::string& archive) {
  RestoreOptions r;
  r.connection = sandbox_connection();
  r.archive = archive;
  return r;
}

// What happens on the live server after the backup, and must be undone (or, for what the
// restore was not asked to touch, kept).
void change_after_backup(Session& s) {
  run_all(s, {
      "INSERT INTO ex_b.parent VALUES (4, 'after the backup')",
      "INSERT INTO ex_a.child (pid) VALUES (4)",
      "UPDATE ex_a.floats SET f = 7 WHERE id = 1",
      "ALTER DATABASE ex_a COMMENT 'changed'",
      "ALTER DATABASE ex_b COMMENT ''",
      "CREATE TABLE ex_a.added_later (id INT PRIMARY KEY)",
  });
}

// Foreign keys hold after the restore: they point at the live parents, and the server
// enforces them.
void require_foreign_keys_work(Session& s) {
  CHECK(show_create(s, "ex_out", "watcher").find("REFERENCES `ex_b`.`parent`") != std::string::npos);
  CHECK_THROWS_AS(s.execute("INSERT INTO ex_a.child (pid) VALUES (999)"), Error);
  CHECK_THROWS_AS(s.execute("INSERT INTO ex_out.watcher VALUES (99, 999)"), Error);
  CHECK_THROWS_AS(s.execute("INSERT INTO ex_b.back VALUES (99, 999)"), Error);
  CHECK_THROWS_AS(s.execute("DELETE FROM ex_b.parent WHERE id = 2"), Error);  // multi_child
  s.execute("DELETE FROM ex_a.multi_child WHERE id = 2");
  // The cascade into ex_a.child would orphan ex_b.back's row.
  CHECK_THROWS_AS(s.execute("DELETE FROM ex_b.parent WHERE id = 2"), Error);
  s.execute("DELETE FROM ex_b.back WHERE cid = 101");
  s.execute("DELETE FROM ex_b.parent WHERE id = 2");  // cascades into ex_a.child
  CHECK(scalar_text(s, "SELECT COUNT(*) FROM ex_a.child WHERE pid = 2") == "0");
}

// The source's states with the names the server prints.
struct Corpus {
  DatabaseState a, b;
  std::string watcher;
};

Corpus capture_corpus(Session& s) {
  return {capture(s, "ex_a"), capture(s, "ex_b"), show_create(s, "ex_out", "watcher")};
}

void require_restored(Session& s, const Corpus& before) {
  {
    INFO("database ex_a");
    require_same(before.a, capture(s, "ex_a"));
  }
  {
    INFO("database ex_b");
    require_same(before.b, capture(s, "ex_b"));
  }
  CHECK(show_create(s, "ex_out", "watcher") == before.watcher);
  CHECK(scalar_text(s, "SELECT ATAN2(f, -1) < 0 FROM ex_a.floats WHERE id = 1") == "1");
  CHECK(scalar_text(s, "SELECT COUNT(*) FROM ex_a.checked WHERE a <= 0 OR b >= 10") == "1");
  // Nothing left behind.
  CHECK(scalar_text(s, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE "
                       "'ex\\_%\\_\\_omsb\\_%'") == "0");
}

// SET GLOBAL local_infile for the scope of a test, put back as it was even on failure.
class GlobalLocalInfile {
 public:
  GlobalLocalInfile(Session& s, const char* value) : s_(s) {
    old_ = scalar_text(s, "SELECT @@GLOBAL.local_infile");
    s.execute(fmt::format("SET GLOBAL local_infile = {}", value));
  }
  ~GlobalLocalInfile() {
    try {
      s_.execute(fmt::format("SET GLOBAL local_infile = {}", old_));
    } catch (...) {
    }
  }

 private:
  Session& s_;
  std::string old_;
};

}  // namespace

TEST_CASE("every restore mode brings back cross-database foreign keys, comments, -0 and "
          "CHECK-breaking rows exactly",
          "[exact][restore]") {
  auto s = sandbox_session();
  make_corpus(*s);
  const Corpus before = capture_corpus(*s);
  const std::string archive = dump_corpus("exact-modes");

  struct Mode {
    const char* name;
    bool in_place, drop_first;
    LoadMethod method;
    bool local_infile_off;
  };
  const Mode modes[] = {
      {"staged over the live databases (LOAD DATA)", false, false, LoadMethod::load_data, false},
      {"staged onto a server without them", false, true, LoadMethod::automatic, false},
      {"in place", true, false, LoadMethod::load_data, false},
      {"staged, INSERT", false, false, LoadMethod::insert, false},
      {"in place, INSERT", true, false, LoadMethod::insert, false},
      {"staged, the server with local_infile=0", false, false, LoadMethod::automatic, true},
  };
  for (const Mode& mode : modes) {
    INFO("mode: " << mode.name);
    change_after_backup(*s);
    if (mode.drop_first) {
      s->execute("SET SESSION foreign_key_checks = 0");
      run_all(*s, {"DROP DATABASE ex_a", "DROP DATABASE ex_b"});
      s->execute("SET SESSION foreign_key_checks = 1");
    }
    std::unique_ptr<GlobalLocalInfile> infile;
    if (mode.local_infile_off) infile = std::make_unique<GlobalLocalInfile>(*s, "0");
    RestoreOptions r = restore_options(archive);
    r.in_place = mode.in_place;
    r.load_method = mode.method;
    RestoreReport rr = restore(r);
    CHECK(rr.verified);
    if (mode.local_infile_off || mode.method == LoadMethod::insert) CHECK(rr.load_method == "insert");
    infile.reset();
    require_restored(*s, before);
  }
  require_foreign_keys_work(*s);
  drop_corpus(*s);
}

TEST_CASE("a restore of one database leaves foreign keys into it from other databases intact",
          "[exact][restore]") {
  auto s = sandbox_session();
  make_corpus(*s);
  const std::string archive = dump_corpus("exact-one-db");
  change_after_backup(*s);
  const std::string child = show_create(*s, "ex_a", "child");
  const std::string multi_child = show_create(*s, "ex_a", "multi_child");
  const DatabaseState a_live = capture(*s, "ex_a");
  for (bool in_place : {false, true}) {
    INFO((in_place ? "in place" : "staged"));
    RestoreOptions r = restore_options(archive);
    r.databases = {"ex_b"};
    r.in_place = in_place;
    restore(r);
    // ex_a was not asked for: its rows written after the backup and its foreign keys into
    // ex_b are as they were (the swap's RENAME would have pointed them at ex_b__omsb_old).
    CHECK(show_create(*s, "ex_a", "child") == child);
    CHECK(show_create(*s, "ex_a", "multi_child") == multi_child);
    CHECK(scalar_text(*s, "SELECT COUNT(*) FROM ex_a.child") == "4");
    require_same(a_live, capture(*s, "ex_a"));
    CHECK(scalar_text(*s, "SELECT COUNT(*) FROM ex_b.parent") == "3");
  }
  CHECK(show_create(*s, "ex_out", "watcher").find("REFERENCES `ex_b`.`parent`") != std::string::npos);
  CHECK_THROWS_AS(s->execute("INSERT INTO ex_out.watcher VALUES (99, 999)"), Error);
  drop_corpus(*s);
}

TEST_CASE("--rename without --databases restores only the renamed database", "[exact][restore]") {
  auto s = sandbox_session();
  make_corpus(*s);
  const DatabaseState a_source = capture(*s, "ex_a");
  const std::string archive = dump_corpus("exact-rename");
  change_after_backup(*s);
  const DatabaseState a_live = capture(*s, "ex_a"), b_live = capture(*s, "ex_b");

  RestoreOptions r = restore_options(archive);
  r.rename = {{"ex_a", "ex_a_copy"}};
  RestoreReport rr = restore(r);
  CHECK(rr.databases == std::vector<std::string>{"ex_a_copy"});
  bool said = false;
  for (const auto& w : rr.warnings) said = said || w.find("not restored: ex_b") != std::string::npos;
  CHECK(said);
  // The live databases, with what was written after the backup, are untouched.
  require_same(a_live, capture(*s, "ex_a"));
  require_same(b_live, capture(*s, "ex_b"));
  CHECK(scalar_text(*s, "SELECT name FROM ex_b.parent WHERE id = 4") == "after the backup");
  // The copy is the archive's ex_a under another name (its comment and foreign keys too).
  DatabaseState copy = capture(*s, "ex_a_copy");
  DatabaseState expected = a_source;
  expected.create_sql.replace(expected.create_sql.find("`ex_a`"), 6, "`ex_a_copy`");
  require_same(expected, copy);
  drop_corpus(*s);
}

TEST_CASE("the dump counts rows that break CHECK constraints, for the restore's preflight",
          "[exact][dump]") {
  auto s = sandbox_session();
  make_corpus(*s);
  const std::string archive = dump_corpus("exact-checks");
  const std::string manifest = read_file(archive + "/manifest.json");
  auto m = nlohmann::json::parse(manifest);
  std::map<std::string, std::uint64_t> counted;
  for (const auto& db : m.at("databases"))
    for (const auto& t : db.at("tables"))
      if (t.contains("check_violations"))
        counted[db.at("name").get<std::string>() + "." + t.at("name").get<std::string>()] =
            t.at("check_violations").get<std::uint64_t>();
  // Rows 1 (a <= 0 and b >= 10) and 3 (a = b): two rows, however many checks each breaks.
  CHECK(counted == std::map<std::string, std::uint64_t>{{"ex_a.checked", 2}});
  drop_corpus(*s);
}

TEST_CASE("the restore checks the DDL it leaves in place and fails naming what differs",
          "[exact][restore][cli]") {
  auto s = sandbox_session();
  make_corpus(*s);
  const std::string archive = dump_corpus("exact-ddl-check");
  const std::string pause_file = temp_dir("exact-pause") + "/paused";
  // Paused after ex_a's objects are created, before its DDL is read back: change a table
  // behind the restore's back.
  Child tool({tool_path("OMSRESTORE"), "--defaults-file=" + sandbox_cnf(), "-B", "ex_a", archive},
             paused_at("restore.objects:1", pause_file));
  REQUIRE(wait_until_paused(tool, pause_file));
  s->execute("ALTER TABLE ex_a.local_parent COMMENT 'changed behind the restore'");
  fs::remove(pause_file);
  ToolResult res = tool.wait();
  INFO(res.all());
  CHECK(res.status == 1);
  CHECK(res.all().find("ex_a.local_parent") != std::string::npos);
  CHECK(res.all().find("SHOW CREATE TABLE") != std::string::npos);
  drop_corpus(*s);
}

TEST_CASE("omsrestore killed between dropping and adding back a foreign key resumes it",
          "[exact][restore][cli]") {
  auto s = sandbox_session();
  make_corpus(*s);
  const Corpus before = capture_corpus(*s);
  const std::string archive = dump_corpus("exact-fk-kill");
  change_after_backup(*s);
  std::vector<std::string> argv = {tool_path("OMSRESTORE"), "--defaults-file=" + sandbox_cnf(),
                                   archive};
  ToolResult killed = run_tool(argv, SpawnOptions{{{"OMSB_TEST_STOP_AT",
                                                     "restore.foreign-key-dropped:1"}},
                                                   {"MYSQL_PWD"},
                                                   std::nullopt});
  INFO(killed.all());
  REQUIRE(killed.status == -1);  // SIGKILLed at the point
  argv.insert(argv.end() - 1, "--resume");
  ToolResult resumed = run_tool(argv, SpawnOptions{{}, {"MYSQL_PWD"}, std::nullopt});
  INFO(resumed.all());
  REQUIRE(resumed.status == 0);
  // The summary covers the whole restore, also what the killed run did: all 33 rows of
  // the corpus's 11 tables (one chunk each), proven.
  CHECK(resumed.all().find("33 rows") != std::string::npos);
  CHECK(resumed.all().find("every table proven identical") != std::string::npos);
  CHECK(resumed.all().find("NOT verified") == std::string::npos);
  CHECK(resumed.all().find("done: chunks 11/11, 33 rows") != std::string::npos);
  require_restored(*s, before);
  require_foreign_keys_work(*s);
  drop_corpus(*s);
}

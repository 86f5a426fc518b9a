// omsdump --from-sql against the sandbox: files made by the real mariadb-dump (the old
// procedure's command, and with --routines --events --triggers --databases) are imported
// into archives and restored with the staged swap, exactly as the sources were when they
// were dumped; a cut file, DROP DATABASE mysql and a statement on another database are
// refused naming the line and change nothing; no scratch database is ever left behind.
#include <fmt/format.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "omsbackup/omsbackup.h"
#include "server.h"
#include "sql/session.h"

using namespace omsbackup;
using namespace omsbackup::testing;

namespace {

const char* kRm = "fsql_rm";
const char* kHb = "fsql_hb";
const char* kOther = "fsql_other";

void run_all(Session& s, const std::vector<std::string>& statements) {
  for (const auto& sql : statements) s.execute(sql);
}

// A hostile corpus: every kind of value mysqldump has to print and a server to read back.
void make_sources(Session& s) {
  run_all(s, {
      fmt::format("DROP DATABASE IF EXISTS {}", kRm),
      fmt::format("DROP DATABASE IF EXISTS {}", kHb),
      // The old procedure's file does not say the database's character set: the server's
      // default is what it gets back.
      fmt::format("CREATE DATABASE {}", kRm),
      fmt::format("CREATE DATABASE {} CHARACTER SET latin1 COLLATE latin1_swedish_ci", kHb),
      fmt::format("CREATE TABLE {}.vals (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, "
                  "ti TINYINT, biu BIGINT UNSIGNED, d65 DECIMAL(65,30), f FLOAT, dbl DOUBLE, "
                  "b1 BIT(1), b64 BIT(64), y YEAR, d DATE, dt DATETIME(6), ts TIMESTAMP(6) NULL, "
                  "t TIME(6), c CHAR(5), v VARCHAR(100) COLLATE utf8mb4_bin, tx TEXT, "
                  "vb VARBINARY(300), bl LONGBLOB, e ENUM('a','b c',''), st SET('x','y'), j JSON, "
                  "g INT AS (ti * 2) VIRTUAL, gs VARCHAR(120) AS (REVERSE(v)) STORED, "
                  "`列 ünï` VARCHAR(10), KEY (ti)) AUTO_INCREMENT=9000",
                  kRm),
      "SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'",
      fmt::format("INSERT INTO {}.vals (id, ti, biu, d65, f, dbl, b1, b64, y, d, dt, ts, t, c, v, "
                  "tx, vb, bl, e, st, j, `列 ünï`) VALUES "
                  "(0, -128, 18446744073709551615, "
                  "-99999999999999999999999999999999999.999999999999999999999999999999, -1.5, "
                  "1.7976931348623157e308, b'1', X'8000000000000000', 0, '0000-00-00', "
                  "'0000-00-00 00:00:00', '0000-00-00 00:00:00', '-838:59:59', '', '', '', '', "
                  "'', '', '', '{{}}', ''), "
                  "(1, 127, 0, 0.000000000000000000000000000001, 3.25, 4.9e-324, b'0', 0, 2155, "
                  "'9999-12-31', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999', "
                  "'838:59:59.999999', 'a\\'b', 'tab\\tnl\\ncr\\rbs\\\\nul\\0end', "
                  "'😀 中文 e\\u0301', X'000A0D095C27225A1A', X'00FFFE0D0A5C', 'b c', 'x,y', "
                  "'{{\"a\": [1, 2.50, \"\\\\u00e9\"], \"b\": null}}', 'ü'), "
                  "(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
                  "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), "
                  "(3, 0, 1, -0.5, -0.0, -0.0, b'1', b'1111111111111111111111111111111111111111111111111111111111111111', "
                  "1901, '2024-02-29', '2024-02-29 23:59:59.000001', '1970-01-01 00:00:01', "
                  "'-00:00:00.000001', 'abc  ', 'trailing  ', REPEAT('x', 70000), "
                  "REPEAT(X'00FF', 150), REPEAT(X'DEADBEEF', 50000), '', '', '[]', NULL)",
                  kRm),
      fmt::format("CREATE TABLE {}.`ünï ☃ table` (`ключ` INT PRIMARY KEY, `a``b` VARCHAR(5)) "
                  "COMMENT 'unicode names'",
                  kRm),
      fmt::format("INSERT INTO {}.`ünï ☃ table` VALUES (1, 'x'), (2, NULL)", kRm),
      fmt::format("CREATE TABLE {}.nokey (a INT, b VARCHAR(10))", kRm),
      fmt::format("INSERT INTO {}.nokey VALUES (1, 'dup'), (1, 'dup'), (NULL, NULL)", kRm),
      fmt::format("CREATE TABLE {}.heatbeat_sequence (id BIGINT(20) NOT NULL AUTO_INCREMENT "
                  "COMMENT 'PK', gmt_created DATETIME NOT NULL, gmt_modified DATETIME NOT NULL, "
                  "PRIMARY KEY (id)) DEFAULT CHARSET=utf8 COMMENT='心跳 sequence 表'",
                  kHb),
      fmt::format("INSERT INTO {}.heatbeat_sequence VALUES (41, '2024-01-01 00:00:00', "
                  "'2024-01-01 00:00:00'), (42, '2024-01-02 00:00:00', '2024-01-02 00:00:00')",
                  kHb),
      fmt::format("ALTER TABLE {}.heatbeat_sequence AUTO_INCREMENT = 777", kHb),
      fmt::format("CREATE TABLE {}.log (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(20))",
                  kHb),
      fmt::format("CREATE TRIGGER {}.hb_ai AFTER INSERT ON heatbeat_sequence FOR EACH ROW "
                  "INSERT INTO log (what) VALUES ('beat')",
                  kHb),
      fmt::format("CREATE VIEW {}.newest AS SELECT MAX(id) AS id FROM {}.heatbeat_sequence", kHb,
                  kHb),
      fmt::format("CREATE PROCEDURE {}.beat() INSERT INTO heatbeat_sequence (gmt_created, "
                  "gmt_modified) VALUES (NOW(), NOW())",
                  kHb),
      fmt::format("CREATE FUNCTION {}.last_beat() RETURNS BIGINT READS SQL DATA RETURN "
                  "(SELECT MAX(id) FROM heatbeat_sequence)",
                  kHb),
      fmt::format("CREATE EVENT {}.prune ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' "
                  "DISABLE DO DELETE FROM heatbeat_sequence WHERE id < 0",
                  kHb),
  });
}

std::string scratch_left(Session& s) {
  auto r = s.query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE "
                   "'omsb\\_import\\_%'");
  std::string out;
  for (const auto& row : r.rows) out += row.at(0).value_or("") + " ";
  return out;
}

// mariadb-dump through the sandbox's option file (no password in argv).
std::string mariadb_dump(const std::string& args, const std::string& tag) {
  std::string file = temp_dir("fsql-" + tag) + "/" + tag + ".sql";
  CommandResult r = run_command(fmt::format("mariadb-dump --defaults-file={} {} > {} 2>{}.err",
                                            sandbox_cnf(), args, file, file));
  REQUIRE(r.status == 0);
  return file;
}

ToolResult import_file(const std::string& file, const std::string& archive,
                       const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv = {tool_path("OMSDUMP"), "--defaults-file=" + sandbox_cnf(),
                                   "--from-sql", file, "-o", archive, "-q"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run_tool(argv);
}

ToolResult restore_archive(const std::string& archive, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv = {tool_path("OMSRESTORE"), "--defaults-file=" + sandbox_cnf()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(archive);
  return run_tool(argv);
}

std::string write_key(const std::string& dir) {
  std::string path = dir + "/key";
  std::ofstream(path) << "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n";
  ::chmod(path.c_str(), 0600);
  return path;
}

}  // namespace

TEST_CASE("the old procedure's mariadb-dump file imports and restores exactly", "[from-sql]") {
  auto s = sandbox_session();
  make_sources(*s);
  // The old procedure: mysqldump --triggers=false DB > DB.sql (no CREATE DATABASE, no USE).
  std::string file = mariadb_dump(fmt::format("--triggers=false {}", kRm), "old");
  DatabaseState before = capture(*s, kRm);
  s->execute(fmt::format("DROP DATABASE {}", kRm));

  std::string archive = fresh_path("fsql-old");
  // Without its name the file cannot be placed.
  ToolResult no_name = import_file(file, archive);
  CHECK(no_name.status == 1);
  CHECK_THAT(no_name.err, Catch::Contains("--databases NAME") && Catch::Contains("Database: fsql_rm"));
  CHECK(scratch_left(*s).empty());

  ToolResult imp = import_file(file, archive, {"-B", kRm});
  INFO(imp.all());
  REQUIRE(imp.status == 0);
  CHECK_THAT(imp.err, Catch::Contains("character set and collation"));
  CHECK(scratch_left(*s).empty());
  std::string manifest = read_file(archive + "/manifest.json");
  CHECK_THAT(manifest, Catch::Contains("\"from_sql\": \"old.sql\"") &&
                           Catch::Contains("Database: fsql_rm") &&
                           !Catch::Contains("omsb_import_"));

  ToolResult r = restore_archive(archive);
  INFO(r.all());
  REQUIRE(r.status == 0);
  require_same(before, capture(*s, kRm));
}

TEST_CASE("a --databases file with routines, events and triggers imports encrypted and restores "
          "exactly",
          "[from-sql]") {
  auto s = sandbox_session();
  make_sources(*s);
  std::string file = mariadb_dump(
      fmt::format("--routines --events --triggers --databases {} {}", kRm, kHb), "all");
  DatabaseState rm = capture(*s, kRm), hb = capture(*s, kHb);
  auto hb_objects = object_definitions(*s, kHb);
  REQUIRE(hb_objects.size() == 5);

  std::string key = write_key(temp_dir("fsql-key"));
  std::string archive = fresh_path("fsql-all");
  ToolResult imp = import_file(file, archive, {"--encrypt-key-file", key});
  INFO(imp.all());
  REQUIRE(imp.status == 0);
  CHECK(scratch_left(*s).empty());
  // The archive holds none of the names in the clear, and checks with the key.
  CHECK(run_command(fmt::format("grep -rl heatbeat_sequence {}", archive)).status != 0);
  ToolResult check = run_tool({tool_path("OMSRESTORE"), "--check", "--encrypt-key-file", key, archive});
  CHECK(check.status == 0);

  // Restored over the live databases, changed since (the staged swap), and over none.
  s->execute(fmt::format("INSERT INTO {}.heatbeat_sequence (gmt_created, gmt_modified) VALUES "
                         "(NOW(), NOW())",
                         kHb));
  s->execute(fmt::format("DROP DATABASE {}", kRm));
  ToolResult r = restore_archive(archive, {"--encrypt-key-file", key});
  INFO(r.all());
  REQUIRE(r.status == 0);
  require_same(rm, capture(*s, kRm));
  require_same(hb, capture(*s, kHb));
  auto restored_objects = object_definitions(*s, kHb);
  for (const auto& [name, lines] : hb_objects) {
    INFO(name);
    CHECK(restored_objects[name] == lines);
  }
}

TEST_CASE("a cut file, DROP DATABASE mysql and a statement on another database are refused "
          "naming the line, and change nothing",
          "[from-sql]") {
  auto s = sandbox_session();
  make_sources(*s);
  run_all(*s, {fmt::format("DROP DATABASE IF EXISTS {}", kOther),
               fmt::format("CREATE DATABASE {}", kOther),
               fmt::format("CREATE TABLE {}.t (a INT)", kOther),
               fmt::format("INSERT INTO {}.t VALUES (1)", kOther)});
  DatabaseState other = capture(*s, kOther), rm = capture(*s, kRm);
  std::string full = read_file(mariadb_dump(fmt::format("--databases {}", kRm), "full"));
  std::string dir = temp_dir("fsql-bad");
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir + "/" + name) << text;
    return dir + "/" + name;
  };
  auto line_of = [&](const std::string& text, std::size_t offset) {
    return 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n');
  };

  // Cut in the middle of the big INSERT's string: the line where that string begins.
  std::size_t insert = full.find("INSERT INTO `vals`");
  REQUIRE(insert != std::string::npos);
  std::size_t cut_at = full.find("xxxxxxxx", insert);
  std::string cut = full.substr(0, cut_at);
  ToolResult r1 = import_file(write("cut.sql", cut), fresh_path("fsql-cut"));
  CHECK(r1.status == 1);
  CHECK_THAT(r1.err, Catch::Contains(fmt::format("cut.sql line {}",
                                                 line_of(full, cut_at))) &&
                         Catch::Contains("not closed by the end of the file"));
  CHECK(scratch_left(*s).empty());
  // Cut between two statements: mysqldump's last line is missing.
  std::string cut2 = full.substr(0, full.find("\n", full.find("UNLOCK TABLES", insert)) + 1);
  ToolResult r2 = import_file(write("cut2.sql", cut2), fresh_path("fsql-cut2"));
  CHECK(r2.status == 1);
  CHECK_THAT(r2.err, Catch::Contains("Dump completed"));
  CHECK(scratch_left(*s).empty());

  // DROP DATABASE mysql after the tables were loaded.
  std::string drop = full;
  drop.insert(full.find("UNLOCK TABLES", insert), "DROP DATABASE mysql;\n");
  ToolResult r3 = import_file(write("drop.sql", drop), fresh_path("fsql-drop"));
  CHECK(r3.status == 1);
  CHECK_THAT(r3.err, Catch::Contains(fmt::format("drop.sql line {}",
                                                 line_of(drop, drop.find("DROP DATABASE mysql")))) &&
                         Catch::Contains("DROP DATABASE mysql"));
  CHECK(s->scalar("SELECT COUNT(*) FROM mysql.user") != std::nullopt);
  CHECK(scratch_left(*s).empty());

  // Statements on another database of the server, qualified or through USE.
  for (const std::string& bad :
       {fmt::format("INSERT INTO `{}`.`t` VALUES (2);\n", kOther),
        fmt::format("DELETE FROM t;\n"), fmt::format("GRANT ALL ON *.* TO 'x'@'%';\n"),
        fmt::format("/*!40000 ALTER TABLE {}.t DISABLE KEYS */;\n", kOther),
        std::string("CREATE TABLE evil (a INT) DATA DIRECTORY='/tmp';\n"),
        std::string("INSERT INTO vals (id) VALUES (LOAD_FILE('/etc/passwd'));\n"),
        std::string("source /etc/passwd\n")}) {
    std::string text = full;
    std::size_t at = full.find("UNLOCK TABLES", insert);
    text.insert(at, bad);
    ToolResult r = import_file(write("other.sql", text), fresh_path("fsql-other"));
    INFO(bad << r.all());
    CHECK(r.status == 1);
    CHECK_THAT(r.err, Catch::Contains(fmt::format("other.sql line {}", line_of(text, at))));
    CHECK(scratch_left(*s).empty());
  }
  require_same(other, capture(*s, kOther));
  require_same(rm, capture(*s, kRm));
  s->execute(fmt::format("DROP DATABASE {}", kOther));
}

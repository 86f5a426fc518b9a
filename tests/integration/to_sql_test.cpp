// omsrestore --to-sql: an archive written as an SQL script and loaded by the real mariadb
// client, compared with the source by capture()/require_same() (SHOW CREATE TABLE,
// CHECKSUM TABLE, AUTO_INCREMENT, exact values) and object_definitions().
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "omsbackup/omsbackup.h"
#include "server.h"
#include "sql/quote.h"
#include "types_corpus.h"

using namespace omsbackup;
using namespace omsbackup::testing;

namespace {

const std::string kObjDb = "tosql_objects";
const std::string kLoadFlags =
    "--binary-mode --comments --default-character-set=binary --max-allowed-packet=1G";

void run_all(Session& s, const std::vector<std::string>& sql) {
  for (const auto& q : sql) s.execute(q);
}

// Objects whose bodies hold what a client's parser trips on: comments of every kind, the
// delimiters a script might choose inside strings, CR LF, latin1 bytes, a backslash under
// NO_BACKSLASH_ESCAPES, ANSI_QUOTES; a database collation changed after they were made.
void make_objects(Session& s) {
  run_all(s, {
      "DROP DATABASE IF EXISTS " + kObjDb,
      "CREATE DATABASE " + kObjDb + " CHARACTER SET latin1 COLLATE latin1_swedish_ci "
      "COMMENT 'it''s; a -- comment'",
      "CREATE TABLE tosql_objects.t (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, v VARCHAR(50)) "
      "AUTO_INCREMENT=1000",
      "INSERT INTO tosql_objects.t VALUES (0, 'zero id'), (1, ''), (2, NULL), (3, 'DELIMITER ;;')",
      "CREATE TABLE tosql_objects.empty_t (id INT PRIMARY KEY)",
      "CREATE TABLE tosql_objects.bin_default (id INT PRIMARY KEY, b BINARY(2) NOT NULL DEFAULT "
      "X'FF00', v VARBINARY(4) DEFAULT X'80C3')",
      "INSERT INTO tosql_objects.bin_default (id) VALUES (1)",
      "CREATE TABLE tosql_objects.log (id INT AUTO_INCREMENT PRIMARY KEY, msg TEXT)",
      "INSERT INTO tosql_objects.log (msg) VALUES ('before'), (X'E90A0D00275C')",
      // A MERGE table is archived as DDL only: its rows are part1's, not loaded twice.
      "CREATE TABLE tosql_objects.part1 (id INT) ENGINE=MyISAM",
      "INSERT INTO tosql_objects.part1 VALUES (1), (2)",
      "CREATE TABLE tosql_objects.merged (id INT) ENGINE=MRG_MyISAM UNION=(tosql_objects.part1) "
      "INSERT_METHOD=LAST",
  });
  s.execute("SET NAMES latin1");
  s.execute(
      "CREATE DEFINER=CURRENT_USER PROCEDURE tosql_objects.p_hostile(IN x INT)\n"
      "BEGIN\n"
      "  -- a dash comment; with ;; and $$ and // inside\n"
      "  # a hash comment; 'unbalanced quote\n"
      "  /* a block comment; \"also unbalanced */\r\n"
      "  SELECT 'a;b', \"c;;d\", '$$', '//', 'x\\';y', 'caf\xE9' INTO @a, @b, @c, @d, @e, @f;\r\n"
      "  INSERT INTO tosql_objects.log (msg) VALUES (CONCAT('called ', x, ' DELIMITER ;'));\n"
      "END");
  s.execute("SET NAMES utf8mb4");
  s.execute("SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES'");
  s.execute(
      "CREATE DEFINER=CURRENT_USER FUNCTION tosql_objects.f_nbe() RETURNS VARCHAR(10) "
      "DETERMINISTIC RETURN 'a\\'");
  s.execute("SET SESSION sql_mode = 'ANSI_QUOTES'");
  s.execute("CREATE DEFINER=CURRENT_USER PROCEDURE tosql_objects.\"p ansi\"() SELECT 1 AS \"c;ol\"");
  s.execute("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'");
  run_all(s, {
      "CREATE DEFINER=CURRENT_USER TRIGGER tosql_objects.t_ai AFTER INSERT ON tosql_objects.t FOR "
      "EACH ROW BEGIN /* c; */ INSERT INTO tosql_objects.log (msg) VALUES ('trigger; fired'); END",
      "CREATE DEFINER=CURRENT_USER VIEW tosql_objects.v AS SELECT tosql_objects.f_nbe() AS f, id "
      "FROM tosql_objects.t",
      "SET SESSION time_zone = '+05:00'",
      "CREATE DEFINER=CURRENT_USER EVENT tosql_objects.e ON SCHEDULE EVERY 1 DAY STARTS "
      "'2030-01-01 00:00:00' DISABLE DO INSERT INTO tosql_objects.log (msg) VALUES ('event -- x')",
      "SET SESSION time_zone = '+00:00'",
      // The objects keep latin1_swedish_ci as their database collation.
      "ALTER DATABASE " + kObjDb + " COLLATE latin1_general_ci",
  });
}

const std::vector<std::string>& corpus_dbs() {
  static const std::vector<std::string> dbs = {"types_num",    "types_str", "types_misc",
                                               "types_schema", kOddDb,      kObjDb};
  return dbs;
}

std::string dump_to(const std::vector<std::string>& dbs, const std::string& tag,
                    const std::string& key_file = {}) {
  DumpOptions d;
  d.connection = sandbox_connection();
  d.databases = dbs;
  d.output = fresh_path(tag);
  d.threads = 2;
  d.chunk_bytes = 256 * 1024;  // several chunks for the big tables
  d.encryption.key_file = key_file;
  dump(d);
  return d.output;
}

ToolResult omsrestore(std::vector<std::string> args) {
  args.insert(args.begin(), tool_path("OMSRESTORE"));
  return run_tool(args);
}

CommandResult load(const std::string& file, const std::string& flags = kLoadFlags) {
  return run_command(fmt::format("mariadb --defaults-file='{}' {} < '{}'", sandbox_cnf(), flags, file));
}

std::string write_key(const std::string& dir) {
  std::string path = dir + "/key";
  std::ofstream(path) << "5b0f3c5e9a1d7e2c4b6a8f0e1d3c5b7a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b\n";
  ::chmod(path.c_str(), 0600);
  return path;
}

}  // namespace

TEST_CASE("an archive as an SQL script, loaded by the mariadb client, gives back the source",
          "[to-sql][cli]") {
  auto s = sandbox_session();
  make_numbers(*s);
  make_strings(*s);
  make_temporal_and_others(*s);
  make_schema_features(*s);
  make_odd_identifiers(*s);
  make_objects(*s);
  std::map<std::string, DatabaseState> before;
  std::map<std::string, std::map<std::string, std::vector<std::string>>> objects_before;
  for (const auto& db : corpus_dbs()) {
    before[db] = capture(*s, db);
    objects_before[db] = object_definitions(*s, db);
  }
  REQUIRE(objects_before[kObjDb].size() == 6);
  std::string archive = dump_to(corpus_dbs(), "tosql-plain");
  std::string script = temp_dir("tosql-out") + "/all.sql";

  ToolResult r = omsrestore({archive, "--to-sql", script});
  INFO(r.all());
  REQUIRE(r.status == 0);
  CHECK(r.out.empty());
  CHECK(r.err.find("load it with: mariadb --binary-mode --comments") != std::string::npos);
  struct stat st {};
  REQUIRE(::stat(script.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  std::string text = read_file(script);
  CHECK(text.rfind("-- omsbackup SQL script", 0) == 0);
  CHECK(text.find(fmt::format("-- from the archive \"{}\" (format version 3, not encrypted)",
                              archive)) != std::string::npos);
  CHECK(text.find("SET @omsb_end = 'omsbackup: end of the script: 6 databases") != std::string::npos);
  // An existing file is never written over.
  ToolResult again = omsrestore({archive, "--to-sql", script});
  CHECK(again.status == 2);
  CHECK(again.err.find("exists") != std::string::npos);

  // Without --comments (or --binary-mode) the script stops before it changes anything.
  s->execute("INSERT INTO tosql_objects.empty_t VALUES (42)");
  for (const std::string flags : {"--binary-mode", "--comments"}) {
    CommandResult bad = load(script, flags);
    INFO(bad.output);
    CHECK(bad.status != 0);
    CHECK(bad.output.find("omsbackup: load this file with mariadb --binary-mode --comments") !=
          std::string::npos);
    CHECK(s->scalar("SELECT COUNT(*) FROM tosql_objects.empty_t").value_or("") == "1");
  }
  s->execute("DELETE FROM tosql_objects.empty_t");

  for (const auto& db : corpus_dbs()) s->execute("DROP DATABASE " + quote_identifier(db));
  CommandResult loaded = load(script);
  INFO(loaded.output);
  REQUIRE(loaded.status == 0);
  auto check = sandbox_session();
  for (const auto& db : corpus_dbs()) {
    INFO(db);
    require_same(before[db], capture(*check, db));
    CHECK(object_definitions(*check, db) == objects_before[db]);
  }
  // The session's settings and the rows' exact values: id 0 kept, the counter kept.
  CHECK(check->scalar("SELECT COUNT(*) FROM tosql_objects.t WHERE id = 0").value_or("") == "1");
  CHECK(check->scalar("SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                      "'tosql_objects' AND TABLE_NAME = 't'")
            .value_or("") == "1000");
  for (const auto& db : corpus_dbs()) s->execute("DROP DATABASE " + quote_identifier(db));
}

TEST_CASE("--to-sql - writes an encrypted archive's databases to stdout, with -B and --rename",
          "[to-sql][cli]") {
  auto s = sandbox_session();
  make_objects(*s);
  make_odd_identifiers(*s);
  std::string key = write_key(temp_dir("tosql-key"));
  std::string archive = dump_to({kObjDb, kOddDb}, "tosql-enc", key);
  const std::string copy = "tosql_objects_copy";
  s->execute("DROP DATABASE IF EXISTS " + copy);

  // Without the key: refused, nothing on stdout.
  ToolResult nokey = omsrestore({archive, "--to-sql", "-"});
  CHECK(nokey.status == 2);  // a missing key is a bad argument
  CHECK(nokey.out.empty());
  CHECK(omsrestore({archive, "--to-sql", "-", "--check"}).status == 2);
  CHECK(omsrestore({archive, "--to-sql", "-", "--json"}).status == 2);

  ToolResult r = omsrestore({archive, "--to-sql", "-", "--encrypt-key-file", key, "-B", kObjDb,
                             "--rename", kObjDb + "=" + copy});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.rfind("-- omsbackup SQL script", 0) == 0);
  CHECK(r.out.find("encrypted with AES-256-GCM, key id ") != std::string::npos);
  CHECK(r.out.find("CREATE DATABASE `" + copy + "`") != std::string::npos);
  CHECK(r.out.find(quote_identifier(kOddDb)) == std::string::npos);  // -B left it out
  CHECK(r.err.find("the SQL script to standard output") != std::string::npos);
  std::string script = temp_dir("tosql-stdout") + "/copy.sql";
  std::ofstream(script, std::ios::binary) << r.out;
  CommandResult loaded = load(script);
  INFO(loaded.output);
  REQUIRE(loaded.status == 0);
  for (const std::string t : {"t", "empty_t", "bin_default", "log", "part1", "merged"}) {
    INFO(t);
    CHECK(s->query("CHECKSUM TABLE " + quote_qualified(copy, t)).rows.at(0).at(1) ==
          s->query("CHECKSUM TABLE " + quote_qualified(kObjDb, t)).rows.at(0).at(1));
    CHECK(s->query("SHOW CREATE TABLE " + quote_qualified(copy, t)).rows.at(0).at(1) ==
          s->query("SHOW CREATE TABLE " + quote_qualified(kObjDb, t)).rows.at(0).at(1));
  }
  // The objects were created in the copy, under the copy's name.
  CHECK(object_definitions(*s, copy).size() == 6);
  CHECK(s->scalar("SELECT tosql_objects_copy.f_nbe()").value_or("") == "a\\");
  for (const auto& db : {copy, kObjDb, kOddDb}) s->execute("DROP DATABASE " + quote_identifier(db));
}

TEST_CASE("--to-sql refuses a body the mariadb client would change, naming it", "[to-sql][cli]") {
  auto s = sandbox_session();
  run_all(*s, {"DROP DATABASE IF EXISTS tosql_refuse", "CREATE DATABASE tosql_refuse", "CREATE TABLE tosql_refuse.t (id INT)",
               "CREATE PROCEDURE tosql_refuse.p()\nBEGIN\n  SELECT 1 AS\n  delimiter;\nEND"});
  std::string archive = dump_to({"tosql_refuse"}, "tosql-refuse");
  std::string script = temp_dir("tosql-refuse-out") + "/x.sql";
  ToolResult r = omsrestore({archive, "--to-sql", script});
  CHECK(r.status == 1);
  CHECK(r.err.find("procedure tosql_refuse.p") != std::string::npos);
  CHECK(r.err.find("DELIMITER") != std::string::npos);
  struct stat st {};
  CHECK(::stat(script.c_str(), &st) != 0);
  CHECK(::stat((script + ".partial").c_str(), &st) != 0);
  s->execute("DROP DATABASE tosql_refuse");
}

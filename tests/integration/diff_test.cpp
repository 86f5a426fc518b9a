// omsrestore --diff (omsbackup::diff): an archive against the live databases, against the
// sandbox server. The corpus holds values where a digest could lie (NULL and '', binary
// bytes, FLOAT values that print alike, duplicate rows in a table without a key).
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>

#include "server.h"

using namespace omsbackup;
using namespace omsbackup::testing;
namespace fs = std::filesystem;

namespace {

void drop_corpus(Session& s) {
  for (const char* db : {"df_a", "df_b", "df_b_copy"})
    s.execute(fmt::format("DROP DATABASE IF EXISTS {}", db));
}

void make_corpus(Session& s) {
  drop_corpus(s);
  for (const char* sql : {
           "CREATE DATABASE df_a",
           "CREATE TABLE df_a.ins (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20))",
           "INSERT INTO df_a.ins (v) VALUES ('a'), ('b')",
           // NULL becomes '' (same count): only the digest tells.
           "CREATE TABLE df_a.nulls (id INT PRIMARY KEY, s VARCHAR(10) NULL)",
           "INSERT INTO df_a.nulls VALUES (1, NULL), (2, ''), (3, 'x')",
           // No key, duplicate rows: one (1,'x') of two becomes a third (2,'y'); the distinct
           // values stay the same.
           "CREATE TABLE df_a.dups (a INT, b VARCHAR(5))",
           "INSERT INTO df_a.dups VALUES (1, 'x'), (1, 'x'), (2, 'y')",
           // FLOAT 0.1 and 0.10000001 print alike (6 digits), and differ.
           "CREATE TABLE df_a.floats (id INT PRIMARY KEY, f FLOAT, d DOUBLE)",
           "INSERT INTO df_a.floats VALUES (1, 0.1, 0.1), (2, -0.0, 1e300)",
           "CREATE TABLE df_a.bin (id INT PRIMARY KEY, b VARBINARY(8), c BINARY(2))",
           "INSERT INTO df_a.bin VALUES (1, x'00ff', x'0000'), (2, x'', NULL)",
           "CREATE TABLE df_a.del (id INT PRIMARY KEY, v TEXT)",
           "INSERT INTO df_a.del VALUES (1, 'one'), (2, 'two'), (3, 'three')",
           "CREATE TABLE df_a.untouched (id INT PRIMARY KEY, s VARCHAR(10), b BLOB, f FLOAT)",
           "INSERT INTO df_a.untouched VALUES (1, NULL, x'00', 0.1), (2, '', '', -0.0)",
           "CREATE TABLE df_a.nokey (a INT, b VARCHAR(5))",
           "INSERT INTO df_a.nokey VALUES (1, 'x'), (1, 'x'), (NULL, '')",
           "CREATE TABLE df_a.dropme (id INT PRIMARY KEY)",
           "INSERT INTO df_a.dropme VALUES (1)",
           "CREATE TABLE df_a.altered (id INT PRIMARY KEY, v INT)",
           "INSERT INTO df_a.altered VALUES (1, 10), (2, 20)",
           "CREATE TABLE df_a.widened (id INT PRIMARY KEY, v INT)",
           "INSERT INTO df_a.widened VALUES (1, 10)",
           "CREATE TABLE df_a.counter (id INT AUTO_INCREMENT PRIMARY KEY)",
           "INSERT INTO df_a.counter VALUES (), ()",
           "CREATE TABLE df_a.became_view (id INT PRIMARY KEY)",
           "CREATE TABLE df_a.left_out (id INT PRIMARY KEY)",
           "INSERT INTO df_a.left_out VALUES (1)",
           "CREATE TABLE df_a.part1 (id INT) ENGINE=MyISAM",
           "CREATE TABLE df_a.merged (id INT) ENGINE=MERGE UNION=(df_a.part1) INSERT_METHOD=LAST",
           "CREATE VIEW df_a.v_ins AS SELECT id FROM df_a.ins",
           "CREATE PROCEDURE df_a.p_gone() SELECT 1",
           "CREATE TRIGGER df_a.tr_del BEFORE DELETE ON df_a.del FOR EACH ROW SET @x = 1",
           "CREATE DATABASE df_b",
           "CREATE TABLE df_b.t (id INT PRIMARY KEY, s VARCHAR(10) NULL, f FLOAT)",
           "INSERT INTO df_b.t VALUES (1, NULL, 0.1), (2, '', 1.5)",
       })
    s.execute(sql);
}

// Every change the diff must name, and nothing else.
void change_after_backup(Session& s) {
  for (const char* sql : {
           "INSERT INTO df_a.ins (v) VALUES ('c')",
           "UPDATE df_a.nulls SET s = '' WHERE id = 1",
           "UPDATE df_a.dups SET a = 2, b = 'y' WHERE a = 1 LIMIT 1",
           "UPDATE df_a.floats SET f = 0.10000001 WHERE id = 1",
           "UPDATE df_a.bin SET b = x'00fe' WHERE id = 1",
           "DELETE FROM df_a.del WHERE id = 2",
           "DROP TABLE df_a.dropme",
           "CREATE TABLE df_a.created (id INT PRIMARY KEY)",
           "ALTER TABLE df_a.altered ADD INDEX v_idx (v)",
           "ALTER TABLE df_a.widened ADD COLUMN w INT",
           "INSERT INTO df_a.counter VALUES ()",
           "DELETE FROM df_a.counter WHERE id = 3",
           "DROP TABLE df_a.became_view",
           "CREATE VIEW df_a.became_view AS SELECT 1 AS id",
           "CREATE OR REPLACE VIEW df_a.v_ins AS SELECT id, v FROM df_a.ins",
           "DROP PROCEDURE df_a.p_gone",
       })
    s.execute(sql);
}

std::string dump_corpus(const std::string& tag, const std::string& key_file = "") {
  DumpOptions d;
  d.connection = sandbox_connection();
  d.databases = {"df_a", "df_b"};
  d.exclude_tables = {"df_a.left_out"};
  d.encryption.key_file = key_file;
  d.output = fresh_path(tag);
  dump(d);
  return d.output;
}

DiffOptions diff_options(const std::string& archive) {
  DiffOptions o;
  o.connection = sandbox_connection();
  o.archive = archive;
  return o;
}

// "db.table" -> state, for the tables that differ.
std::map<std::string, std::string> differing(const DiffReport& r) {
  std::map<std::string, std::string> out;
  for (const auto& d : r.databases)
    for (const auto& t : d.tables)
      if (t.state != DiffState::same) out[d.archive_name + "." + t.name] = diff_state_name(t.state);
  return out;
}

const TableDiff& table(const DiffReport& r, const std::string& db, const std::string& name) {
  for (const auto& d : r.databases)
    for (const auto& t : d.tables)
      if (d.archive_name == db && t.name == name) return t;
  FAIL("no table " << db << "." << name << " in the report");
  throw std::logic_error("unreachable");
}

std::map<std::string, DatabaseState> capture_all(Session& s) {
  return {{"df_a", capture(s, "df_a")}, {"df_b", capture(s, "df_b")}};
}

}  // namespace

TEST_CASE("diff right after the dump finds nothing changed", "[diff]") {
  auto s = sandbox_session();
  make_corpus(*s);
  const std::string archive = dump_corpus("diff-same");
  DiffReport r = diff(diff_options(archive));
  CHECK(differing(r) == std::map<std::string, std::string>{
                            {"df_a.left_out", "not in archive (excluded by the dump)"}});
  CHECK(r.identical);
  CHECK(r.objects_differing == 0);
  CHECK(r.read_only);
  CHECK(r.digest == "xxh3-128-sum");
  // left_out is listed (the dump left it out) but is no difference; merged is DDL only.
  CHECK(table(r, "df_a", "left_out").state == DiffState::excluded);
  const TableDiff& merged = table(r, "df_a", "merged");
  CHECK(merged.ddl_only == "merge");
  CHECK_FALSE(merged.archive_rows);
  CHECK_FALSE(merged.live_rows);
  CHECK(table(r, "df_a", "dups").live_rows == std::optional<std::uint64_t>(3));
  CHECK(table(r, "df_a", "dups").rows_same == std::optional<bool>(true));
  drop_corpus(*s);
}

TEST_CASE("diff names exactly the tables changed since the dump, and changes nothing", "[diff]") {
  auto s = sandbox_session();
  make_corpus(*s);
  const std::string archive = dump_corpus("diff-changed");
  change_after_backup(*s);
  const auto before = capture_all(*s);
  DiffReport r = diff(diff_options(archive));
  const std::map<std::string, std::string> expected = {
      {"df_a.ins", "rows changed"},
      {"df_a.nulls", "rows changed"},
      {"df_a.dups", "rows changed"},
      {"df_a.floats", "rows changed"},
      {"df_a.bin", "rows changed"},
      {"df_a.del", "rows changed"},
      {"df_a.dropme", "only in archive"},
      {"df_a.created", "only live"},
      {"df_a.altered", "definition changed"},
      {"df_a.widened", "definition changed"},
      {"df_a.counter", "AUTO_INCREMENT changed"},
      {"df_a.became_view", "kind changed"},
      {"df_a.left_out", "not in archive (excluded by the dump)"},
  };
  CHECK(differing(r) == expected);
  CHECK_FALSE(r.identical);
  CHECK(r.tables_differing == expected.size() - 1);  // the excluded table is no difference

  // Same count, other rows: the digest tells.
  for (const char* t : {"nulls", "dups", "floats", "bin"}) {
    INFO(t);
    const TableDiff& d = table(r, "df_a", t);
    CHECK(d.archive_rows == d.live_rows);
    CHECK(d.rows_same == std::optional<bool>(false));
    CHECK_FALSE(d.definition_differs);
  }
  CHECK(table(r, "df_a", "ins").archive_rows == std::optional<std::uint64_t>(2));
  CHECK(table(r, "df_a", "ins").live_rows == std::optional<std::uint64_t>(3));
  CHECK(table(r, "df_a", "ins").auto_increment_differs);
  CHECK(table(r, "df_a", "del").live_rows == std::optional<std::uint64_t>(2));
  CHECK(table(r, "df_a", "dropme").archive_rows == std::optional<std::uint64_t>(1));
  CHECK_FALSE(table(r, "df_a", "dropme").live_rows);
  CHECK(table(r, "df_a", "created").live_rows == std::optional<std::uint64_t>(0));
  // An index added: the rows are still compared (same columns), and the same.
  CHECK(table(r, "df_a", "altered").rows_same == std::optional<bool>(true));
  CHECK(table(r, "df_a", "altered").detail.find("SHOW CREATE TABLE differs at line") != std::string::npos);
  // A column added: rows counted, not compared.
  CHECK_FALSE(table(r, "df_a", "widened").rows_same);
  CHECK(table(r, "df_a", "widened").live_rows == std::optional<std::uint64_t>(1));
  CHECK(table(r, "df_a", "counter").rows_same == std::optional<bool>(true));
  CHECK(table(r, "df_a", "became_view").live_kind == "view");

  std::map<std::string, std::string> objects;
  for (const auto& d : r.databases)
    for (const auto& o : d.objects) objects[o.kind + " " + d.archive_name + "." + o.name] = o.state;
  CHECK(objects == std::map<std::string, std::string>{{"view df_a.v_ins", "changed"},
                                                      {"procedure df_a.p_gone", "only in archive"}});
  // Read only: nothing on the server changed.
  const auto after = capture_all(*s);
  for (const auto& [db, state] : before) require_same(state, after.at(db));
  drop_corpus(*s);
}

TEST_CASE("diff compares archive db X with live db Y (--rename), and a missing database",
          "[diff]") {
  auto s = sandbox_session();
  make_corpus(*s);
  const std::string archive = dump_corpus("diff-rename");
  // A restore under another name: the diff must find it identical to the archive.
  RestoreOptions ro;
  ro.connection = sandbox_connection();
  ro.archive = archive;
  ro.rename = {{"df_b", "df_b_copy"}};
  restore(ro);
  s->execute("UPDATE df_b.t SET s = 'changed' WHERE id = 1");  // the source changes, not the copy
  DiffOptions o = diff_options(archive);
  o.rename = {{"df_b", "df_b_copy"}};
  DiffReport r = diff(o);
  REQUIRE(r.databases.size() == 1);
  CHECK(r.databases[0].live_name == "df_b_copy");
  CHECK(r.identical);
  CHECK(differing(r).empty());

  o.rename = {{"df_b", "df_b_nowhere"}};
  r = diff(o);
  REQUIRE(r.databases.size() == 1);
  CHECK_FALSE(r.databases[0].live_exists);
  CHECK(differing(r) == std::map<std::string, std::string>{{"df_b.t", "only in archive"}});
  CHECK_FALSE(r.identical);

  o.rename.clear();
  o.databases = {"df_b"};
  r = diff(o);
  CHECK(differing(r) == std::map<std::string, std::string>{{"df_b.t", "rows changed"}});
  drop_corpus(*s);
}

TEST_CASE("diff reads in one READ ONLY snapshot", "[diff]") {
  auto s = sandbox_session();
  make_corpus(*s);
  const std::string archive = dump_corpus("diff-snapshot");
  const std::string pause_file = temp_dir("diff-pause") + "/paused";
  // Paused once the snapshot has begun, before the first table is read: a change now is not seen.
  Child tool({tool_path("OMSRESTORE"), "--defaults-file=" + sandbox_cnf(), "--diff", "--json", archive},
             paused_at("diff.snapshot:1", pause_file));
  REQUIRE(wait_until_paused(tool, pause_file));
  ResultSet trx = s->query(
      "SELECT trx_is_read_only FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id <> "
      "CONNECTION_ID()");
  REQUIRE(trx.rows.size() == 1);
  CHECK(trx.rows[0][0] == std::optional<std::string>("1"));
  s->execute("INSERT INTO df_b.t VALUES (3, 'late', 0)");
  fs::remove(pause_file);
  ToolResult res = tool.wait();
  INFO(res.all());
  CHECK(res.status == 0);
  auto j = nlohmann::json::parse(res.out);
  CHECK(j["identical"] == true);
  CHECK(j["read_only"] == true);
  drop_corpus(*s);
}

TEST_CASE("omsrestore --diff prints the differing tables and exits 3, 0 when identical",
          "[diff][cli]") {
  auto s = sandbox_session();
  make_corpus(*s);
  const std::string key = write_key(temp_dir("diff-key"), "key",
                                    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
  const std::string archive = dump_corpus("diff-cli", key);
  const std::vector<std::string> base = {tool_path("OMSRESTORE"), "--defaults-file=" + sandbox_cnf(),
                                         "--diff", "--encrypt-key-file", key, archive};
  const SpawnOptions env{{}, {"MYSQL_PWD"}, std::nullopt};
  ToolResult same = run_tool(base, env);
  INFO(same.all());
  CHECK(same.status == 0);
  CHECK(same.out.find("0 differ") != std::string::npos);
  CHECK(same.out.find("identical") != std::string::npos);

  s->execute("DELETE FROM df_b.t WHERE id = 2");
  ToolResult changed = run_tool(base, env);
  INFO(changed.all());
  CHECK(changed.status == 3);
  CHECK(changed.out.find("rows changed") != std::string::npos);
  CHECK(changed.out.find("1 differ") != std::string::npos);
  std::vector<std::string> json = base;
  json.insert(json.end() - 1, "--json");
  ToolResult j = run_tool(json, env);
  CHECK(j.status == 3);
  auto doc = nlohmann::json::parse(j.out);
  CHECK(doc["identical"] == false);
  CHECK(doc["tables_differing"] == 1);

  // Without the key: refused before the server (a bad argument), as a restore.
  std::vector<std::string> no_key = {tool_path("OMSRESTORE"), "--defaults-file=" + sandbox_cnf(),
                                     "--diff", archive};
  ToolResult refused = run_tool(no_key, env);
  INFO(refused.all());
  CHECK(refused.status == 2);
  // A flag of the restore proper is refused, not ignored.
  std::vector<std::string> in_place = base;
  in_place.insert(in_place.end() - 1, "--in-place");
  ToolResult bad = run_tool(in_place, env);
  INFO(bad.all());
  CHECK(bad.status == 2);
  CHECK(bad.err.find("--in-place: not with --diff") != std::string::npos);
  drop_corpus(*s);
}

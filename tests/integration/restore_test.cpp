// The restore against the sandbox server: verified before anything changes, the old
// data intact after a crash, --resume to an identical result, the INSERT path equal to
// the LOAD DATA path, --rename, and a restore run twice.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "omsbackup/omsbackup.h"
#include "server.h"

using namespace omsbackup;
using namespace omsbackup::testing;

namespace {

const char* kDb = "rst_src";

// A database with a keyed table in many chunks, a keyless table cut by size, a
// composite-key table, an empty table and an AUTO_INCREMENT far above MAX(id).
void make_source(Session& s) {
  s.execute(fmt::format("DROP DATABASE IF EXISTS {}", kDb));
  s.execute(fmt::format("CREATE DATABASE {} CHARACTER SET latin1 COLLATE latin1_general_ci", kDb));
  s.execute(fmt::format("CREATE TABLE {}.seqs (id BIGINT PRIMARY KEY AUTO_INCREMENT, "
                        "gmt DATETIME(3) NOT NULL, note VARCHAR(100), KEY k_gmt (gmt), "
                        "UNIQUE KEY u_note (note, id)) AUTO_INCREMENT=900000",
                        kDb));
  s.execute(fmt::format("INSERT INTO {}.seqs (id, gmt, note) SELECT seq, "
                        "'2026-01-01 00:00:00.123' + INTERVAL seq SECOND, "
                        "IF(seq % 7 = 0, NULL, CONCAT('n', seq, REPEAT('-', seq % 50))) "
                        "FROM {}.seq_1_to_3000",
                        kDb, kDb));
  s.execute(fmt::format("CREATE TABLE {}.nokey (a INT, b TEXT)", kDb));
  s.execute(fmt::format("INSERT INTO {}.nokey SELECT seq % 10, REPEAT('z', seq % 300) "
                        "FROM {}.seq_1_to_1500",
                        kDb, kDb));
  s.execute(fmt::format("INSERT INTO {}.nokey VALUES (1, 'dup'), (1, 'dup')", kDb));
  s.execute(fmt::format("CREATE TABLE {}.kv (k1 INT, k2 VARCHAR(10), v BLOB, PRIMARY KEY (k1, k2))",
                        kDb));
  s.execute(fmt::format("INSERT INTO {}.kv SELECT 1, CONCAT('k', seq), UNHEX(SHA2(seq, 256)) "
                        "FROM {}.seq_1_to_500",
                        kDb, kDb));
  s.execute(fmt::format("CREATE TABLE {}.empty_t (x INT PRIMARY KEY)", kDb));
  s.execute(fmt::format("ANALYZE TABLE {}.seqs, {}.kv, {}.nokey", kDb, kDb, kDb));
}

// What an upgrade gone wrong leaves behind: the restore has to replace it.
void damage(Session& s) {
  s.execute(fmt::format("DELETE FROM {}.seqs WHERE id > 2000", kDb));
  s.execute(fmt::format("DROP TABLE {}.kv", kDb));
  s.execute(fmt::format("CREATE TABLE {}.new_in_upgrade (x INT)", kDb));
  s.execute(fmt::format("INSERT INTO {}.nokey VALUES (99, 'upgrade')", kDb));
}

std::string dump_source(const std::string& tag) {
  DumpOptions d;
  d.connection = sandbox_connection();
  d.databases = {kDb};
  d.output = fresh_path(tag);
  d.threads = 2;
  d.chunk_bytes = 8 * 1024;
  dump(d);
  return d.output;
}

RestoreOptions restore_options(const std::string& archive) {
  RestoreOptions r;
  r.connection = sandbox_connection();
  r.archive = archive;
  r.threads = 2;
  return r;
}

std::size_t journal_chunks(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line))
    if (line.find("\"event\":\"chunk\"") != std::string::npos) ++n;
  return n;
}

// Runs omsrestore and SIGKILLs it once its journal shows `chunks` committed chunks.
// Returns false if the restore finished before that.
bool restore_killed_after(const std::string& archive, std::size_t chunks, bool in_place) {
  ConnectionOptions c = sandbox_connection();
  std::string journal = archive + ".restore-journal";
  pid_t pid = fork();
  if (pid == 0) {
    setenv("MYSQL_PWD", c.password->c_str(), 1);
    std::string port = std::to_string(c.port);
    std::string tool = std::getenv("OMSRESTORE");
    std::vector<const char*> argv = {"omsrestore", "-h", c.host.c_str(), "-P", port.c_str(),
                                     "-u", c.user.c_str(), "--threads", "1", "-q"};
    if (in_place) argv.push_back("--in-place");
    argv.push_back(archive.c_str());
    argv.push_back(nullptr);
    execv(tool.c_str(), const_cast<char* const*>(argv.data()));
    _exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return false;  // finished first
    if (journal_chunks(journal) >= chunks) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return true;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(300));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  FAIL("omsrestore neither finished nor reached the kill point");
  return false;
}

}  // namespace

TEST_CASE("restore replaces a damaged database with the archived one", "[restore]") {
  auto s = sandbox_session();
  make_source(*s);
  DatabaseState source = capture(*s, kDb);
  std::string archive = dump_source("rst-basic");
  damage(*s);
  RestoreReport r = restore(restore_options(archive));
  CHECK(r.staged);
  CHECK(r.verified);
  CHECK(r.load_method == "load-data");
  require_same(source, capture(*s, kDb));
  // No staging or old copy is left behind.
  CHECK_FALSE(s->scalar(fmt::format("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME "
                                    "IN ('{0}__omsb_stage', '{0}__omsb_old')",
                                    kDb)));
  CHECK_FALSE(std::filesystem::exists(archive + ".restore-journal"));

  SECTION("restoring the same archive twice gives the same result") {
    restore(restore_options(archive + "/"));  // a trailing slash: the journal stays outside
    require_same(source, capture(*s, kDb));
  }
  SECTION("the INSERT path gives the same result as LOAD DATA") {
    damage(*s);
    RestoreOptions o = restore_options(archive);
    o.load_method = LoadMethod::insert;
    RestoreReport ri = restore(o);
    CHECK(ri.load_method == "insert");
    require_same(source, capture(*s, kDb));
  }
  SECTION("--in-place gives the same result") {
    damage(*s);
    RestoreOptions o = restore_options(archive);
    o.in_place = true;
    CHECK_FALSE(restore(o).staged);
    require_same(source, capture(*s, kDb));
  }
  SECTION("--rename restores under another name and leaves the source alone") {
    s->execute("DROP DATABASE IF EXISTS rst_renamed");
    damage(*s);
    DatabaseState damaged = capture(*s, kDb);
    RestoreOptions o = restore_options(archive);
    o.rename[kDb] = "rst_renamed";
    restore(o);
    DatabaseState renamed = capture(*s, "rst_renamed");
    DatabaseState expected = source;
    expected.create_sql = renamed.create_sql;  // the name inside CREATE DATABASE differs
    CHECK(renamed.create_sql.find("latin1_general_ci") != std::string::npos);
    require_same(expected, renamed);
    require_same(damaged, capture(*s, kDb));
    s->execute("DROP DATABASE rst_renamed");
  }
  SECTION("a dry run changes nothing") {
    damage(*s);
    DatabaseState damaged = capture(*s, kDb);
    RestoreOptions o = restore_options(archive);
    o.dry_run = true;
    RestoreReport d = restore(o);
    CHECK_FALSE(d.plan.empty());
    require_same(damaged, capture(*s, kDb));
  }
}

TEST_CASE("a corrupted archive leaves the live database untouched", "[restore]") {
  auto s = sandbox_session();
  make_source(*s);
  std::string archive = dump_source("rst-corrupt");
  damage(*s);
  DatabaseState before = capture(*s, kDb);
  // Flip one byte of the largest chunk file.
  std::string victim;
  std::uintmax_t biggest = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(archive + "/data"))
    if (e.is_regular_file() && e.file_size() > biggest) {
      biggest = e.file_size();
      victim = e.path();
    }
  {
    std::fstream f(victim, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(biggest / 2));
    char c = 0;
    f.read(&c, 1);
    f.seekp(static_cast<std::streamoff>(biggest / 2));
    c = static_cast<char>(c ^ 0x40);
    f.write(&c, 1);
  }
  try {
    restore(restore_options(archive));
    FAIL("a corrupted archive was restored");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::corrupt_archive);
    CHECK(std::string(e.what()).find(victim.substr(archive.size() + 1)) != std::string::npos);
  }
  require_same(before, capture(*s, kDb));
}

TEST_CASE("a restore killed midway leaves the old data, and --resume finishes it", "[restore][kill]") {
  auto s = sandbox_session();
  make_source(*s);
  DatabaseState source = capture(*s, kDb);
  std::string archive = dump_source("rst-kill");
  bool in_place = GENERATE(false, true);
  std::size_t kill_after = GENERATE(1, 10, 40);
  INFO("in place: " << in_place << ", killed after " << kill_after << " chunks");
  damage(*s);
  DatabaseState damaged = capture(*s, kDb);
  std::filesystem::remove(archive + ".restore-journal");
  if (!restore_killed_after(archive, kill_after, in_place)) {
    WARN("the restore finished before the kill point");
    require_same(source, capture(*s, kDb));
    return;
  }
  // With staging, the live database is still the old one.
  if (!in_place) require_same(damaged, capture(*s, kDb));
  // A new restore without --resume refuses, pointing at the journal.
  RestoreOptions again = restore_options(archive);
  again.in_place = in_place;
  CHECK_THROWS_WITH(restore(again), Catch::Contains("--resume"));
  RestoreOptions resume = again;
  resume.resume = true;
  RestoreReport r = restore(resume);
  CHECK(r.resumed);
  require_same(source, capture(*s, kDb));
  CHECK_FALSE(std::filesystem::exists(archive + ".restore-journal"));
}

TEST_CASE("a table the dump left out on purpose is not dropped without --drop-excluded",
          "[restore]") {
  auto s = sandbox_session();
  s->execute("DROP DATABASE IF EXISTS rst_filtered");
  s->execute("CREATE DATABASE rst_filtered");
  s->execute("CREATE TABLE rst_filtered.keep (id INT PRIMARY KEY)");
  s->execute("CREATE TABLE rst_filtered.left_out (id INT PRIMARY KEY)");
  s->execute("INSERT INTO rst_filtered.keep VALUES (1), (2)");
  s->execute("INSERT INTO rst_filtered.left_out VALUES (7)");
  s->execute("CREATE SEQUENCE rst_filtered.seq_out");  // not a base table: the swap leaves it
  DumpOptions d;
  d.connection = sandbox_connection();
  d.databases = {"rst_filtered"};
  d.exclude_tables = {"rst_filtered.left_out", "rst_filtered.seq_out"};
  d.output = fresh_path("rst-filtered");
  dump(d);
  // After the dump: one row changes, and a table appears that the dump never saw (as an
  // upgrade being rolled back would add); the restore is meant to drop that one.
  s->execute("INSERT INTO rst_filtered.keep VALUES (3)");
  s->execute("CREATE TABLE rst_filtered.added_later (x INT)");
  DatabaseState live = capture(*s, "rst_filtered");

  for (bool dry_run : {true, false}) {
    for (bool in_place : {false, true}) {
      INFO("dry run " << dry_run << ", in place " << in_place);
      RestoreOptions r = restore_options(d.output);
      r.dry_run = dry_run;
      r.in_place = in_place;
      try {
        restore(r);
        FAIL("the restore was not refused");
      } catch (const Error& e) {
        CHECK(e.code() == Errc::invalid_argument);
        CHECK(e.object() == "rst_filtered.left_out");
        CHECK_THAT(e.message(), Catch::Contains("--drop-excluded") &&
                                    Catch::Contains("--include 'rst_filtered.left_out'"));
      }
      require_same(live, capture(*s, "rst_filtered"));
      CHECK_FALSE(s->scalar("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE "
                            "SCHEMA_NAME LIKE 'rst\\_filtered\\_\\_%'"));
    }
  }
  // The command line says the same, and takes the flag.
  CommandResult refused = run_command(fmt::format("{} --defaults-file={} --dry-run {}",
                                                  tool_path("OMSRESTORE"), sandbox_cnf(), d.output));
  INFO(refused.output);
  CHECK(refused.status != 0);
  CHECK_THAT(refused.output, Catch::Contains("rst_filtered.left_out") &&
                                 Catch::Contains("--drop-excluded"));
  CommandResult planned = run_command(fmt::format("{} --defaults-file={} --dry-run --drop-excluded {}",
                                                  tool_path("OMSRESTORE"), sandbox_cnf(), d.output));
  INFO(planned.output);
  CHECK(planned.status == 0);

  auto live_tables = [&] {
    std::vector<std::string> tables;
    for (const auto& row : s->query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE "
                                    "TABLE_SCHEMA = 'rst_filtered' ORDER BY TABLE_NAME").rows)
      tables.push_back(row.at(0).value_or(""));
    return tables;
  };
  RestoreOptions r = restore_options(d.output);
  r.drop_excluded = true;
  restore(r);
  // The staging swap moves base tables only: the sequence stays, left_out and added_later go.
  CHECK(live_tables() == std::vector<std::string>{"keep", "seq_out"});
  CHECK(s->scalar("SELECT COUNT(*) FROM rst_filtered.keep") == std::optional<std::string>("2"));

  // Now only the sequence is left out: a staging restore keeps it and goes ahead, an
  // in-place one (DROP DATABASE) would lose it and refuses.
  RestoreOptions in_place = restore_options(d.output);
  in_place.in_place = true;
  CHECK_THROWS_WITH(restore(in_place), Catch::Contains("rst_filtered.seq_out"));
  CHECK(live_tables() == std::vector<std::string>{"keep", "seq_out"});
  restore(restore_options(d.output));
  CHECK(live_tables() == std::vector<std::string>{"keep", "seq_out"});
  s->execute("DROP DATABASE rst_filtered");
}

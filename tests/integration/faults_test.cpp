// Fault injection against the sandbox server (docs/reliability.md, "Fault injection"):
// connections killed with KILL CONNECTION, the server restarted, omsrestore killed with
// SIGKILL at named steps, a full disk, SIGINT and SIGTERM. What every test checks: a
// failed dump exits non-zero naming what failed and leaves no archive (no directory, no
// .partial file); a failed restore exits non-zero, leaves the live databases as they
// were (until the swap) and `omsrestore --resume` finishes to a copy identical to the
// source, with no staging database and no journal left.
//
// The tools stop or pause at a named step through OMSB_TEST_STOP_AT / OMSB_TEST_PAUSE_AT
// (lib/util/test_hook.h): no timing guesses. While a tool is paused the test finds its
// connections in information_schema.PROCESSLIST (those that were not there before it
// started), and where a statement must be caught while it runs, holds a metadata lock
// that makes the statement wait.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <regex>
#include <set>
#include <thread>

#include "omsbackup/omsbackup.h"
#include "server.h"
#include "sql/quote.h"

using namespace omsbackup;
using namespace omsbackup::testing;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

const char* kA = "flt_a";  // exists before the restore (other data); has every kind of object
const char* kB = "flt_b";  // does not exist before the restore
const char* kDumpDb = "flt_dump";

// What the tools say when their connection is killed or the server goes away (the
// server's error, which over TLS reads "TLS/SSL error: unexpected eof", and this).
const std::regex kLostConnection("the connection to the server was lost");

void run_all(Session& s, const std::vector<std::string>& sql) {
  for (const auto& q : sql) s.execute(q);
}

// flt_a: a keyed table in many chunks with deferred secondary indexes, a keyless table cut
// by size, a composite key, a trigger, a view, a function and an event. flt_b: one
// small table. (Every DDL statement costs tens of milliseconds on a busy disk, and the
// restore runs some 30 of them: the databases are as small as the steps allow.)
void make_source(Session& s) {
  run_all(s, {
      "DROP DATABASE IF EXISTS flt_a", "DROP DATABASE IF EXISTS flt_b",
      "CREATE DATABASE flt_a CHARACTER SET latin1 COLLATE latin1_general_ci",
      "CREATE TABLE flt_a.seqs (id BIGINT PRIMARY KEY AUTO_INCREMENT, gmt DATETIME(3) NOT NULL, "
      "note VARCHAR(100), KEY k_gmt (gmt), UNIQUE KEY u_note (note, id)) AUTO_INCREMENT=900000",
      "INSERT INTO flt_a.seqs SELECT seq, '2026-01-01 00:00:00.5' + INTERVAL seq MINUTE, "
      "IF(seq % 7 = 0, NULL, CONCAT('n', seq, REPEAT('-', seq % 40))) FROM flt_a.seq_1_to_1000",
      "CREATE TABLE flt_a.nokey (a INT, b TEXT)",
      "INSERT INTO flt_a.nokey SELECT seq % 10, REPEAT('z', seq % 200) FROM flt_a.seq_1_to_300",
      "CREATE TABLE flt_a.kv (k1 INT, k2 VARCHAR(10), v BLOB, PRIMARY KEY (k1, k2), KEY k_k2 (k2))",
      "INSERT INTO flt_a.kv SELECT seq % 3, CONCAT('k', seq), UNHEX(SHA2(seq, 256)) "
      "FROM flt_a.seq_1_to_240",
      "CREATE TABLE flt_a.audit (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(20))",
      "CREATE TRIGGER flt_a.seqs_ai AFTER INSERT ON flt_a.seqs FOR EACH ROW "
      "INSERT INTO flt_a.audit (what) VALUES (NEW.note)",
      "CREATE VIEW flt_a.v_top AS SELECT id, note FROM flt_a.seqs WHERE id < 10",
      "CREATE FUNCTION flt_a.f_twice(x INT) RETURNS INT DETERMINISTIC RETURN x * 2",
      "CREATE EVENT flt_a.e_nightly ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' "
      "DISABLE DO DELETE FROM flt_a.audit WHERE id < 0",
      "CREATE DATABASE flt_b CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
      "CREATE TABLE flt_b.t (id INT PRIMARY KEY, name VARCHAR(50))",
      "INSERT INTO flt_b.t SELECT seq, CONCAT('名前', seq) FROM flt_b.seq_1_to_200",
      "ANALYZE TABLE flt_a.seqs, flt_a.nokey, flt_a.kv, flt_b.t",
  });
}

// The databases as an upgrade gone wrong leaves them (few statements: this runs before
// every case): flt_a with other tables, rows and objects, and no flt_b. The restore must
// replace flt_a and create flt_b.
void make_old(Session& s) {
  run_all(s, {
      "DROP DATABASE IF EXISTS flt_a", "DROP DATABASE IF EXISTS flt_b",
      "CREATE DATABASE flt_a CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci",
      "CREATE TABLE flt_a.seqs (id BIGINT PRIMARY KEY AUTO_INCREMENT, gmt DATETIME(3) NOT NULL, "
      "note VARCHAR(100), extra INT, KEY k_gmt (gmt)) AUTO_INCREMENT=950000",
      "INSERT INTO flt_a.seqs SELECT seq, '2026-01-01 00:00:00.5' + INTERVAL seq MINUTE, "
      "CONCAT('old', seq), seq FROM flt_a.seq_1_to_700",
      "CREATE TABLE flt_a.new_in_upgrade (x INT)",
      "CREATE VIEW flt_a.v_new AS SELECT 1 AS one",
  });
}

struct State {
  DatabaseState a, b;
  bool b_exists = false;
  std::map<std::string, std::vector<std::string>> a_objects, b_objects;
};

bool database_exists(Session& s, const std::string& db) {
  return s.scalar(fmt::format("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = {}",
                              quote_string(db)))
      .has_value();
}

State capture_state() {
  auto s = sandbox_session();  // no default database: SHOW CREATE VIEW depends on it
  State st;
  st.a = capture(*s, kA);
  st.a_objects = object_definitions(*s, kA);
  st.b_exists = database_exists(*s, kB);
  if (st.b_exists) {
    st.b = capture(*s, kB);
    st.b_objects = object_definitions(*s, kB);
  }
  return st;
}

// The tables (not the database's own charset: the swap sets that just before the RENAME).
void require_same_tables(DatabaseState expected, const DatabaseState& actual) {
  expected.create_sql = actual.create_sql;
  require_same(expected, actual);
}

void require_same_state(const State& expected, const State& actual) {
  {
    INFO("database " << kA);
    require_same(expected.a, actual.a);
    CHECK(expected.a_objects == actual.a_objects);
  }
  INFO("database " << kB);
  REQUIRE(expected.b_exists == actual.b_exists);
  if (expected.b_exists) {
    require_same(expected.b, actual.b);
    CHECK(expected.b_objects == actual.b_objects);
  }
}

// The staging and old copies of flt_a and flt_b.
std::vector<std::string> leftover_schemas(Session& s) {
  std::vector<std::string> out;
  for (const auto& row : s.query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE "
                                 "SCHEMA_NAME LIKE 'flt\\_%' AND (SCHEMA_NAME LIKE "
                                 "'%\\_\\_omsb\\_stage' OR SCHEMA_NAME LIKE '%\\_\\_omsb\\_old')")
                             .rows)
    out.push_back(row.at(0).value_or(""));
  return out;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// ---- the tools as child processes -----------------------------------------------------

struct Outcome {
  bool exited = false;
  int code = -1;    // exit status when exited
  int signal = 0;   // the signal that ended it otherwise
  std::string log;  // stdout and stderr
};

std::string describe(const Outcome& o) {
  return (o.exited ? fmt::format("exit status {}", o.code)
                   : fmt::format("killed by signal {}", o.signal)) +
         "; output:\n" + o.log;
}

// omsdump or omsrestore with the sandbox's connection flags (password through MYSQL_PWD),
// output to a log file. The destructor kills it if it still runs.
class Tool {
 public:
  using Env = std::vector<std::pair<std::string, std::string>>;

  Tool(const char* which, const std::vector<std::string>& args, const Env& env = {}) {
    ConnectionOptions c = sandbox_connection();
    std::string tool = tool_path(which);
    name_ = which;
    log_ = temp_dir("faults-log") + "/out.log";
    std::vector<std::string> all = {tool, "-h", c.host, "-P", std::to_string(c.port), "-u", c.user,
                                    "-q"};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    Env vars = env;
    vars.emplace_back("MYSQL_PWD", *c.password);
    pid_ = fork();
    if (pid_ == 0) {
      for (const auto& [k, v] : vars) setenv(k.c_str(), v.c_str(), 1);
      int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
      execv(argv[0], argv.data());
      _exit(127);
    }
    REQUIRE(pid_ > 0);
  }
  ~Tool() {
    if (!done_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    std::error_code ec;
    fs::remove_all(fs::path(log_).parent_path(), ec);
  }
  Tool(const Tool&) = delete;
  Tool& operator=(const Tool&) = delete;

  pid_t pid() const { return pid_; }

  bool finished() {
    if (done_) return true;
    int st = 0;
    if (waitpid(pid_, &st, WNOHANG) != pid_) return false;
    record(st);
    return true;
  }

  Outcome wait(int seconds = 120) {
    auto deadline = Clock::now() + std::chrono::seconds(seconds);
    while (!finished()) {
      if (Clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        done_ = true;
        FAIL(fmt::format("{} did not end within {} s; output:\n{}", name_, seconds,
                         read_text(log_)));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    outcome_.log = read_text(log_);
    return outcome_;
  }

 private:
  void record(int st) {
    done_ = true;
    outcome_.exited = WIFEXITED(st);
    outcome_.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    outcome_.signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
  }

  pid_t pid_ = -1;
  std::string name_, log_;
  bool done_ = false;
  Outcome outcome_;
};

// A rendezvous with a tool paused by OMSB_TEST_PAUSE_AT: the tool creates the file and
// waits until it is removed.
class Pause {
 public:
  explicit Pause(const std::string& point) : point_(point), file_(temp_dir("faults-pause") + "/paused") {}
  ~Pause() {
    std::error_code ec;
    fs::remove_all(fs::path(file_).parent_path(), ec);
  }
  Pause(const Pause&) = delete;
  Pause& operator=(const Pause&) = delete;
  Tool::Env env() const { return {{"OMSB_TEST_PAUSE_AT", point_}, {"OMSB_TEST_PAUSE_FILE", file_}}; }
  // Waits until the tool is paused; fails the test if it ends first.
  void reached(Tool& tool) {
    auto deadline = Clock::now() + std::chrono::seconds(60);
    while (!fs::exists(file_)) {
      if (tool.finished())
        FAIL(fmt::format("the tool ended before reaching {}: {}", point_, describe(tool.wait())));
      if (Clock::now() > deadline) FAIL("the tool did not reach " + point_ + " within 60 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  void release() { fs::remove(file_); }

 private:
  std::string point_, file_;
};

std::vector<std::string> restore_args(const std::string& archive, bool in_place, int threads = 1) {
  std::vector<std::string> a = {"--threads", std::to_string(threads)};
  if (in_place) a.push_back("--in-place");
  a.push_back(archive);
  return a;
}

// ---- connections in PROCESSLIST ---------------------------------------------------------

struct Conn {
  long id = 0;
  std::string db, command, state, info;
  bool in_transaction = false;
};

std::vector<Conn> processlist(Session& s) {
  std::vector<Conn> out;
  for (const auto& r : s.query(
           "SELECT p.ID, COALESCE(p.DB, ''), p.COMMAND, COALESCE(p.STATE, ''), "
           "COALESCE(p.INFO, ''), (SELECT COUNT(*) FROM information_schema.INNODB_TRX x WHERE "
           "x.trx_mysql_thread_id = p.ID) FROM information_schema.PROCESSLIST p WHERE p.ID <> "
           "CONNECTION_ID() AND p.COMMAND NOT IN ('Daemon', 'Binlog Dump')")
                             .rows) {
    Conn c;
    c.id = std::stol(r.at(0).value_or("0"));
    c.db = r.at(1).value_or("");
    c.command = r.at(2).value_or("");
    c.state = r.at(3).value_or("");
    c.info = r.at(4).value_or("");
    c.in_transaction = r.at(5).value_or("0") != "0";
    out.push_back(std::move(c));
  }
  return out;
}

std::set<long> connection_ids(Session& s) {
  std::set<long> ids;
  for (const auto& c : processlist(s)) ids.insert(c.id);
  return ids;
}

// Polls until a connection that was not there `before` matches; its id.
long await_connection(Session& s, const std::set<long>& before,
                      const std::function<bool(const Conn&)>& match, const std::string& what) {
  auto deadline = Clock::now() + std::chrono::seconds(60);
  for (;;) {
    std::string seen;
    for (const auto& c : processlist(s)) {
      if (before.count(c.id)) continue;
      if (match(c)) return c.id;
      seen += fmt::format("\n  {} db={} {} [{}] {}", c.id, c.db, c.command, c.state,
                          c.info.substr(0, 120));
    }
    if (Clock::now() > deadline) FAIL("no connection of the tool " + what + "; seen:" + seen);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

void kill_connection(Session& s, long id) {
  s.execute(fmt::format("KILL CONNECTION {}", id));
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

// ---- the archive and the checks after a failed restore ----------------------------------

struct Fixture {
  std::unique_ptr<Session> s = sandbox_session();
  State source, old;
  std::string archive;

  explicit Fixture(const std::string& tag) {
    make_source(*s);
    source = capture_state();
    DumpOptions d;
    d.connection = sandbox_connection();
    d.databases = {kA, kB};
    d.output = fresh_path(tag);
    d.threads = 2;
    d.chunk_bytes = 4096;
    dump(d);
    archive = d.output;
    make_old(*s);
    old = capture_state();
  }
  ~Fixture() {
    fs::remove_all(fs::path(archive).parent_path());
    try {
      auto c = sandbox_session();
      c->execute("DROP DATABASE IF EXISTS flt_a");
      c->execute("DROP DATABASE IF EXISTS flt_b");
      for (const auto& db : leftover_schemas(*c)) c->execute("DROP DATABASE " + quote_identifier(db));
    } catch (...) {
    }
  }
  std::string journal() const { return archive + ".restore-journal"; }

  // Back to the old (pre-restore) databases and no journal, for the next case. An
  // --in-place restore drops the old data first thing: it needs only the journal gone.
  void reset(bool in_place = false) {
    s = sandbox_session();
    if (!in_place) make_old(*s);
    for (const auto& db : leftover_schemas(*s)) s->execute("DROP DATABASE " + quote_identifier(db));
    fs::remove(journal());
  }

  // `omsrestore --resume` (through the library, same options) and the result: identical
  // to the source, no staging or old copy, no journal.
  void resume_to_source(bool in_place) {
    REQUIRE(fs::exists(journal()));
    RestoreOptions o;
    o.connection = sandbox_connection();
    o.archive = archive;
    o.threads = 2;
    o.in_place = in_place;
    o.resume = true;
    RestoreReport r = restore(o);
    CHECK(r.resumed);
    require_same_state(source, capture_state());
    s = sandbox_session();
    CHECK(leftover_schemas(*s).empty());
    CHECK_FALSE(fs::exists(journal()));
  }
};

// What the live databases hold after a restore stopped in staging mode.
enum class Live {
  old_all,     // the old tables and objects: nothing live was touched
  old_tables,  // the old tables; the objects may have been dropped (the swap had begun)
  new_tables,  // the restored tables (the RENAME is done); objects may be incomplete
};

void require_live(const Fixture& f, const State& now, Live a, Live b) {
  {
    INFO("live database " << kA);
    switch (a) {
      case Live::old_all:
        require_same(f.old.a, now.a);
        CHECK(f.old.a_objects == now.a_objects);
        break;
      case Live::old_tables: require_same_tables(f.old.a, now.a); break;
      case Live::new_tables: require_same_tables(f.source.a, now.a); break;
    }
  }
  INFO("live database " << kB << " (absent before the restore)");
  if (b == Live::new_tables) {
    REQUIRE(now.b_exists);
    require_same_tables(f.source.b, now.b);
  } else {
    // Before its swap it does not exist, or (the swap had begun) exists without tables.
    CHECK((!now.b_exists || now.b.tables.empty()));
  }
}

}  // namespace

// ---- 1. KILL CONNECTION ------------------------------------------------------------------

namespace {

void make_dump_source(Session& s) {
  run_all(s, {
      "DROP DATABASE IF EXISTS flt_dump",
      "CREATE DATABASE flt_dump",
      "CREATE TABLE flt_dump.big (id INT PRIMARY KEY, v VARCHAR(200))",
      "INSERT INTO flt_dump.big SELECT seq, CONCAT(SHA2(seq, 512), SHA2(-seq, 256)) "
      "FROM flt_dump.seq_1_to_30000",
      "CREATE TABLE flt_dump.small (id INT PRIMARY KEY, v INT)",
      "INSERT INTO flt_dump.small SELECT seq, seq FROM flt_dump.seq_1_to_100",
      "ANALYZE TABLE flt_dump.big, flt_dump.small",
  });
}

// A dump that lost its connection: non-zero, the message names `what` and the lost
// connection, and nothing is left where the archive was to be (once it had been started,
// the message says it was removed).
void require_failed_dump(const Outcome& o, const std::string& archive, const std::string& what,
                         bool archive_started) {
  INFO(describe(o));
  REQUIRE(o.exited);
  CHECK(o.code == 1);
  CHECK(o.log.find(what) != std::string::npos);
  CHECK(std::regex_search(o.log, kLostConnection));
  if (archive_started) CHECK(o.log.find("was removed") != std::string::npos);
  CHECK_FALSE(fs::exists(archive));
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(fs::path(archive).parent_path(), ec))
    CHECK(e.path().filename().string().find(".partial") == std::string::npos);
}

// Runs the dump paused at `point`, kills the connection `match` picks (`which` describes
// it) and lets the dump go on: it must fail as require_failed_dump says.
void kill_paused_dump(Session& s, const std::vector<std::string>& args, const std::string& archive,
                      const char* point, const std::function<bool(const Conn&)>& match,
                      const char* which, const std::string& what, bool archive_started) {
  std::set<long> before = connection_ids(s);
  Pause pause(point);
  Tool dump("OMSDUMP", args, pause.env());
  pause.reached(dump);
  kill_connection(s, await_connection(s, before, match, which));
  pause.release();
  require_failed_dump(dump.wait(), archive, what, archive_started);
}

}  // namespace

TEST_CASE("a dump whose connection is killed fails and leaves no archive", "[faults][kill-connection]") {
  auto s = sandbox_session();
  make_dump_source(*s);
  std::string archive = fresh_path("flt-kill-dump");
  std::vector<std::string> args = {"--databases", kDumpDb, "-o", archive, "--threads", "1",
                                   "--chunk-size", "2MiB"};

  SECTION("during planning: the coordinator waits on a metadata lock and is killed") {
    auto locker = sandbox_session();
    locker->execute("LOCK TABLES flt_dump.big WRITE");
    std::set<long> before = connection_ids(*s);
    Tool dump("OMSDUMP", args);
    long id = await_connection(*s, before, [](const Conn& c) {
      return c.command == "Query" && c.state.find("metadata lock") != std::string::npos;
    }, "waiting for the metadata lock on flt_dump.big");
    kill_connection(*s, id);
    locker->execute("UNLOCK TABLES");
    require_failed_dump(dump.wait(), archive, "flt_dump.big", false);
  }
  // Any of the dump's connections but its lock watcher (sql/lock_watch.h).
  auto any = [](const Conn& c) { return c.db != "information_schema"; };
  // The reader is the connection holding the snapshot (a transaction).
  auto reader = [](const Conn& c) { return c.in_transaction; };
  SECTION("between the catalog and the plan: the idle coordinator is killed") {
    kill_paused_dump(*s, args, archive, "dump.cataloged:1", any, "(the coordinator)", "flt_dump",
                     false);
  }
  SECTION("mid-chunk: the reader is killed while it streams the rows") {
    kill_paused_dump(*s, args, archive, "dump.rows:1", reader, "holding the snapshot",
                     "flt_dump.big chunk", true);
  }
  SECTION("between chunks: the idle reader is killed") {
    kill_paused_dump(*s, args, archive, "dump.chunk-written:1", reader, "holding the snapshot",
                     "flt_dump.", true);
  }
  fs::remove_all(fs::path(archive).parent_path());
  s->execute("DROP DATABASE IF EXISTS flt_dump");
}

namespace {

// What the test holds so that the statement to kill waits, visibly, in PROCESSLIST.
enum class Hold {
  nothing,
  read_stage_a,   // a transaction that has read every staging table of flt_a: ALTER waits
  lock_stage_a,   // LOCK TABLES ... WRITE on every staging table of flt_a: SELECT waits
  read_live_a,    // a transaction that has read every live table of flt_a: RENAME waits
};

struct ConnCase {
  const char* name;
  const char* pause;            // OMSB_TEST_PAUSE_AT
  Hold hold;
  const char* statement;        // the INFO prefix of the statement to kill; "" = idle
  const char* message;          // what the error must name
  bool in_place;
  Live a_after, b_after;        // staging mode
};

void hold(Session& locker, Hold h) {
  if (h == Hold::nothing) return;
  std::string db = h == Hold::read_live_a ? kA : std::string(kA) + "__omsb_stage";
  std::vector<std::string> tables;
  for (const auto& r : locker.query(fmt::format("SELECT TABLE_NAME FROM information_schema.TABLES "
                                                "WHERE TABLE_SCHEMA = {} AND TABLE_TYPE = 'BASE TABLE'",
                                                quote_string(db)))
                           .rows)
    tables.push_back(quote_qualified(db, r.at(0).value_or("")));
  REQUIRE_FALSE(tables.empty());
  if (h == Hold::lock_stage_a) {
    std::string sql = "LOCK TABLES ";
    for (std::size_t i = 0; i < tables.size(); ++i) sql += (i ? ", " : "") + tables[i] + " WRITE";
    locker.execute(sql);
    return;
  }
  locker.execute("START TRANSACTION");
  for (const auto& t : tables) locker.query("SELECT 1 FROM " + t + " LIMIT 1");
}

void release(Session& locker, Hold h) {
  if (h == Hold::lock_stage_a) locker.execute("UNLOCK TABLES");
  else if (h != Hold::nothing) locker.execute("COMMIT");
}

}  // namespace

TEST_CASE("a restore whose connection is killed fails, keeps the old data, and --resume finishes it",
          "[faults][kill-connection]") {
  Fixture f("flt-kill-restore");
  const ConnCase cases[] = {
      {"during the staging load", "restore.loading:3", Hold::nothing, "LOAD DATA", "loading flt_a.",
       false, Live::old_all, Live::old_all},
      {"between chunks (the idle loader)", "restore.chunk:4", Hold::nothing, "", "flt_a.", false,
       Live::old_all, Live::old_all},
      {"during the deferred index build", "restore.indexing:1", Hold::read_stage_a, "ALTER TABLE",
       "secondary indexes of flt_a.", false, Live::old_all, Live::old_all},
      {"during the proof", "restore.proving:2", Hold::lock_stage_a, "SELECT", "flt_a.", false,
       Live::old_all, Live::old_all},
      {"during the RENAME of the swap", "swap.objects-dropped:1", Hold::read_live_a, "RENAME TABLE",
       "swapping the restored tables into flt_a", false, Live::old_tables, Live::old_all},
      {"right after the swap", "swap.renamed:1", Hold::nothing, "", "flt_a", false,
       Live::new_tables, Live::old_all},
      {"during the load, in place", "restore.loading:3", Hold::nothing, "LOAD DATA",
       "loading flt_a.", true, Live::old_all, Live::old_all},
      {"during the proof, in place", "restore.proving:2", Hold::nothing, "", "flt_a.", true,
       Live::old_all, Live::old_all},
  };
  for (const ConnCase& c : cases) {
    {
      INFO("case: " << c.name);
      f.reset();
      auto locker = sandbox_session();
      std::set<long> before = connection_ids(*f.s);
      Pause pause(c.pause);
      Tool tool("OMSRESTORE", restore_args(f.archive, c.in_place), pause.env());
      pause.reached(tool);
      std::string statement = c.statement;
      long id = 0;
      if (statement.empty()) {
        // Idle: kill every connection of the tool; the next statement on one fails.
        for (const auto& conn : processlist(*f.s))
          if (!before.count(conn.id)) kill_connection(*f.s, conn.id);
        pause.release();
      } else {
        hold(*locker, c.hold);
        pause.release();
        id = await_connection(*f.s, before, [&](const Conn& conn) {
          return conn.command == "Query" && starts_with(conn.info, statement);
        }, "running " + statement);
        kill_connection(*f.s, id);
        // KILL returns before the killed statement has stopped: releasing the lock it waits
        // for too early lets it complete first (seen under load, for the RENAME).
        for (int i = 0; i < 6000; ++i) {
          bool gone = true;
          for (const auto& conn : processlist(*f.s)) gone = gone && conn.id != id;
          if (gone) break;
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        release(*locker, c.hold);
      }
      Outcome o = tool.wait();
      INFO(describe(o));
      REQUIRE(o.exited);
      CHECK(o.code == 1);
      CHECK(o.log.find(c.message) != std::string::npos);
      CHECK(std::regex_search(o.log, kLostConnection));
      CHECK(o.log.find("--resume") != std::string::npos);
      if (!c.in_place) require_live(f, capture_state(), c.a_after, c.b_after);
      f.resume_to_source(c.in_place);
    }
  }
}

// ---- 2. the server stopped and started again in the middle of a restore -------------------

namespace {

void restart_server(bool crash) {
  std::string root = std::getenv("OMSB_SOURCE_ROOT") ? std::getenv("OMSB_SOURCE_ROOT") : ".";
  CommandResult r = run_command(fmt::format("bash '{}/scripts/sandbox-db.sh' restart '{}'{}", root,
                                            std::getenv("OMSB_SANDBOX_DIR"),
                                            crash ? " --kill" : ""));
  INFO(r.output);
  REQUIRE(r.status == 0);
}

}  // namespace

TEST_CASE("a restore across a server restart fails cleanly and --resume finishes it",
          "[faults][restart]") {
  Fixture f("flt-restart");
  struct Case {
    const char* name;
    const char* pause;
    bool crash, in_place;
    Live a_after;
  };
  const Case cases[] = {
      {"clean shutdown between chunks", "restore.chunk:5", false, false, Live::old_all},
      {"crash in the middle of a LOAD DATA, in place", "restore.loading:2", true, true, Live::old_all},
      {"crash just before the RENAME", "swap.objects-dropped:1", true, false, Live::old_tables},
  };
  for (const Case& c : cases) {
    {
      INFO("case: " << c.name);
      f.reset();
      Pause pause(c.pause);
      Tool tool("OMSRESTORE", restore_args(f.archive, c.in_place), pause.env());
      pause.reached(tool);
      f.s.reset();
      restart_server(c.crash);
      pause.release();
      Outcome o = tool.wait();
      INFO(describe(o));
      REQUIRE(o.exited);
      CHECK(o.code == 1);
      CHECK(std::regex_search(o.log, kLostConnection));
      CHECK(o.log.find("--resume") != std::string::npos);
      if (!c.in_place) require_live(f, capture_state(), c.a_after, Live::old_all);
      f.resume_to_source(c.in_place);
    }
  }
}

// ---- 3. omsrestore killed with SIGKILL at every step -------------------------------------

TEST_CASE("omsrestore killed at any step leaves the old data or resumes to the source",
          "[faults][sigkill]") {
  Fixture f("flt-sigkill");
  struct Point {
    const char* stop;  // OMSB_TEST_STOP_AT
    bool in_place;
    int threads;
    Live a_after, b_after;  // staging mode
    const char* then_stop = nullptr;  // kill the first --resume too, here
  };
  using L = Live;
  const Point points[] = {
      // staging (default) mode, in the order the steps run
      {"restore.begun:1", false, 1, L::old_all, L::old_all},
      {"restore.work-dropped:1", false, 1, L::old_all, L::old_all},
      {"restore.created:1", false, 1, L::old_all, L::old_all},
      {"restore.loading:1", false, 1, L::old_all, L::old_all},
      {"restore.chunk-committed:1", false, 1, L::old_all, L::old_all},
      {"restore.chunk-committed:6", false, 2, L::old_all, L::old_all},
      {"restore.chunk:12", false, 1, L::old_all, L::old_all, "restore.chunk:3"},
      {"restore.indexing:1", false, 1, L::old_all, L::old_all},
      {"restore.index-added:1", false, 1, L::old_all, L::old_all},
      {"restore.indexed:2", false, 1, L::old_all, L::old_all},
      {"restore.proving:1", false, 1, L::old_all, L::old_all},
      {"restore.proved:4", false, 2, L::old_all, L::old_all},
      {"restore.proven:1", false, 1, L::old_all, L::old_all},
      {"swap.waiting:1", false, 1, L::old_all, L::old_all},
      {"restore.swapping:1", false, 1, L::old_all, L::old_all},
      {"swap.old-created:1", false, 1, L::old_all, L::old_all},
      {"swap.objects-dropped:1", false, 1, L::old_tables, L::old_all},
      {"swap.renamed:1", false, 1, L::new_tables, L::old_all, "restore.routines-created:1"},
      {"restore.swapped:1", false, 1, L::new_tables, L::old_all},
      {"restore.routines-created:1", false, 1, L::new_tables, L::old_all},
      {"restore.objects:1", false, 1, L::new_tables, L::old_all},
      {"restore.old-dropped:1", false, 1, L::new_tables, L::old_all},
      {"restore.finished:1", false, 1, L::new_tables, L::old_all},
      {"swap.renamed:2", false, 1, L::new_tables, L::new_tables},
      {"restore.finished:2", false, 1, L::new_tables, L::new_tables},
      {"journal.appended:9", false, 2, L::old_all, L::old_all},
      // --in-place: the old data is gone from the DROP on; --resume must finish it
      {"restore.work-dropped:1", true, 1, L::old_all, L::old_all},
      {"restore.loading:2", true, 1, L::old_all, L::old_all},
      {"restore.chunk:7", true, 2, L::old_all, L::old_all, "restore.index-added:1"},
      {"restore.index-added:2", true, 1, L::old_all, L::old_all},
      {"restore.routines-created:1", true, 1, L::old_all, L::old_all},
  };
  std::set<std::string> distinct;
  for (const Point& p : points) distinct.insert(p.stop);
  CHECK(distinct.size() >= 20);
  for (const Point& p : points) {
    {
      INFO("killed at " << p.stop << (p.in_place ? " --in-place" : "") << ", threads "
                        << p.threads);
      f.reset(p.in_place);
      Outcome o = Tool("OMSRESTORE", restore_args(f.archive, p.in_place, p.threads),
                       {{"OMSB_TEST_STOP_AT", p.stop}})
                      .wait();
      INFO(describe(o));
      REQUIRE_FALSE(o.exited);  // it reached the point and died there
      REQUIRE(o.signal == SIGKILL);
      if (!p.in_place) require_live(f, capture_state(), p.a_after, p.b_after);
      if (p.then_stop != nullptr) {
        std::vector<std::string> args = restore_args(f.archive, p.in_place, p.threads);
        args.insert(args.begin(), "--resume");
        Outcome again = Tool("OMSRESTORE", args, {{"OMSB_TEST_STOP_AT", p.then_stop}}).wait();
        INFO("the first --resume: " << describe(again));
        REQUIRE(again.signal == SIGKILL);
      }
      f.resume_to_source(p.in_place);
    }
  }
}

TEST_CASE("omsrestore killed between the batches of one chunk resumes to the source",
          "[faults][sigkill]") {
  // One 64 MiB chunk of about 11 MiB of rows is loaded in three 4 MiB batches, each its
  // own transaction: killed after the second, the staging table holds part of the chunk,
  // which --resume must clear before loading the chunk again.
  auto s = sandbox_session();
  s->execute("DROP DATABASE IF EXISTS flt_big");
  s->execute("CREATE DATABASE flt_big");
  s->execute("CREATE TABLE flt_big.t (id INT PRIMARY KEY, pad VARCHAR(1000) NOT NULL, k INT, KEY (k))");
  s->execute("INSERT INTO flt_big.t SELECT i, REPEAT(MD5(i), 31), i % 97 FROM (SELECT "
             "a.x + 10 * b.x + 100 * c.x + 1000 * e.x + 10000 * f.x + 1 AS i FROM "
             "(SELECT 0 x UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL "
             "SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL "
             "SELECT 8 UNION ALL SELECT 9) a, (SELECT 0 x UNION ALL SELECT 1 UNION ALL SELECT 2 "
             "UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION "
             "ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) b, (SELECT 0 x UNION ALL SELECT "
             "1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION "
             "ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) c, (SELECT 0 "
             "x UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION "
             "ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL "
             "SELECT 9) e, (SELECT 0 x UNION ALL SELECT 1) f) n WHERE i <= 11000");
  REQUIRE(s->scalar("SELECT COUNT(*) FROM flt_big.t") == std::optional<std::string>("11000"));
  DatabaseState source = capture(*s, "flt_big");
  DumpOptions d;
  d.connection = sandbox_connection();
  d.databases = {"flt_big"};
  d.output = fresh_path("flt-batches");
  d.threads = 1;
  dump(d);
  s->execute("UPDATE flt_big.t SET pad = 'old' WHERE id <= 10");  // the live copy differs
  DatabaseState old = capture(*s, "flt_big");

  for (bool in_place : {false, true}) {
    INFO((in_place ? "--in-place" : "staging"));
    Outcome o = Tool("OMSRESTORE", restore_args(d.output, in_place),
                     {{"OMSB_TEST_STOP_AT", "restore.batch-committed:2"}})
                    .wait();
    INFO(describe(o));
    REQUIRE(o.signal == SIGKILL);
    s = sandbox_session();
    if (!in_place) {
      require_same(old, capture(*s, "flt_big"));
      // The staging copy holds the two committed batches: part of the chunk.
      auto rows = s->scalar("SELECT COUNT(*) FROM `flt_big__omsb_stage`.t");
      REQUIRE(rows);
      CHECK(std::stoul(*rows) > 0);
      CHECK(std::stoul(*rows) < 11000);
    }
    RestoreOptions r;
    r.connection = sandbox_connection();
    r.archive = d.output;
    r.threads = 1;
    r.in_place = in_place;
    r.resume = true;
    CHECK(restore(r).resumed);
    s = sandbox_session();
    require_same(source, capture(*s, "flt_big"));
    CHECK_FALSE(fs::exists(d.output + ".restore-journal"));
    s->execute("UPDATE flt_big.t SET pad = 'old' WHERE id <= 10");
  }
  s->execute("DROP DATABASE flt_big");
  fs::remove_all(fs::path(d.output).parent_path());
}

// ---- 4. the disk fills up during a dump ---------------------------------------------------

namespace {

// A 2 MiB tmpfs mounted for the test's lifetime, unmounted whatever happens.
class SmallDisk {
 public:
  SmallDisk() : dir_(temp_dir("faults-tmpfs")) {
    mounted_ = ::mount("tmpfs", dir_.c_str(), "tmpfs", 0, "size=2m,mode=0700") == 0;
    error_ = mounted_ ? 0 : errno;
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;
  bool mounted() const { return mounted_; }
  int error() const { return error_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  bool mounted_ = false;
  int error_ = 0;
};

}  // namespace

TEST_CASE("a dump that fills the disk fails naming the file and leaves nothing", "[faults][disk-full]") {
  SmallDisk disk;
  if (!disk.mounted()) {
    WARN("cannot mount a tmpfs (" << std::strerror(disk.error())
                                  << "): the full-disk test needs root; skipped");
    return;
  }
  auto s = sandbox_session();
  // About 6 MiB of rows that do not compress (64 random-looking bytes each), in two tables.
  run_all(*s, {
      "DROP DATABASE IF EXISTS flt_disk",
      "CREATE DATABASE flt_disk",
      "CREATE TABLE flt_disk.r1 (id INT PRIMARY KEY, b VARBINARY(64))",
      "INSERT INTO flt_disk.r1 SELECT seq, UNHEX(SHA2(seq, 512)) FROM flt_disk.seq_1_to_50000",
      "CREATE TABLE flt_disk.r2 (id INT PRIMARY KEY, b VARBINARY(64))",
      "INSERT INTO flt_disk.r2 SELECT seq, UNHEX(SHA2(-seq, 512)) FROM flt_disk.seq_1_to_50000",
      "ANALYZE TABLE flt_disk.r1, flt_disk.r2",
  });
  std::string archive = disk.dir() + "/archive";
  Outcome o = Tool("OMSDUMP", {"--databases", "flt_disk", "-o", archive, "--threads", "2",
                               "--chunk-size", "512KiB", "--compress-level", "1"})
                  .wait();
  INFO(describe(o));
  REQUIRE(o.exited);
  CHECK(o.code == 1);
  CHECK(o.log.find("No space left on device") != std::string::npos);
  // The message names the file that could not be written.
  CHECK(std::regex_search(o.log, std::regex(archive + "/data/0001/0000[12]-[0-9]{6}\\.tsv\\.zst")));
  CHECK(o.log.find("was removed") != std::string::npos);
  CHECK_FALSE(fs::exists(archive));
  CHECK(fs::is_empty(disk.dir()));  // no .partial file either
  s->execute("DROP DATABASE flt_disk");
}

// ---- 5. SIGINT and SIGTERM ---------------------------------------------------------------

TEST_CASE("SIGINT during a dump stops it cleanly: no archive, non-zero status", "[faults][signal]") {
  auto s = sandbox_session();
  make_dump_source(*s);
  std::string archive = fresh_path("flt-sigint-dump");
  int sig = GENERATE(SIGINT, SIGTERM);
  INFO("signal " << sig);
  Pause pause("dump.rows:1");
  Tool dump("OMSDUMP", {"--databases", kDumpDb, "-o", archive, "--threads", "1", "--chunk-size",
                        "2MiB"},
            pause.env());
  pause.reached(dump);
  REQUIRE(fs::exists(archive));  // the archive is being written
  kill(dump.pid(), sig);
  pause.release();
  Outcome o = dump.wait();
  INFO(describe(o));
  REQUIRE(o.exited);
  CHECK(o.code == 1);
  CHECK(o.log.find("cancelled") != std::string::npos);
  CHECK(o.log.find("was removed") != std::string::npos);
  CHECK_FALSE(fs::exists(archive));
  fs::remove_all(fs::path(archive).parent_path());
  s->execute("DROP DATABASE flt_dump");
}

TEST_CASE("SIGINT while a dump plans stops it before anything is written", "[faults][signal]") {
  auto s = sandbox_session();
  make_dump_source(*s);
  std::string archive = fresh_path("flt-sigint-plan");
  Pause pause("dump.planned:1");  // the first of flt_dump's two tables is planned
  Tool dump("OMSDUMP", {"--databases", kDumpDb, "-o", archive, "--threads", "1"}, pause.env());
  pause.reached(dump);
  kill(dump.pid(), SIGINT);
  pause.release();
  Outcome o = dump.wait();
  INFO(describe(o));
  REQUIRE(o.exited);
  CHECK(o.code == 1);
  CHECK(o.log.find("cancelled by the caller while planning") != std::string::npos);
  CHECK(o.log.find("flt_dump.small") != std::string::npos);  // the table it stopped before
  CHECK_FALSE(fs::exists(archive));
  fs::remove_all(fs::path(archive).parent_path());
  s->execute("DROP DATABASE flt_dump");
}

TEST_CASE("a dump killed with SIGKILL leaves a directory that is refused with what to do",
          "[faults][sigkill]") {
  auto s = sandbox_session();
  make_dump_source(*s);
  std::string archive = fresh_path("flt-sigkill-dump");
  std::vector<std::string> args = {"--databases", kDumpDb, "-o", archive, "--threads", "1",
                                   "--chunk-size", "2MiB"};
  Outcome o = Tool("OMSDUMP", args, {{"OMSB_TEST_STOP_AT", "dump.chunk-written:1"}}).wait();
  INFO(describe(o));
  REQUIRE(o.signal == SIGKILL);
  REQUIRE(fs::is_directory(archive));
  CHECK_FALSE(fs::exists(archive + "/manifest.json"));

  // Nothing reads it as an archive, and a new dump into it says why and what to do.
  Outcome check = Tool("OMSRESTORE", {"--check", archive}).wait();
  INFO(describe(check));
  CHECK(check.exited);
  CHECK(check.code != 0);
  Outcome again = Tool("OMSDUMP", args).wait();
  INFO(describe(again));
  REQUIRE(again.exited);
  CHECK(again.code != 0);
  CHECK(again.log.find("not a finished archive") != std::string::npos);
  CHECK(again.log.find("rm -r '" + archive + "'") != std::string::npos);
  CHECK(fs::is_directory(archive));  // left alone: the operator decides

  fs::remove_all(archive);
  Outcome fresh = Tool("OMSDUMP", args).wait();
  INFO(describe(fresh));
  CHECK(fresh.exited);
  CHECK(fresh.code == 0);
  CHECK(fs::exists(archive + "/manifest.json"));
  fs::remove_all(fs::path(archive).parent_path());
  s->execute("DROP DATABASE flt_dump");
}

TEST_CASE("SIGINT or SIGTERM during a restore stops it before the swap, or lets the swap finish",
          "[faults][signal]") {
  Fixture f("flt-signal-restore");
  struct Case {
    const char* name;
    const char* pause;
    int sig;
    bool in_place;
    bool finishes;  // the signal came after the swap began: the restore completes
  };
  const Case cases[] = {
      {"SIGINT during the load", "restore.loading:2", SIGINT, false, false},
      {"SIGTERM during the load", "restore.loading:4", SIGTERM, false, false},
      {"SIGTERM during the proof", "restore.proving:3", SIGTERM, false, false},
      {"SIGINT during the load, in place", "restore.loading:2", SIGINT, true, false},
      {"SIGTERM during the proof, in place", "restore.proving:2", SIGTERM, true, false},
      {"SIGINT once the swap has begun", "restore.swapping:1", SIGINT, false, true},
  };
  for (const Case& c : cases) {
    {
      INFO("case: " << c.name);
      f.reset();
      Pause pause(c.pause);
      Tool tool("OMSRESTORE", restore_args(f.archive, c.in_place), pause.env());
      pause.reached(tool);
      kill(tool.pid(), c.sig);
      pause.release();
      Outcome o = tool.wait();
      INFO(describe(o));
      REQUIRE(o.exited);
      if (c.finishes) {
        CHECK(o.code == 0);
        CHECK(o.log.find("after the swap had begun") != std::string::npos);
        require_same_state(f.source, capture_state());
        CHECK(leftover_schemas(*f.s).empty());
        CHECK_FALSE(fs::exists(f.journal()));
        continue;
      }
      CHECK(o.code == 1);
      CHECK(o.log.find("cancelled") != std::string::npos);
      CHECK(o.log.find("--resume") != std::string::npos);
      if (!c.in_place) require_live(f, capture_state(), Live::old_all, Live::old_all);
      f.resume_to_source(c.in_place);
    }
  }
}

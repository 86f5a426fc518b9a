// Restore and dump under real operations (docs/restore.md, "Waiting for locks" and "One
// restore at a time"): a statement that waits for a lock another connection holds fails
// after --lock-wait-timeout naming the holder, and a cancel stops it at once; a second
// restore of the same journal or into the same database is refused naming the first.
//
// Each case that waits has a watchdog: if the tool still waits long after the timeout it
// should have met (the behaviour this file guards against was a wait of a day), the
// watchdog ends the holder's transaction so that the case fails instead of hanging.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <regex>
#include <thread>

#include "util/env.h"
#include "omsbackup/omsbackup.h"
#include "restore/run_lock.h"
#include "server.h"
#include "sql/quote.h"

using namespace omsbackup;
using namespace omsbackup::testing;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;
const char* kDb = "lk_a";

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// lk_a: two keyed tables, a view, a trigger and a function (a swap drops and recreates
// them: a live database left "unchanged" must still have them).
void make_source(Session& s) {
  for (const char* q : {
           "DROP DATABASE IF EXISTS lk_a",
           "CREATE DATABASE lk_a",
           "CREATE TABLE lk_a.t (id INT PRIMARY KEY, v VARCHAR(40), KEY k_v (v))",
           "INSERT INTO lk_a.t SELECT seq, CONCAT('new', seq) FROM lk_a.seq_1_to_500",
           "CREATE TABLE lk_a.log (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(40))",
           "CREATE TRIGGER lk_a.t_ai AFTER INSERT ON lk_a.t FOR EACH ROW "
           "INSERT INTO lk_a.log (what) VALUES (NEW.v)",
           "CREATE VIEW lk_a.v_top AS SELECT id, v FROM lk_a.t WHERE id < 5",
           "CREATE FUNCTION lk_a.f_one() RETURNS INT DETERMINISTIC RETURN 1",
       })
    s.execute(q);
}

// The live database the restore must replace: other rows, another table, another view.
void make_old(Session& s) {
  for (const char* q : {
           "DROP DATABASE IF EXISTS lk_a",
           "CREATE DATABASE lk_a",
           "CREATE TABLE lk_a.t (id INT PRIMARY KEY, v VARCHAR(40), extra INT)",
           "INSERT INTO lk_a.t SELECT seq, CONCAT('old', seq), seq FROM lk_a.seq_1_to_300",
           "CREATE TABLE lk_a.upgrade_only (x INT)",
           "CREATE VIEW lk_a.v_old AS SELECT id FROM lk_a.t WHERE id < 3",
       })
    s.execute(q);
}

struct Live {
  DatabaseState tables;
  std::map<std::string, std::vector<std::string>> objects;
};

Live capture_live() {
  auto s = sandbox_session();  // no default database: SHOW CREATE VIEW depends on it
  return Live{capture(*s, kDb), object_definitions(*s, kDb)};
}

void require_same_live(const Live& expected, const Live& actual) {
  require_same(expected.tables, actual.tables);
  CHECK(expected.objects == actual.objects);
}

std::vector<std::string> leftovers(Session& s) {
  std::vector<std::string> out;
  for (const auto& r : s.query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE "
                               "SCHEMA_NAME LIKE 'lk\\_a\\_\\_omsb\\_%'")
                           .rows)
    out.push_back(r.at(0).value_or(""));
  return out;
}

long connection_id(Session& s) { return std::stol(s.scalar("SELECT CONNECTION_ID()").value_or("0")); }

// MariaDB's METADATA_LOCK_INFO plugin, loaded for the scope of a case when `wanted` (and
// unloaded again if the case loaded it), or unloaded for it when not wanted.
class MdlPlugin {
 public:
  explicit MdlPlugin(bool wanted) : s_(sandbox_session()) {
    bool loaded = s_->scalar("SELECT COUNT(*) FROM information_schema.PLUGINS WHERE PLUGIN_NAME = "
                             "'METADATA_LOCK_INFO' AND PLUGIN_STATUS = 'ACTIVE'") == std::optional<std::string>("1");
    if (wanted && !loaded) {
      s_->execute("INSTALL SONAME 'metadata_lock_info'");
      undo_ = "UNINSTALL SONAME 'metadata_lock_info'";
    } else if (!wanted && loaded) {
      s_->execute("UNINSTALL SONAME 'metadata_lock_info'");
      undo_ = "INSTALL SONAME 'metadata_lock_info'";
    }
  }
  ~MdlPlugin() {
    try {
      if (!undo_.empty()) sandbox_session()->execute(undo_);
    } catch (...) {
    }
  }

 private:
  std::unique_ptr<Session> s_;
  std::string undo_;
};

// Ends `holder`'s transaction from another connection if the case is still running after
// `seconds` (so that a regression fails the case rather than hanging it for a day).
class Watchdog {
 public:
  Watchdog(long holder, int seconds) {
    thread_ = std::thread([this, holder, seconds] {
      auto deadline = Clock::now() + std::chrono::seconds(seconds);
      while (!done_ && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (done_) return;
      fired_ = true;
      try {
        sandbox_session()->execute(fmt::format("KILL {}", holder));
      } catch (...) {
      }
    });
  }
  ~Watchdog() {
    done_ = true;
    thread_.join();
  }
  bool fired() const { return fired_; }

 private:
  std::atomic<bool> done_{false}, fired_{false};
  std::thread thread_;
};

struct Fixture {
  std::unique_ptr<Session> s = sandbox_session();
  std::string archive;
  Live source, old;

  explicit Fixture(const std::string& tag) {
    make_source(*s);
    source = capture_live();
    DumpOptions d;
    d.connection = sandbox_connection();
    d.databases = {kDb};
    d.output = fresh_path(tag);
    d.threads = 1;
    dump(d);
    archive = d.output;
    make_old(*s);
    old = capture_live();
  }
  ~Fixture() {
    try {
      auto c = sandbox_session();
      c->execute("DROP DATABASE IF EXISTS lk_a");
      for (const auto& db : leftovers(*c)) c->execute("DROP DATABASE " + quote_identifier(db));
    } catch (...) {
    }
    std::error_code ec;
    fs::remove_all(fs::path(archive).parent_path(), ec);
  }
  std::string journal() const { return archive + ".restore-journal"; }

  RestoreOptions options(bool in_place, unsigned lock_wait) const {
    RestoreOptions o;
    o.connection = sandbox_connection();
    o.connection.lock_wait_timeout_s = lock_wait;
    o.archive = archive;
    o.threads = 1;
    o.in_place = in_place;
    return o;
  }

  // --resume finishes to the source, with nothing left behind.
  void resume_to_source(bool in_place) {
    RestoreOptions o = options(in_place, 60);
    o.resume = true;
    CHECK(restore(o).resumed);
    require_same_live(source, capture_live());
    CHECK(leftovers(*sandbox_session()).empty());
    CHECK_FALSE(fs::exists(journal()));
    CHECK_FALSE(fs::exists(journal() + ".lock"));
  }
};

// A connection that has read the live table in a transaction it keeps open: it holds the
// table's metadata lock until it ends the transaction.
struct Reader {
  std::unique_ptr<Session> s = sandbox_session();
  long id = connection_id(*s);
  Reader() {
    s->execute("START TRANSACTION");
    s->query("SELECT * FROM lk_a.t");
  }
  void commit() { s->execute("COMMIT"); }
};

// The tools as child processes, with the sandbox's connection flags.
std::vector<std::string> tool_argv(const char* which, const std::vector<std::string>& args) {
  ConnectionOptions c = sandbox_connection();
  std::vector<std::string> all = {tool_path(which), "-h", c.host, "-P", std::to_string(c.port),
                                  "-u", c.user, "-q"};
  all.insert(all.end(), args.begin(), args.end());
  return all;
}

SpawnOptions tool_env(const std::vector<std::pair<std::string, std::string>>& extra = {}) {
  SpawnOptions o;
  o.env = extra;
  o.env.emplace_back("MYSQL_PWD", *sandbox_connection().password);
  return o;
}

// Polls PROCESSLIST until a connection runs a statement starting with `prefix` in a lock
// wait; its id (0 if `child` ends first or nothing within 60 s).
long await_lock_wait(Session& s, const std::string& prefix, Child* child = nullptr) {
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (Clock::now() < deadline) {
    for (const auto& r : s.query("SELECT ID, COALESCE(INFO, '') FROM information_schema.PROCESSLIST "
                                 "WHERE STATE LIKE 'Waiting for%lock%'")
                             .rows)
      if (r.at(1).value_or("").rfind(prefix, 0) == 0) return std::stol(r.at(0).value_or("0"));
    if (child != nullptr && !child->running()) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return 0;
}

}  // namespace

// ---- a bounded wait that names the holder -----------------------------------------------

TEST_CASE("a restore blocked by an open transaction fails after --lock-wait-timeout naming the "
          "holder, changes nothing live, and --resume finishes once it ends",
          "[locks][restore]") {
  Fixture f("lk-timeout");
  bool in_place = GENERATE(false, true);
  bool plugin = GENERATE(false, true);
  INFO((in_place ? "--in-place" : "staging") << (plugin ? ", METADATA_LOCK_INFO loaded" : ", no lock table"));
  MdlPlugin mdl(plugin);
  fs::remove(f.journal());
  make_old(*f.s);
  Reader holder;
  RestoreOptions o = f.options(in_place, 2);
  std::vector<LockWait> reported;
  std::mutex mu;
  o.on_lock_wait = [&](const LockWait& w) {
    std::lock_guard lock(mu);
    reported.push_back(w);
  };
  auto t0 = Clock::now();
  std::string message;
  {
    Watchdog dog(holder.id, 60);
    try {
      restore(o);
      FAIL("the restore did not wait for the holder's lock");
    } catch (const Error& e) {
      message = e.what();
      INFO(message);
      CHECK(e.server_errno() == 1205);
    }
    CHECK_FALSE(dog.fired());
  }
  INFO(message);
  CHECK(since(t0) < 30);
  // The holder, by its id, and what to do.
  CHECK(contains(message, fmt::format("connection {} (", holder.id)));
  CHECK(contains(message, fmt::format("KILL {}", holder.id)));
  CHECK(contains(message, "--lock-wait-timeout (now 2 s)"));
  CHECK(contains(message, plugin ? "held by connection" : "most likely held by connection"));
  if (plugin) CHECK(contains(message, "MDL_SHARED_READ on lk_a.t"));
  CHECK(contains(message, "transaction open for"));
  if (in_place) {
    // The DROP DATABASE that timed out dropped nothing: nothing to resume, no journal.
    CHECK(contains(message, "Nothing was changed on the server"));
    CHECK_FALSE(contains(message, "--resume"));
    CHECK_FALSE(fs::exists(f.journal()));
  } else {
    CHECK(contains(message, "No live database was changed"));
    CHECK(contains(message, "--resume"));
  }
  CHECK(reported.empty());  // 2 s: the error says it all; reports start after 3 s
  // Nothing live changed: tables, rows, view (and for staging, nothing dropped).
  require_same_live(f.old, capture_live());
  holder.commit();
  if (in_place) {
    restore(f.options(true, 60));
    require_same_live(f.source, capture_live());
  } else {
    f.resume_to_source(in_place);
  }
}

TEST_CASE("a lock wait longer than a few seconds is reported with its holder while it lasts",
          "[locks][restore]") {
  Fixture f("lk-report");
  Reader holder;
  RestoreOptions o = f.options(false, 5);
  std::vector<LockWait> reported;
  std::mutex mu;
  o.on_lock_wait = [&](const LockWait& w) {
    std::lock_guard lock(mu);
    reported.push_back(w);
  };
  {
    Watchdog dog(holder.id, 60);
    CHECK_THROWS_AS(restore(o), Error);
  }
  std::lock_guard lock(mu);
  REQUIRE(reported.size() == 1);  // after 3 s; the next would come 10 s later
  const LockWait& w = reported[0];
  INFO(w.message);
  CHECK(w.seconds >= 3);
  CHECK(w.timeout_s == 5);
  CHECK(w.state == "Waiting for table metadata lock");
  CHECK(w.statement.rfind("LOCK TABLES `lk_a`.`t` WRITE", 0) == 0);
  REQUIRE(w.holders.size() >= 1);
  CHECK(w.holders[0].connection_id == static_cast<std::uint64_t>(holder.id));
  CHECK(w.holders[0].command == "Sleep");
  CHECK(w.holders[0].transaction_seconds >= 3);
  CHECK(contains(w.message, fmt::format("connection {} (", holder.id)));
  holder.commit();
  f.resume_to_source(false);
}

TEST_CASE("a dump blocked by LOCK TABLES ... WRITE fails after --lock-wait-timeout naming the "
          "holder, and says so while it waits",
          "[locks][dump]") {
  auto s = sandbox_session();
  make_source(*s);
  MdlPlugin mdl(true);  // a LOCK TABLES holder has no transaction: only the lock table shows it
  auto locker = sandbox_session();
  long locker_id = connection_id(*locker);
  locker->execute("LOCK TABLES lk_a.t WRITE");
  std::string archive = fresh_path("lk-dump");
  auto t0 = Clock::now();
  ToolResult r;
  {
    Watchdog dog(locker_id, 60);
    r = run_tool(tool_argv("OMSDUMP", {"--databases", kDb, "-o", archive, "--threads", "1",
                                       "--lock-wait-timeout", "4"}),
                 tool_env());
    CHECK_FALSE(dog.fired());
  }
  INFO(r.all());
  CHECK(since(t0) < 30);
  CHECK(r.status == 1);
  CHECK(contains(r.err, "Lock wait timeout exceeded"));
  CHECK(contains(r.err, fmt::format("held by connection {} (", locker_id)));
  CHECK(contains(r.err, "MDL_SHARED_NO_READ_WRITE on lk_a.t"));
  CHECK(contains(r.err, "--lock-wait-timeout (now 4 s)"));
  // While it waited (past 3 s), even with -q:
  CHECK(std::regex_search(r.err, std::regex("omsdump: waiting: connection [0-9]+ has waited [3-9] s "
                                            "\\(of at most 4 s\\) for a lock")));
  CHECK_FALSE(fs::exists(archive));
  locker->execute("UNLOCK TABLES");
  s->execute("DROP DATABASE lk_a");
  fs::remove_all(fs::path(archive).parent_path());
}

// ---- a cancel while a statement waits for a lock ------------------------------------------

TEST_CASE("a cancel while the restore waits for a lock before the swap stops it at once and "
          "changes nothing live",
          "[locks][restore]") {
  Fixture f("lk-cancel");
  bool in_place = GENERATE(false, true);
  INFO((in_place ? "--in-place: the DROP DATABASE waits" : "staging: the wait before the swap"));
  fs::remove(f.journal());
  make_old(*f.s);
  Reader holder;
  RestoreOptions o = f.options(in_place, 600);
  std::atomic<bool> cancel{false};
  o.cancel = &cancel;
  auto running = std::async(std::launch::async, [&] { return restore(o); });
  Clock::time_point cancelled_at;
  {
    Watchdog dog(holder.id, 90);
    long waiter = await_lock_wait(*f.s, in_place ? "DROP DATABASE" : "LOCK TABLES");
    REQUIRE(waiter != 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    cancel = true;
    cancelled_at = Clock::now();
    try {
      running.get();
      FAIL("the restore was not cancelled");
    } catch (const Error& e) {
      INFO(e.what());
      CHECK(since(cancelled_at) < 3);
      CHECK(e.code() == Errc::cancelled);
      CHECK(contains(e.what(), "cancelled by the caller while it waited for a lock"));
      CHECK(contains(e.what(), fmt::format("connection {} (", holder.id)));
      // In place, the DROP DATABASE that was stopped dropped nothing: no journal is kept.
      CHECK(contains(e.what(), in_place ? "Nothing was changed on the server"
                                        : "No live database was changed"));
      CHECK_FALSE(contains(e.what(), "connection to the server was lost"));
    }
    CHECK_FALSE(dog.fired());
  }
  require_same_live(f.old, capture_live());
  holder.commit();
  if (in_place) {
    CHECK_FALSE(fs::exists(f.journal()));
    restore(f.options(true, 60));
    require_same_live(f.source, capture_live());
  } else {
    f.resume_to_source(in_place);
  }
}

TEST_CASE("SIGINT while the swap's RENAME waits for a lock ends omsrestore at once, cancelled",
          "[locks][restore][signal]") {
  Fixture f("lk-sigint");
  auto s = sandbox_session();
  // Paused after the wait before the swap and the drop of the live objects: the reader
  // that starts now makes the RENAME itself wait.
  std::string pause_file = temp_dir("lk-pause") + "/paused";
  Child tool(tool_argv("OMSRESTORE", {"--threads", "1", "--lock-wait-timeout", "600", f.archive}),
             tool_env({{"OMSB_TEST_PAUSE_AT", "swap.objects-dropped:1"},
                       {"OMSB_TEST_PAUSE_FILE", pause_file}}));
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (!fs::exists(pause_file) && tool.running() && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  REQUIRE(fs::exists(pause_file));
  Reader holder;
  fs::remove(pause_file);
  Watchdog dog(holder.id, 90);
  REQUIRE(await_lock_wait(*s, "RENAME TABLE", &tool) != 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  kill(tool.pid(), SIGINT);
  auto t0 = Clock::now();
  while (tool.running() && since(t0) < 60) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  double took = since(t0);
  ToolResult r = tool.wait();
  INFO(r.all());
  CHECK(took < 3);
  CHECK_FALSE(dog.fired());
  CHECK(r.status == 1);
  CHECK(contains(r.err, "cancelled by the caller while it waited for a lock"));
  CHECK(contains(r.err, fmt::format("connection {} (", holder.id)));
  CHECK_FALSE(contains(r.err, "TLS"));
  CHECK_FALSE(contains(r.err, "connection to the server was lost"));
  // The swap had begun (the live objects were dropped), the RENAME had not: the old
  // tables, and the advice to resume.
  CHECK(contains(r.err, "Changed and not completely restored yet: lk_a (the swap had begun)"));
  Live now = capture_live();
  require_same(f.old.tables, now.tables);
  holder.commit();
  f.resume_to_source(false);
}

// ---- one restore at a time ----------------------------------------------------------------

TEST_CASE("a second restore while one runs is refused at once, naming the first", "[locks][restore]") {
  Fixture f("lk-twice");
  auto s = sandbox_session();
  // A second archive of the same database, with other rows.
  s->execute("UPDATE lk_a.t SET v = 'second' WHERE id = 1");
  DumpOptions d;
  d.connection = sandbox_connection();
  d.databases = {kDb};
  d.output = fresh_path("lk-twice-other");
  d.threads = 1;
  dump(d);
  const std::string other = d.output;
  make_old(*s);

  std::string pause_file = temp_dir("lk-pause") + "/paused";
  Child first(tool_argv("OMSRESTORE", {"--threads", "1", f.archive}),
              tool_env({{"OMSB_TEST_PAUSE_AT", "restore.chunk:1"}, {"OMSB_TEST_PAUSE_FILE", pause_file}}));
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (!fs::exists(pause_file) && first.running() && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  REQUIRE(fs::exists(pause_file));
  char host[256] = {};
  gethostname(host, sizeof host - 1);

  SECTION("the same archive, also with --resume as the old message advised") {
    for (bool resume : {false, true}) {
      INFO((resume ? "--resume" : "no --resume"));
      RestoreOptions o = f.options(false, 60);
      o.resume = resume;
      auto t0 = Clock::now();
      try {
        restore(o);
        FAIL("the second restore ran");
      } catch (const Error& e) {
        INFO(e.what());
        CHECK(since(t0) < 5);
        CHECK(e.code() == Errc::invalid_argument);
        CHECK(contains(e.what(), "another restore is running with this journal"));
        CHECK(contains(e.what(), fmt::format("pid {} on host {}", first.pid(), host)));
        CHECK(contains(e.what(), "archive " + f.archive));
        CHECK_FALSE(contains(e.what(), "was interrupted"));
      }
    }
  }
  SECTION("another archive into the same database") {
    RestoreOptions o = f.options(false, 60);
    o.archive = other;
    try {
      restore(o);
      FAIL("the second restore ran");
    } catch (const Error& e) {
      INFO(e.what());
      CHECK(e.code() == Errc::invalid_argument);
      CHECK(contains(e.what(), "another restore is writing this database"));
      CHECK(contains(e.what(), "omsbackup.restore:lk_a"));
      CHECK(std::regex_search(std::string(e.what()),
                              std::regex("held by connection [0-9]+ \\(root@[^)]+\\), which took it "
                                         "at [0-9-]+ [0-9:]+ UTC \\([0-9]+ s ago\\)")));
    }
    CHECK_FALSE(fs::exists(other + ".restore-journal"));
    CHECK_FALSE(fs::exists(other + ".restore-journal.lock"));
  }
  SECTION("the same database under --in-place, and a dump of it") {
    RestoreOptions o = f.options(true, 60);
    o.archive = other;
    CHECK_THROWS_WITH(restore(o), Catch::Contains("another restore is writing this database"));
    DumpOptions dd;
    dd.connection = sandbox_connection();
    dd.databases = {kDb};
    dd.output = fresh_path("lk-twice-dump");
    CHECK_THROWS_WITH(dump(dd), Catch::Contains("a restore is writing this database"));
    CHECK_FALSE(fs::exists(dd.output));
  }
  // The first one, untouched by all this, finishes.
  fs::remove(pause_file);
  ToolResult r = first.wait();
  INFO(r.all());
  CHECK(r.status == 0);
  require_same_live(f.source, capture_live());
  CHECK_FALSE(fs::exists(f.journal() + ".lock"));
  fs::remove_all(fs::path(other).parent_path());
}

TEST_CASE("a restore into a database with a 64-character name takes a lock of a valid name",
          "[locks][restore]") {
  Fixture f("lk-long");
  const std::string target(64, 'l');
  RestoreOptions o = f.options(false, 60);
  o.rename = {{kDb, target}};
  auto s = sandbox_session();
  s->execute("DROP DATABASE IF EXISTS " + quote_identifier(target));
  restore(o);
  CHECK(s->scalar(fmt::format("SELECT COUNT(*) FROM {}.t", quote_identifier(target))) ==
        std::optional<std::string>("500"));
  CHECK(restore_lock_name(target).size() <= 64);
  s->execute("DROP DATABASE " + quote_identifier(target));
}

TEST_CASE("the journal lock: held, it refuses a restore naming its holder; released, the file goes",
          "[locks][restore]") {
  Fixture f("lk-journal");
  std::string holder;
  auto lock = Env::posix().try_lock_file(
      f.journal() + ".lock",
      R"({"tool":"omsrestore","pid":4242,"host":"elsewhere","started":"2026-01-02T03:04:05Z","archive":"/x"})",
      &holder);
  REQUIRE(lock);
  try {
    restore(f.options(false, 60));
    FAIL("the restore ran");
  } catch (const Error& e) {
    INFO(e.what());
    CHECK(contains(e.what(), "omsrestore (pid 4242 on host elsewhere, started 2026-01-02T03:04:05Z, "
                             "archive /x)"));
  }
  require_same_live(f.old, capture_live());
  lock.reset();
  CHECK_FALSE(fs::exists(f.journal() + ".lock"));
  restore(f.options(false, 60));
  require_same_live(f.source, capture_live());
  CHECK_FALSE(fs::exists(f.journal() + ".lock"));
}

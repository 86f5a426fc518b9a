#include "server.h"

// For Catch::TestEventListenerBase (the listener that removes the run's temp directories).
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sql/quote.h"

namespace omsbackup::testing {

static std::string env_or_fail(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    FAIL(fmt::format("{} is not set: run the integration tests through scripts/test.sh, which "
                     "starts a sandbox server (scripts/sandbox-db.sh)",
                     name));
  }
  return v;
}

ConnectionOptions sandbox_connection() {
  ConnectionOptions o;
  o.host = env_or_fail("OMSB_DB_HOST");
  o.port = static_cast<unsigned>(std::stoul(env_or_fail("OMSB_DB_PORT")));
  o.user = env_or_fail("OMSB_DB_USER");
  o.password = env_or_fail("OMSB_DB_PASSWORD");
  return o;
}

std::unique_ptr<Session> sandbox_session() {
  return std::make_unique<Session>(sandbox_connection());
}

std::string sandbox_cnf() { return env_or_fail("OMSB_SANDBOX_DIR") + "/client.cnf"; }

void load_sql_file(const std::string& path) {
  CommandResult r =
      run_command(fmt::format("mariadb --defaults-file='{}' < '{}'", sandbox_cnf(), path));
  INFO(r.output);
  REQUIRE(r.status == 0);
}

static std::string make_temp_dir(const std::string& pattern) {
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed: " + pattern);
  return buf.data();
}

// Every directory of one test run lives under one root, created on first use.
static const std::string& run_root() {
  static const std::string root = make_temp_dir("/tmp/omsb-test-run.XXXXXX");
  return root;
}

std::string temp_dir(const std::string& tag) {
  return make_temp_dir(run_root() + "/" + tag + ".XXXXXX");
}

namespace {
// Removes the run's directories when every assertion passed; a failed run keeps them (the
// path is printed) so that archives and logs can be inspected. OMSB_KEEP_TEST_DIRS=1 keeps
// them always.
struct TempDirCleanup : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;
  void testRunEnded(const Catch::TestRunStats& stats) override {
    const std::string& root = run_root();
    const char* keep = std::getenv("OMSB_KEEP_TEST_DIRS");
    if (stats.totals.assertions.failed > 0 || (keep != nullptr && std::string(keep) == "1")) {
      std::fprintf(stderr, "test directories kept in %s\n", root.c_str());
      return;
    }
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  }
};

// The tests run the tools (and the mariadb client) as the sandbox's settings say, whatever
// the caller's shell holds: MYSQL_PWD, MYSQL_HOST and the rest are read by Connector/C or
// the mariadb client when a setting is not given, and ~/.my.cnf (also $MYSQL_HOME/my.cnf)
// by both when no --defaults-file is named; an option file's password even beats
// MYSQL_PWD, as with the mysql client. So they are removed, and HOME is an empty directory
// of this run. A test that wants one of them sets it for its child (SpawnOptions::env).
struct HermeticEnvironment : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;
  void testRunStarting(const Catch::TestRunInfo&) override {
    for (const char* name : {"MYSQL_PWD", "MYSQL_HOST", "MYSQL_TCP_PORT", "MYSQL_UNIX_PORT",
                             "MARIADB_UNIX_PORT", "MYSQL_HOME", "MARIADB_HOME", "MYSQL_TEST_LOGIN_FILE",
                             "MYSQL_GROUP_SUFFIX", "MARIADB_GROUP_SUFFIX"})
      unsetenv(name);
    std::string home = run_root() + "/home";
    if (mkdir(home.c_str(), 0700) != 0 && errno != EEXIST)
      throw std::runtime_error("cannot create " + home);
    setenv("HOME", home.c_str(), 1);
  }
};
}  // namespace
CATCH_REGISTER_LISTENER(TempDirCleanup)
CATCH_REGISTER_LISTENER(HermeticEnvironment)

std::string fresh_path(const std::string& tag) { return temp_dir(tag) + "/archive"; }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  INFO(path);
  REQUIRE(in);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string write_oms_config(const std::string& dir, const std::string& name,
                             const std::string& hb, int location, bool is_default) {
  ConnectionOptions c = sandbox_connection();
  std::string path = dir + "/" + name;
  std::ofstream out(path);
  out << "oms_meta_host: " << c.host << "\n"
      << "oms_meta_port: " << c.port << "\n"
      << "oms_meta_user: " << c.user << "\n"
      << "oms_meta_password: \"" << *c.password << "\"\n"
      << "drc_rm_db: rm\ndrc_cm_db: cm\n"
      << "drc_cm_heartbeat_db: " << hb << "\n"
      << "cm_location: " << location << "\ncm_region: region-" << location << "\n"
      << "cm_is_default: " << (is_default ? "true" : "false") << "\n"
      << "tsdb_enabled: false\n";
  return path;
}

std::string exact_select_expr(const std::string& q, const std::string& data_type) {
  std::string t = data_type;
  std::transform(t.begin(), t.end(), t.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // FLOAT shows 6 significant digits: `+ 0e0` gives the exact double of the stored float
  // (and DOUBLE's own text is already the shortest round-trip form). HEX() of a number
  // would round it to an integer.
  // A FLOAT's negative zero reads "0" like +0: ATAN2 tells them apart.
  if (t == "float" || t == "double" || t == "real")
    return "CONCAT(" + q + " + 0e0, IF(" + q + " = 0 AND ATAN2(" + q + ", -1) < 0, ' (-0)', ''))";
  if (t == "tinyint" || t == "smallint" || t == "mediumint" || t == "int" || t == "integer" ||
      t == "bigint" || t == "decimal" || t == "numeric" || t == "year") {
    return "CAST(" + q + " AS CHAR)";
  }
  // The member's bytes and its index: the '' error value (index 0) is not a '' member.
  if (t == "enum" || t == "set") return "CONCAT(HEX(" + q + "), ':', " + q + " + 0)";
  // Strings in their own character set, BINARY, BLOB, BIT, temporals as text, spatial
  // values as SRID + WKB, INET4/INET6/UUID as their binary form.
  return "HEX(" + q + ")";
}

DatabaseState capture(Session& s, const std::string& db) {
  DatabaseState st;
  auto cdb = s.query(fmt::format("SHOW CREATE DATABASE {}", quote_identifier(db)));
  st.create_sql = cdb.rows.at(0).at(1).value_or("");
  auto tables = s.query(fmt::format(
      "SELECT TABLE_NAME, AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = {} "
      "AND TABLE_TYPE = 'BASE TABLE'",
      quote_string(db)));
  for (const auto& row : tables.rows) {
    std::string name = row[0].value_or("");
    TableState t;
    t.auto_increment = row[1];
    std::string q = quote_qualified(db, name);
    t.create_sql = s.query("SHOW CREATE TABLE " + q).rows.at(0).at(1).value_or("");
    t.checksum = s.query("CHECKSUM TABLE " + q).rows.at(0).at(1);
    t.rows = s.query("SELECT * FROM " + q).rows;
    std::sort(t.rows.begin(), t.rows.end());
    auto cols = s.query(fmt::format(
        "SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = {} "
        "AND TABLE_NAME = {} ORDER BY ORDINAL_POSITION",
        quote_string(db), quote_string(name)));
    std::string list;
    for (const auto& c : cols.rows) {
      t.exact_columns.push_back(c[0].value_or(""));
      if (!list.empty()) list += ", ";
      list += exact_select_expr(quote_identifier(c[0].value_or("")), c[1].value_or(""));
    }
    if (!list.empty()) {
      t.exact_rows = s.query(fmt::format("SELECT {} FROM {}", list, q)).rows;
      std::sort(t.exact_rows.begin(), t.exact_rows.end());
    }
    st.tables.emplace(name, std::move(t));
  }
  return st;
}

static std::string render_row(const std::vector<std::string>& names,
                              const std::vector<std::optional<std::string>>& row) {
  std::string out;
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (!out.empty()) out += ", ";
    out += i < names.size() ? names[i] : std::to_string(i);
    out += "=";
    std::string v = row[i] ? *row[i] : std::string("NULL");
    if (v.size() > 80) v = v.substr(0, 80) + "...(" + std::to_string(v.size()) + " chars)";
    out += v;
  }
  return out;
}

void require_same(const DatabaseState& a, const DatabaseState& b) {
  REQUIRE(a.create_sql == b.create_sql);
  std::vector<std::string> an, bn;
  for (const auto& [k, v] : a.tables) an.push_back(k);
  for (const auto& [k, v] : b.tables) bn.push_back(k);
  REQUIRE(an == bn);
  for (const auto& [name, ta] : a.tables) {
    const TableState& tb = b.tables.at(name);
    INFO("table " << name);
    REQUIRE(ta.create_sql == tb.create_sql);
    REQUIRE(ta.auto_increment == tb.auto_increment);
    REQUIRE(ta.checksum == tb.checksum);
    REQUIRE(ta.rows.size() == tb.rows.size());
    REQUIRE(ta.rows == tb.rows);
    REQUIRE(ta.exact_columns == tb.exact_columns);
    REQUIRE(ta.exact_rows.size() == tb.exact_rows.size());
    for (std::size_t i = 0; i < ta.exact_rows.size(); ++i) {
      INFO("exact row " << i << " of " << ta.exact_rows.size() << ": expected "
                        << render_row(ta.exact_columns, ta.exact_rows[i]) << "\n got "
                        << render_row(tb.exact_columns, tb.exact_rows[i]));
      REQUIRE(ta.exact_rows[i] == tb.exact_rows[i]);
    }
  }
}

DumpReport round_trip(Session& s, const std::vector<std::string>& dbs, const std::string& tag,
                      std::uint64_t chunk_bytes, LoadMethod method) {
  std::vector<DatabaseState> before;
  for (const auto& db : dbs) before.push_back(capture(s, db));

  DumpOptions d;
  d.connection = sandbox_connection();
  d.databases = dbs;
  d.output = fresh_path(tag);
  if (chunk_bytes != 0) d.chunk_bytes = chunk_bytes;
  DumpReport dr = dump(d);

  for (const auto& db : dbs) s.execute("DROP DATABASE " + quote_identifier(db));

  std::string expected = method == LoadMethod::insert ? "insert" : "load-data";
  if (method == LoadMethod::automatic) {
    std::string local_infile = s.scalar("SELECT @@GLOBAL.local_infile").value_or("0");
    if (local_infile != "1" && local_infile != "ON") expected = "insert";
  }
  RestoreOptions r;
  r.connection = sandbox_connection();
  r.archive = d.output;
  r.load_method = method;
  RestoreReport rr = restore(r);
  CHECK(rr.rows == dr.total_rows());
  CHECK(rr.load_method == expected);

  for (std::size_t i = 0; i < dbs.size(); ++i) {
    INFO("database " << dbs[i]);
    require_same(before[i], capture(s, dbs[i]));
  }
  return dr;
}

std::map<std::string, std::vector<std::string>> object_definitions(Session& s, const std::string& db) {
  const std::string q = quote_string(db);
  std::vector<std::pair<std::string, std::string>> objects;  // (kind, name)
  for (const auto& row : s.query(fmt::format(
           "SELECT 'VIEW', TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = {0} AND "
           "TABLE_TYPE = 'VIEW' UNION ALL SELECT ROUTINE_TYPE, ROUTINE_NAME FROM "
           "information_schema.ROUTINES WHERE ROUTINE_SCHEMA = {0} UNION ALL SELECT 'TRIGGER', "
           "TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = {0} UNION ALL "
           "SELECT 'EVENT', EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = {0}",
           q)).rows)
    objects.emplace_back(row.at(0).value_or(""), row.at(1).value_or(""));
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [kind, name] : objects) {
    ResultSet r = s.query(fmt::format("SHOW CREATE {} {}", kind, quote_qualified(db, name)));
    REQUIRE(r.rows.size() == 1);
    std::vector<std::string>& cols = out[kind + " " + name];
    for (std::size_t i = 0; i < r.columns.size(); ++i) {
      if (r.columns[i] == "Created") continue;
      cols.push_back(r.columns[i] + "=" + r.rows[0][i].value_or("<NULL>"));
    }
  }
  return out;
}

CommandResult run_command(const std::string& command) {
  CommandResult r;
  std::FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string tool_path(const char* env_name) { return env_or_fail(env_name); }

static std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Child::Child(const std::vector<std::string>& argv, const SpawnOptions& o) : dir_(temp_dir("child")) {
  REQUIRE(!argv.empty());
  std::string out = dir_ + "/stdout", err = dir_ + "/stderr";
  pid_ = fork();
  REQUIRE(pid_ >= 0);
  if (pid_ == 0) {
    int fo = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int fe = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int fi = ::open("/dev/null", O_RDONLY);
    if (fo < 0 || fe < 0 || fi < 0) _exit(126);
    dup2(fi, 0);
    dup2(fo, 1);
    dup2(fe, 2);
    setsid();  // no controlling terminal: -p cannot prompt on the test's terminal
    for (const auto& name : o.unset) unsetenv(name.c_str());
    for (const auto& [k, v] : o.env) setenv(k.c_str(), v.c_str(), 1);
    if (o.umask) ::umask(static_cast<mode_t>(*o.umask));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
}

Child::~Child() {
  if (pid_ > 0 && !reaped_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

bool Child::running() {
  if (reaped_) return false;
  pid_t r = waitpid(pid_, &status_, WNOHANG);
  if (r == pid_) reaped_ = true;
  return !reaped_;
}

ToolResult Child::wait() {
  if (!reaped_) {
    while (waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
  }
  ToolResult r;
  r.status = WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  r.out = slurp(dir_ + "/stdout");
  r.err = slurp(dir_ + "/stderr");
  return r;
}

ToolResult run_tool(const std::vector<std::string>& argv, const SpawnOptions& options) {
  return Child(argv, options).wait();
}

SpawnOptions paused_at(const std::string& point, const std::string& pause_file) {
  return SpawnOptions{{{"OMSB_TEST_PAUSE_AT", point}, {"OMSB_TEST_PAUSE_FILE", pause_file}},
                      {"MYSQL_PWD"},
                      std::nullopt};
}

bool wait_until_paused(Child& tool, const std::string& pause_file) {
  for (int i = 0; i < 6000 && !std::filesystem::exists(pause_file) && tool.running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return std::filesystem::exists(pause_file);
}

std::string write_key(const std::string& dir, const std::string& name, const std::string& hex) {
  std::string path = dir + "/" + name;
  std::ofstream(path) << hex << "\n";
  ::chmod(path.c_str(), 0600);
  return path;
}

}  // namespace omsbackup::testing

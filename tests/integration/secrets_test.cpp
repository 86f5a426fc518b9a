// Secrets and permissions, with omsdump and omsrestore as an operator runs them: the
// password never shows in a process's command line (the tools' own, or any child's), in
// what they print (progress, summaries, --json reports, errors), in the archive or in the
// restore journal; every file they write is 0600 and every directory 0700, whatever the
// umask. See docs/reliability.md, "Secrets and permissions".
//
// The tests use a user of their own whose password (kPassword) holds quotes, a backtick, a
// dollar sign, a semicolon and a non-ASCII letter, and contains kMarker, which nothing else
// contains: an output or file holding kMarker holds (a piece of) the password.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <dirent.h>
#include <pty.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "server.h"
#include "sql/quote.h"

using namespace omsbackup;
using namespace omsbackup::testing;
namespace fs = std::filesystem;

namespace {

const std::string kUser = "omsb_secret_user";
const std::string kMarker = "Pw7xQ9sEcReT";
const std::string kPassword = kMarker + "'\"$`;ä";
const std::string kDb = "secrets_db";

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The test user (every privilege a dump and a restore use) and a small database.
void prepare(Session& s) {
  s.execute(fmt::format("DROP USER IF EXISTS {}@'%'", quote_string(kUser)));
  s.execute(fmt::format("CREATE USER {}@'%' IDENTIFIED BY {}", quote_string(kUser),
                        quote_string(kPassword)));
  s.execute(fmt::format("GRANT ALL PRIVILEGES ON *.* TO {}@'%'", quote_string(kUser)));
  s.execute("DROP DATABASE IF EXISTS " + kDb);
  s.execute("CREATE DATABASE " + kDb);
  s.execute("CREATE TABLE " + kDb + ".t (id INT PRIMARY KEY, v VARCHAR(20))");
  s.execute("INSERT INTO " + kDb + ".t VALUES (1, 'one'), (2, 'two'), (3, NULL)");
  s.execute("CREATE TABLE " + kDb + ".u (id INT PRIMARY KEY)");
  s.execute("INSERT INTO " + kDb + ".u SELECT seq FROM " + kDb + ".seq_1_to_1000");
}

std::vector<std::string> conn_args() {
  ConnectionOptions c = sandbox_connection();
  return {"-h", c.host, "-P", std::to_string(c.port), "-u", kUser};
}

std::vector<std::string> cat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// A [client] option file and an OMS config.yaml holding the password, both 0600.
std::string write_defaults_file(const std::string& dir) {
  ConnectionOptions c = sandbox_connection();
  std::string path = dir + "/client.cnf";
  std::ofstream(path) << fmt::format("[client]\nhost={}\nport={}\nuser={}\npassword={}\n", c.host,
                                     c.port, kUser, kPassword);
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
  return path;
}

std::string yaml_quoted(const std::string& v) {
  std::string out = "\"";
  for (char ch : v) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

std::string write_oms_config(const std::string& dir, unsigned port) {
  ConnectionOptions c = sandbox_connection();
  std::string path = dir + "/config.yaml";
  std::ofstream(path) << fmt::format(
      "oms_meta_host: {}\noms_meta_port: {}\noms_meta_user: {}\noms_meta_password: {}\n"
      "drc_rm_db: {}\ndrc_cm_db: {}_cm\ndrc_cm_heartbeat_db: {}_hb\n",
      c.host, port, kUser, yaml_quoted(kPassword), kDb, kDb, kDb);
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
  return path;
}

// /proc/<pid>/cmdline with its NULs as blanks; empty once the process is gone.
std::string cmdline(int pid) {
  std::string s = read_all(fmt::format("/proc/{}/cmdline", pid));
  for (char& ch : s)
    if (ch == '\0') ch = ' ';
  return s;
}

// Every process below `pid` (its children, theirs, ...).
std::vector<int> descendants(int pid) {
  std::vector<int> out{pid};
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::string kids = read_all(fmt::format("/proc/{}/task/{}/children", out[i], out[i]));
    // Threads other than the main one have their own children lists.
    std::error_code ec;
    for (const auto& t : fs::directory_iterator(fmt::format("/proc/{}/task", out[i]), ec)) {
      if (t.path().filename() == std::to_string(out[i])) continue;
      kids += ' ';  // not `" " + read_all(...)`: GCC 12 -O3 warns (-Wrestrict, a false positive)
      kids += read_all(t.path().string() + "/children");
    }
    std::size_t pos = 0;
    while (pos < kids.size()) {
      std::size_t end = kids.find(' ', pos);
      if (end == std::string::npos) end = kids.size();
      if (end > pos) out.push_back(std::stoi(kids.substr(pos, end - pos)));
      pos = end + 1;
    }
  }
  return out;
}

// Holds a write lock on `table` from its own connection, so that a dump reading it, or a
// restore swapping it out, waits with its connections open.
class TableLock {
 public:
  explicit TableLock(const std::string& qualified_table) : s_(sandbox_session()) {
    s_->execute("LOCK TABLES " + qualified_table + " WRITE");
  }
  // Waits until another connection waits for a lock (the tool has connected and is blocked).
  bool wait_for_waiter(Child& tool) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    auto watcher = sandbox_session();
    while (std::chrono::steady_clock::now() < until && tool.running()) {
      auto n = watcher->scalar(
          "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = " +
          quote_string(kUser) + " AND STATE LIKE 'Waiting for%'");
      if (n && *n != "0") return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  void release() { s_->execute("UNLOCK TABLES"); }

 private:
  std::unique_ptr<Session> s_;
};

// What a blocked tool shows to other users of the machine: the command lines of it and
// of every process below it.
void require_no_password_in_argv(Child& tool) {
  std::vector<int> pids = descendants(tool.pid());
  for (int pid : pids) {
    std::string line = cmdline(pid);
    INFO("process " << pid << ": " << line);
    CHECK_FALSE(line.empty());
    CHECK_FALSE(contains(line, kMarker));
  }
}

// Every entry of an archive directory (and the restore journal next to it): modes
// 0700 / 0600, and no piece of the password in any file.
// `complete`: a finished archive, which has files (a dump may be blocked before any).
void require_private_and_clean(const std::string& root, const std::vector<std::string>& also = {},
                               bool complete = true) {
  struct stat st {};
  REQUIRE(::lstat(root.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0700);
  std::size_t files = 0;
  auto check_file = [&](const std::string& path) {
    struct stat f {};
    REQUIRE(::lstat(path.c_str(), &f) == 0);
    INFO(path);
    if (S_ISDIR(f.st_mode)) {
      CHECK((f.st_mode & 07777) == 0700);
      return;
    }
    CHECK(S_ISREG(f.st_mode));
    CHECK((f.st_mode & 07777) == 0600);
    CHECK_FALSE(contains(read_all(path), kMarker));
    ++files;
  };
  for (const auto& e : fs::recursive_directory_iterator(root)) check_file(e.path().string());
  for (const auto& p : also) check_file(p);
  if (complete) CHECK(files > 0);
}

void require_clean_output(const ToolResult& r) {
  INFO(r.all());
  CHECK_FALSE(contains(r.out, kMarker));
  CHECK_FALSE(contains(r.err, kMarker));
}

// Runs `argv` (a dump of kDb or a restore over it) with a table of kDb locked, so that it
// blocks while connected; checks argv of it and its children, then lets it finish.
ToolResult run_blocked(const std::vector<std::string>& argv, const SpawnOptions& options,
                       const std::string& watch_dir = {}) {
  TableLock lock(kDb + ".t");
  Child tool(argv, options);
  bool blocked = lock.wait_for_waiter(tool);
  if (blocked) {
    require_no_password_in_argv(tool);
    // A restore's journal and staging files, a dump's partial archive: already private.
    if (!watch_dir.empty() && fs::exists(watch_dir)) {
      std::vector<std::string> journal;
      if (fs::exists(watch_dir + ".restore-journal")) journal.push_back(watch_dir + ".restore-journal");
      require_private_and_clean(watch_dir, journal, false);
    }
  }
  lock.release();
  ToolResult r = tool.wait();
  INFO(r.all());
  REQUIRE(blocked);
  REQUIRE(r.status == 0);
  require_clean_output(r);
  return r;
}

// The tool on a pseudo-terminal, as an operator types the password at the -p prompt.
struct PtyResult {
  int status = -1;
  std::string screen;  // everything the terminal showed
};

PtyResult run_with_prompt(const std::vector<std::string>& argv, const std::string& typed) {
  int master = -1;
  pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  REQUIRE(pid >= 0);
  if (pid == 0) {
    unsetenv("MYSQL_PWD");
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  PtyResult r;
  bool typed_it = false;
  bool checked_argv = false;
  std::unique_ptr<TableLock> lock = std::make_unique<TableLock>(kDb + ".t");
  auto watcher = sandbox_session();
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  for (;;) {
    pollfd p{master, POLLIN, 0};
    if (poll(&p, 1, 20) > 0) {
      char buf[4096];
      ssize_t n = read(master, buf, sizeof buf);
      if (n <= 0) break;  // EIO: the tool closed the terminal (exited)
      r.screen.append(buf, static_cast<std::size_t>(n));
    }
    if (!typed_it && contains(r.screen, "Enter password: ")) {
      std::string line = typed + "\n";
      REQUIRE(write(master, line.data(), line.size()) == static_cast<ssize_t>(line.size()));
      typed_it = true;
    }
    if (typed_it && lock && !checked_argv) {
      auto n = watcher->scalar("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = " +
                               quote_string(kUser) + " AND STATE LIKE 'Waiting for%'");
      if (n && *n != "0") {
        for (int d : descendants(pid)) {
          INFO("process " << d << ": " << cmdline(d));
          CHECK_FALSE(contains(cmdline(d), kMarker));
        }
        checked_argv = true;
        lock->release();
        lock.reset();
      }
    }
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      // Drain what is left on the terminal.
      for (;;) {
        pollfd q{master, POLLIN, 0};
        if (poll(&q, 1, 50) <= 0) break;
        char buf[4096];
        ssize_t n = read(master, buf, sizeof buf);
        if (n <= 0) break;
        r.screen.append(buf, static_cast<std::size_t>(n));
      }
      r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      close(master);
      CHECK(checked_argv);
      return r;
    }
    if (std::chrono::steady_clock::now() > until) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      close(master);
      FAIL("the tool on the terminal did not finish; it showed: " << r.screen);
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  close(master);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  CHECK(checked_argv);
  return r;
}

}  // namespace

TEST_CASE("the password never shows in a command line, what the tools print or what they write", "[secrets]") {
  auto s = sandbox_session();
  prepare(*s);
  const std::string dir = temp_dir("secrets");
  const std::string dump = tool_path("OMSDUMP"), restore = tool_path("OMSRESTORE");
  const SpawnOptions env_password{{{"MYSQL_PWD", kPassword}}, {}, {}};
  const SpawnOptions no_password{{}, {"MYSQL_PWD"}, {}};
  int n = 0;
  auto archive = [&] { return fmt::format("{}/archive-{}", dir, ++n); };

  SECTION("omsdump and omsrestore with MYSQL_PWD, --json and progress") {
    std::string a = archive();
    ToolResult d = run_blocked(cat({dump}, cat(conn_args(), {"--databases", kDb, "-o", a, "--json"})),
                               env_password, a);
    CHECK(contains(d.out, "\"rows\""));
    require_private_and_clean(a);
    ToolResult r = run_blocked(cat({restore}, cat(conn_args(), {a, "--json"})), env_password, a);
    CHECK(contains(r.out, "\"verified\": true"));
    CHECK_FALSE(fs::exists(a + ".restore-journal"));
    // Without --json: the progress lines and the summaries.
    std::string b = archive();
    require_clean_output(run_blocked(cat({dump}, cat(conn_args(), {"--databases", kDb, "-o", b})),
                                     env_password, b));
    require_clean_output(run_blocked(cat({restore}, cat(conn_args(), {b})), env_password, b));
    // --check and a dry run print what the archive holds and the plan.
    require_clean_output(run_tool({restore, "--check", b}));
    ToolResult dry = run_tool(cat({restore}, cat(conn_args(), {b, "--dry-run", "--json"})),
                              env_password);
    CHECK(dry.status == 0);
    require_clean_output(dry);
  }

  SECTION("a password given as -pPASSWORD is wiped from argv at once") {
    std::string a = archive();
    ToolResult d = run_blocked(
        cat({dump}, cat(conn_args(), {"-p" + kPassword, "--databases", kDb, "-o", a})),
        no_password, a);
    CHECK(contains(d.err, "insecure"));
    require_private_and_clean(a);
    run_blocked(cat({restore}, cat(conn_args(), {"--password=" + kPassword, a})), no_password, a);
  }

  SECTION("an option file or an OMS config.yaml holds the password") {
    std::string a = archive();
    std::string cnf = write_defaults_file(dir);
    run_blocked({dump, "--defaults-file=" + cnf, "--databases", kDb, "-o", a}, no_password, a);
    require_private_and_clean(a);
    run_blocked({restore, "--defaults-file=" + cnf, a}, no_password, a);

    s->execute("CREATE DATABASE IF NOT EXISTS " + kDb + "_cm");
    s->execute("CREATE TABLE IF NOT EXISTS " + kDb + "_cm.c (id INT PRIMARY KEY)");
    s->execute("CREATE DATABASE IF NOT EXISTS " + kDb + "_hb");
    s->execute("CREATE TABLE IF NOT EXISTS " + kDb + "_hb.h (id INT PRIMARY KEY)");
    std::string yaml = write_oms_config(dir, sandbox_connection().port);
    std::string b = archive();
    run_blocked({dump, "--oms-config", yaml, "-o", b, "--json"}, no_password, b);
    require_private_and_clean(b);
    run_blocked({restore, "--oms-config", yaml, b, "--json"}, no_password, b);
    s->execute("DROP DATABASE " + kDb + "_cm");
    s->execute("DROP DATABASE " + kDb + "_hb");
  }

  SECTION("typed at the -p prompt: not echoed, not in argv") {
    std::string a = archive();
    PtyResult d = run_with_prompt(cat({dump}, cat(conn_args(), {"-p", "--databases", kDb, "-o", a})),
                                  kPassword);
    INFO(d.screen);
    CHECK(d.status == 0);
    CHECK(contains(d.screen, "Enter password: "));
    CHECK_FALSE(contains(d.screen, kMarker));
    require_private_and_clean(a);
    PtyResult r = run_with_prompt(cat({restore}, cat(conn_args(), {"-p", a})), kPassword);
    INFO(r.screen);
    CHECK(r.status == 0);
    CHECK_FALSE(contains(r.screen, kMarker));
  }

  SECTION("error messages: wrong password, unreachable server, unknown database") {
    std::string a = archive();
    REQUIRE(run_tool(cat({dump}, cat(conn_args(), {"--databases", kDb, "-o", a})), env_password)
                .status == 0);
    const std::string wrong = kMarker + "-wrong";
    const SpawnOptions wrong_password{{{"MYSQL_PWD", wrong}}, {}, {}};
    ConnectionOptions c = sandbox_connection();
    // Port 1: nothing listens there (connection refused).
    std::vector<std::string> unreachable = {"-h", c.host, "-P", "1", "-u", kUser};
    std::vector<ToolResult> failures = {
        run_tool(cat({dump}, cat(conn_args(), {"--databases", kDb, "-o", archive()})), wrong_password),
        run_tool(cat({restore}, cat(conn_args(), {a})), wrong_password),
        run_tool(cat({dump}, cat(unreachable, {"--databases", kDb, "-o", archive()})), env_password),
        run_tool(cat({restore}, cat(unreachable, {a})), env_password),
        run_tool(cat({dump}, cat(conn_args(), {"--databases", "no_such_db_x", "-o", archive(),
                                               "--json"})),
                 env_password),
        run_tool(cat({restore}, cat(conn_args(), {a, "--databases", "no_such_db_x"})), env_password),
        run_tool(cat({restore}, cat(conn_args(), {"-p", a})), env_password),  // no terminal
    };
    for (const auto& f : failures) {
      INFO(f.all());
      CHECK(f.status != 0);
      CHECK_FALSE(f.err.empty());
      require_clean_output(f);
    }
    CHECK(contains(failures[0].err, "1045"));
    CHECK(contains(failures[2].err, "127.0.0.1"));
    CHECK(contains(failures[4].err, "no_such_db_x"));
  }

  s->execute("DROP DATABASE IF EXISTS " + kDb);
  s->execute(fmt::format("DROP USER IF EXISTS {}@'%'", quote_string(kUser)));
}

TEST_CASE("archive files are 0600 and directories 0700 whatever the umask", "[secrets]") {
  auto s = sandbox_session();
  prepare(*s);
  const std::string dir = temp_dir("perms");
  const std::string dump = tool_path("OMSDUMP"), restore = tool_path("OMSRESTORE");
  for (unsigned mask : {0000u, 0022u, 0077u}) {
    INFO("umask " << fmt::format("{:03o}", mask));
    std::string a = fmt::format("{}/archive-{:03o}", dir, mask);
    SpawnOptions o{{{"MYSQL_PWD", kPassword}}, {}, mask};
    // Small chunks: several chunk files and directories.
    run_blocked(cat({dump}, cat(conn_args(), {"--databases", kDb, "-o", a, "--chunk-size", "4KiB",
                                              "--threads", "2"})),
                o, a);
    require_private_and_clean(a);
    // The restore's journal, checked while the restore waits before its swap.
    run_blocked(cat({restore}, cat(conn_args(), {a})), o, a);
  }
  s->execute("DROP DATABASE IF EXISTS " + kDb);
  s->execute(fmt::format("DROP USER IF EXISTS {}@'%'", quote_string(kUser)));
}

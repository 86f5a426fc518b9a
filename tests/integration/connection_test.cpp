// How omsdump and omsrestore find and set up their connections, as the mysql client does:
// which password wins (command line, config.yaml, option file, MYSQL_PWD), the endpoint an
// error names (the one the client library really used or tried, also when an option file
// or the environment chose it), --init-command and --connect-timeout.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "server.h"

using namespace omsbackup;
using namespace omsbackup::testing;
namespace fs = std::filesystem;

namespace {

const std::string kDb = "conn_db";
const std::string kWrong = "not-the-sandbox-password";

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

// A [client] option file (mode 0600) with these lines.
std::string write_cnf(const std::string& dir, const std::string& name,
                      const std::vector<std::string>& lines) {
  std::string path = dir + "/" + name;
  std::ofstream out(path);
  out << "[client]\n";
  for (const auto& l : lines) out << l << "\n";
  out.close();
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
  return path;
}

std::string port_line() { return fmt::format("port={}", sandbox_connection().port); }
std::string host_line() { return "host=" + sandbox_connection().host; }
std::string user_line() { return "user=" + sandbox_connection().user; }

void prepare(Session& s) {
  s.execute("DROP DATABASE IF EXISTS " + kDb);
  s.execute("DROP DATABASE IF EXISTS " + kDb + "_r");
  s.execute("CREATE DATABASE " + kDb);
  s.execute("CREATE TABLE " + kDb + ".a (id INT PRIMARY KEY, v VARCHAR(20))");
  s.execute("INSERT INTO " + kDb + ".a SELECT seq, CONCAT('row ', seq) FROM " + kDb + ".seq_1_to_50");
  s.execute("CREATE TABLE " + kDb + ".b (id INT PRIMARY KEY)");
  s.execute("INSERT INTO " + kDb + ".b SELECT seq FROM " + kDb + ".seq_1_to_20");
}

std::vector<std::string> cat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

SpawnOptions with_env(std::vector<std::pair<std::string, std::string>> env) {
  SpawnOptions o;
  o.env = std::move(env);
  return o;
}

// The mariadb client with the same environment and option file: the behaviour to match.
int mariadb_client_status(const std::string& env, const std::string& args) {
  CommandResult r = run_command(fmt::format("{} mariadb {} -N -e 'SELECT 1'", env, args));
  return r.status;
}

}  // namespace

TEST_CASE("the password: command line, then config.yaml, then the option file, then MYSQL_PWD",
          "[connection]") {
  auto s = sandbox_session();
  prepare(*s);
  const std::string dir = temp_dir("conn-pw");
  const std::string dump = tool_path("OMSDUMP"), restore = tool_path("OMSRESTORE");
  const std::string right = *sandbox_connection().password;
  const std::string good_cnf = sandbox_cnf();
  const std::string bad_cnf = write_cnf(dir, "bad.cnf", {host_line(), port_line(), user_line(),
                                                         "password=" + kWrong});
  const std::string no_pw_cnf = write_cnf(dir, "nopw.cnf", {host_line(), port_line(), user_line()});
  int n = 0;
  auto archive = [&] { return fmt::format("{}/archive-{}", dir, ++n); };

  SECTION("the option file's password beats a wrong MYSQL_PWD") {
    const SpawnOptions env = with_env({{"MYSQL_PWD", kWrong}});
    std::string a = archive();
    ToolResult d = run_tool({dump, "--defaults-file=" + good_cnf, "-B", kDb, "-o", a}, env);
    INFO(d.all());
    REQUIRE(d.status == 0);
    ToolResult r = run_tool({restore, "--defaults-file=" + good_cnf, "--rename", kDb + "=" + kDb + "_r", a},
                            env);
    INFO(r.all());
    REQUIRE(r.status == 0);
    CHECK(s->scalar("SELECT COUNT(*) FROM " + kDb + "_r.a") == "50");
    // As with the mariadb client.
    CHECK(mariadb_client_status("MYSQL_PWD=" + kWrong, "--defaults-file=" + good_cnf) == 0);
  }

  SECTION("a wrong password in the option file beats the right MYSQL_PWD, as with the mariadb client") {
    const SpawnOptions env = with_env({{"MYSQL_PWD", right}});
    std::string a = archive();
    ToolResult d = run_tool({dump, "--defaults-file=" + bad_cnf, "-B", kDb, "-o", a}, env);
    INFO(d.all());
    CHECK(d.status == 1);
    CHECK(contains(d.err, "1045"));
    CHECK_FALSE(contains(d.all(), kWrong));
    CHECK_FALSE(fs::exists(a));
    CHECK(mariadb_client_status("MYSQL_PWD='" + right + "'", "--defaults-file=" + bad_cnf) != 0);
  }

  SECTION("MYSQL_PWD still serves when the option file has no password") {
    std::string a = archive();
    ToolResult d = run_tool({dump, "--defaults-file=" + no_pw_cnf, "-B", kDb, "-o", a},
                            with_env({{"MYSQL_PWD", right}}));
    INFO(d.all());
    CHECK(d.status == 0);
    CHECK(mariadb_client_status("MYSQL_PWD='" + right + "'", "--defaults-file=" + no_pw_cnf) == 0);
  }

  SECTION("-pPASSWORD beats the option file and MYSQL_PWD") {
    std::string a = archive();
    ToolResult d = run_tool({dump, "--defaults-file=" + bad_cnf, "-p" + right, "-B", kDb, "-o", a},
                            with_env({{"MYSQL_PWD", kWrong}}));
    INFO(d.all());
    CHECK(d.status == 0);
  }

  SECTION("config.yaml's oms_meta_password beats the option file and MYSQL_PWD") {
    s->execute("CREATE DATABASE IF NOT EXISTS " + kDb + "_cm");
    s->execute("CREATE TABLE IF NOT EXISTS " + kDb + "_cm.c (id INT PRIMARY KEY)");
    s->execute("CREATE DATABASE IF NOT EXISTS " + kDb + "_hb");
    s->execute("CREATE TABLE IF NOT EXISTS " + kDb + "_hb.h (id INT PRIMARY KEY)");
    std::string yaml = fmt::format("{}/config.yaml", dir);
    {
      ConnectionOptions c = sandbox_connection();
      std::ofstream out(yaml);
      out << fmt::format("oms_meta_host: {}\noms_meta_port: {}\noms_meta_user: {}\n"
                         "oms_meta_password: \"{}\"\ndrc_rm_db: {}\ndrc_cm_db: {}_cm\n"
                         "drc_cm_heartbeat_db: {}_hb\n",
                         c.host, c.port, c.user, right, kDb, kDb, kDb);
    }
    fs::permissions(yaml, fs::perms::owner_read | fs::perms::owner_write);
    std::string a = archive();
    ToolResult d = run_tool({dump, "--oms-config", yaml, "--defaults-file=" + bad_cnf, "-o", a},
                            with_env({{"MYSQL_PWD", kWrong}}));
    INFO(d.all());
    CHECK(d.status == 0);
    s->execute("DROP DATABASE " + kDb + "_cm");
    s->execute("DROP DATABASE " + kDb + "_hb");
  }
  s->execute("DROP DATABASE IF EXISTS " + kDb + "_r");
}

TEST_CASE("a connection error names the endpoint the client library tried", "[connection]") {
  const std::string dir = temp_dir("conn-endpoint");
  const std::string dump = tool_path("OMSDUMP"), restore = tool_path("OMSRESTORE");
  // Port 1: nothing listens there.
  SECTION("host and port from the option file") {
    // omsrestore verifies its archive before it connects: give it one.
    auto s = sandbox_session();
    prepare(*s);
    const std::string good = dir + "/good";
    REQUIRE(run_tool({dump, "--defaults-file=" + sandbox_cnf(), "-B", kDb, "-o", good}).status == 0);
    std::string cnf = write_cnf(dir, "port1.cnf", {host_line(), "port=1", user_line()});
    for (const auto& args : {std::vector<std::string>{dump, "--defaults-file=" + cnf, "-B", kDb, "-o",
                                                      dir + "/x"},
                             std::vector<std::string>{restore, "--defaults-file=" + cnf, good}}) {
      ToolResult r = run_tool(args);
      INFO(r.all());
      CHECK(r.status == 1);
      CHECK(contains(r.err, fmt::format("connecting to {}:1:", sandbox_connection().host)));
      CHECK_FALSE(contains(r.err, "3306"));
    }
  }
  SECTION("the socket from the option file") {
    std::string sock = dir + "/no-server.sock";
    std::string cnf = write_cnf(dir, "sock.cnf", {"socket=" + sock, user_line()});
    ToolResult r = run_tool({dump, "--defaults-file=" + cnf, "-B", kDb, "-o", dir + "/x"});
    INFO(r.all());
    CHECK(r.status == 1);
    CHECK(contains(r.err, "connecting to " + sock + ":"));
  }
  SECTION("the port from MYSQL_TCP_PORT, the client library's default") {
    std::string cnf = write_cnf(dir, "user.cnf", {user_line()});
    ToolResult r = run_tool({dump, "--defaults-file=" + cnf, "-h", "127.0.0.1", "-B", kDb, "-o",
                             dir + "/x"},
                            with_env({{"MYSQL_TCP_PORT", "1"}}));
    INFO(r.all());
    CHECK(r.status == 1);
    CHECK(contains(r.err, "connecting to 127.0.0.1:1:"));
  }
  SECTION("once connected, the endpoint used: the option file's socket") {
    std::string sock = std::getenv("OMSB_DB_SOCKET") ? std::getenv("OMSB_DB_SOCKET") : "";
    REQUIRE(!sock.empty());
    std::string cnf = write_cnf(dir, "socket.cnf",
                                {"socket=" + sock, user_line(),
                                 "password=" + *sandbox_connection().password});
    ToolResult r = run_tool({dump, "--defaults-file=" + cnf, "-B", kDb, "--init-command",
                             "SET SESSION no_such_variable_conn = 1", "-o", dir + "/x"});
    INFO(r.all());
    CHECK(r.status == 1);
    CHECK(contains(r.err, "(on " + sock + ")"));
  }
}

TEST_CASE("--init-command runs on every connection, after the tools' own settings", "[connection]") {
  auto s = sandbox_session();
  prepare(*s);
  s->execute("DROP DATABASE IF EXISTS conn_log");
  s->execute("CREATE DATABASE conn_log");
  s->execute("CREATE TABLE conn_log.log (n INT AUTO_INCREMENT PRIMARY KEY, tool VARCHAR(20), "
             "conn BIGINT, net_read_timeout BIGINT, tag VARCHAR(20), results VARCHAR(64))");
  const std::string dir = temp_dir("conn-init");
  const std::string dump = tool_path("OMSDUMP"), restore = tool_path("OMSRESTORE");
  // The user variable shows that the commands run in order on one session; the result
  // character set (binary, which the tools set on their readers and loaders after
  // connecting), that they run after the tools' own settings, which therefore cannot undo
  // theirs (here net_read_timeout, which the tools set to 3600).
  auto init = [](const std::string& tool) {
    return std::vector<std::string>{
        "--init-command", "SET SESSION net_read_timeout = 7777, @omsb_tag = 'tagged'",
        "--init-command",
        fmt::format("INSERT INTO conn_log.log (tool, conn, net_read_timeout, tag, results) SELECT "
                    "'{}', CONNECTION_ID(), @@SESSION.net_read_timeout, @omsb_tag, "
                    "@@SESSION.character_set_results",
                    tool)};
  };
  const std::string a = dir + "/archive";
  ToolResult d = run_tool(cat({dump, "--defaults-file=" + sandbox_cnf(), "-B", kDb, "--threads", "2",
                               "-o", a},
                              init("omsdump")));
  INFO(d.all());
  REQUIRE(d.status == 0);
  ToolResult r = run_tool(cat({restore, "--defaults-file=" + sandbox_cnf(), "--threads", "2",
                               "--rename", kDb + "=" + kDb + "_r", a},
                              init("omsrestore")));
  INFO(r.all());
  REQUIRE(r.status == 0);
  CHECK(s->scalar("SELECT COUNT(*) FROM " + kDb + "_r.a") == "50");
  for (const char* tool : {"omsdump", "omsrestore"}) {
    INFO(tool);
    // One coordinator (omsdump) or preflight session (omsrestore) and two workers.
    ResultSet rows = s->query(fmt::format(
        "SELECT conn, net_read_timeout, tag, results FROM conn_log.log WHERE tool = '{}'", tool));
    REQUIRE(rows.rows.size() == 3);
    std::set<std::string> conns;
    for (const auto& row : rows.rows) {
      conns.insert(row[0].value_or(""));
      CHECK(row[1] == "7777");
      CHECK(row[2] == "tagged");
      CHECK(row[3] == "binary");
    }
    CHECK(conns.size() == 3);
  }
  s->execute("DROP DATABASE conn_log");
  s->execute("DROP DATABASE IF EXISTS " + kDb + "_r");
}

TEST_CASE("a failing --init-command, or one that changes what exactness needs, is refused naming it",
          "[connection]") {
  auto s = sandbox_session();
  prepare(*s);
  const std::string dir = temp_dir("conn-init-bad");
  const std::string dump = tool_path("OMSDUMP"), restore = tool_path("OMSRESTORE");
  const std::string cnf = sandbox_cnf();
  const std::string port = std::to_string(sandbox_connection().port);

  ToolResult bad = run_tool({dump, "--defaults-file=" + cnf, "-B", kDb, "-o", dir + "/bad",
                             "--init-command", "SET SESSION no_such_variable_conn = 1"});
  INFO(bad.all());
  CHECK(bad.status == 1);
  CHECK(bad.err.rfind("omsdump: ", 0) == 0);
  CHECK(contains(bad.err, "running --init-command \"SET SESSION no_such_variable_conn = 1\""));
  CHECK(contains(bad.err, "1193"));
  // The endpoint used, its port from the option file.
  CHECK(contains(bad.err, "(on 127.0.0.1:" + port + ")"));
  CHECK_FALSE(fs::exists(dir + "/bad"));

  // Each would change what is read or written without an error: fewer rows, converted
  // bytes, a snapshot per statement.
  for (const char* sql : {"SET SESSION sql_select_limit = 1",
                          "SET SESSION character_set_results = utf8mb4",
                          "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"}) {
    INFO(sql);
    ToolResult d = run_tool({dump, "--defaults-file=" + cnf, "-B", kDb, "-o", dir + "/x",
                             "--init-command", sql});
    INFO(d.all());
    CHECK(d.status == 2);
    CHECK(contains(d.err, fmt::format("--init-command \"{}\"", sql)));
    CHECK(contains(d.err, "leave it out of --init-command"));
    CHECK_FALSE(fs::exists(dir + "/x"));
  }
  REQUIRE(run_tool({dump, "--defaults-file=" + cnf, "-B", kDb, "-o", dir + "/good"}).status == 0);
  ToolResult r = run_tool({restore, "--defaults-file=" + cnf, "--rename", kDb + "=" + kDb + "_r",
                           dir + "/good", "--init-command", "SET SESSION sql_mode = 'ANSI_QUOTES'"});
  INFO(r.all());
  CHECK(r.status == 2);
  CHECK(contains(r.err, "sql_mode"));
  CHECK(s->scalar("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '" + kDb +
                  "\\_r%'") == "0");
  CHECK_FALSE(fs::exists(dir + "/good.restore-journal"));
}

TEST_CASE("--connect-timeout bounds the wait for a server that never answers", "[connection]") {
  // A socket that listens but never accepts: the connection is made by the kernel, the
  // server's greeting never comes.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 16) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  const std::string port = std::to_string(ntohs(addr.sin_port));
  const std::string dir = temp_dir("conn-timeout");
  std::string cnf = write_cnf(dir, "user.cnf", {user_line(), "password=x"});
  auto t0 = std::chrono::steady_clock::now();
  ToolResult r = run_tool({tool_path("OMSDUMP"), "--defaults-file=" + cnf, "-h", "127.0.0.1", "-P",
                           port, "--connect-timeout", "2", "-B", kDb, "-o", dir + "/x"});
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ::close(fd);
  INFO(r.all());
  CHECK(r.status == 1);
  CHECK(contains(r.err, "connecting to 127.0.0.1:" + port));
  // The default is 10 s.
  CHECK(seconds >= 1.5);
  CHECK(seconds < 7);
}

TEST_CASE("an option file's default-character-set does not change what is dumped or restored",
          "[connection]") {
  auto s = sandbox_session();
  s->execute("DROP DATABASE IF EXISTS conn_cs");
  s->execute("DROP DATABASE IF EXISTS conn_cs_r");
  s->execute("CREATE DATABASE conn_cs CHARACTER SET utf8mb4");
  s->execute("CREATE TABLE conn_cs.t (id INT PRIMARY KEY, v VARCHAR(20)) COMMENT '心跳 ✓'");
  s->execute("INSERT INTO conn_cs.t VALUES (1, '心跳'), (2, 'naïve 😀')");
  const std::string dir = temp_dir("conn-cs");
  ConnectionOptions c = sandbox_connection();
  // Read at connect, after the client library was told utf8mb4.
  std::string cnf = write_cnf(dir, "latin1.cnf",
                              {host_line(), port_line(), user_line(), "password=" + *c.password,
                               "default-character-set=latin1"});
  const std::string a = dir + "/archive";
  ToolResult d = run_tool({tool_path("OMSDUMP"), "--defaults-file=" + cnf, "-B", "conn_cs", "-o", a});
  INFO(d.all());
  REQUIRE(d.status == 0);
  ToolResult r = run_tool({tool_path("OMSRESTORE"), "--defaults-file=" + cnf, "--rename",
                           "conn_cs=conn_cs_r", a});
  INFO(r.all());
  REQUIRE(r.status == 0);
  DatabaseState before = capture(*s, "conn_cs"), after = capture(*s, "conn_cs_r");
  CHECK(contains(after.tables.at("t").create_sql, "COMMENT='心跳 ✓'"));
  before.create_sql = after.create_sql;  // the database's own name differs
  require_same(before, after);
  s->execute("DROP DATABASE conn_cs");
  s->execute("DROP DATABASE conn_cs_r");
}

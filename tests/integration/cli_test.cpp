// omsdump and omsrestore as an operator runs them, against the sandbox server.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <thread>

#include <fmt/ranges.h>

#include "server.h"

using namespace omsbackup;
using namespace omsbackup::testing;

namespace {

// Connection flags without any password: it comes from MYSQL_PWD.
std::string conn_flags() {
  ConnectionOptions c = sandbox_connection();
  return fmt::format("-h {} -P {} -u {}", c.host, c.port, c.user);
}

std::string with_pwd(const std::string& cmd) {
  return fmt::format("MYSQL_PWD='{}' {}", *sandbox_connection().password, cmd);
}

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("--help describes the flags", "[cli]") {
  CommandResult d = run_command(tool_path("OMSDUMP") + " --help");
  CHECK(d.status == 0);
  for (const char* flag : {"--databases", "--output", "--host", "--port", "--socket", "--user",
                           "--password", "--defaults-file", "--compress-level", "--ssl-mode"}) {
    INFO(flag);
    CHECK(contains(d.output, flag));
  }
  CommandResult r = run_command(tool_path("OMSRESTORE") + " --help");
  CHECK(r.status == 0);
  for (const char* flag : {"ARCHIVE", "--check", "--defaults-file", "--password", "--socket"}) {
    INFO(flag);
    CHECK(contains(r.output, flag));
  }
}

TEST_CASE("the sample OMS metadata round-trips through the command-line tools", "[cli][oms]") {
  std::string root = std::getenv("OMSB_SOURCE_ROOT") ? std::getenv("OMSB_SOURCE_ROOT") : ".";
  load_sql_file(root + "/tests/data/oms_sample.sql");
  auto s = sandbox_session();
  const std::vector<std::string> dbs = {"rm", "cm", "cm_hb1", "cm_hb2"};
  std::vector<DatabaseState> before;
  for (const auto& db : dbs) before.push_back(capture(*s, db));
  REQUIRE(before[2].tables.count("heatbeat_sequence") == 1);
  REQUIRE(before[2].tables.at("heatbeat_sequence").rows.size() >= 1000);

  std::string archive = fresh_path("cli");
  // The password comes from MYSQL_PWD: never on the command line.
  CommandResult d = run_command(with_pwd(fmt::format("{} {} --databases rm cm cm_hb1 cm_hb2 --prune-heartbeat=none -o {}",
                                                     tool_path("OMSDUMP"), conn_flags(), archive)));
  INFO(d.output);
  REQUIRE(d.status == 0);

  CommandResult c = run_command(tool_path("OMSRESTORE") + " --check " + archive);
  INFO(c.output);
  REQUIRE(c.status == 0);
  CHECK(contains(c.output, "OK"));
  CHECK(contains(c.output, "heatbeat_sequence"));
  CHECK(contains(c.output, "database cm_hb2"));

  // --databases takes one value per flag or a comma list; ARCHIVE after it stays the archive.
  for (const char* pick : {"-B rm,cm_hb2", "--databases rm --databases cm_hb2", "-B rm -B cm_hb2"}) {
    CommandResult dry = run_command(fmt::format("({} --defaults-file={} {} {} --dry-run --json 2>/dev/null)",
                                                tool_path("OMSRESTORE"), sandbox_cnf(), pick, archive));
    INFO(pick << ": " << dry.output);
    REQUIRE(dry.status == 0);
    nlohmann::json report = nlohmann::json::parse(dry.output);
    CHECK(report.at("dry_run") == true);
    CHECK(report.at("databases") == nlohmann::json::array({"rm", "cm_hb2"}));
  }
  // omsdump takes the same forms, and names after one flag as well.
  for (const char* pick : {"-B rm,cm_hb2", "-B rm -B cm_hb2", "--databases rm cm_hb2"}) {
    // In a subshell, so that run_command's trailing 2>&1 does not undo the 2>/dev/null.
    CommandResult dry = run_command(fmt::format(
        "({} 2>/dev/null)", with_pwd(fmt::format("{} {} {} --prune-heartbeat=none --dry-run --json",
                                                 tool_path("OMSDUMP"), conn_flags(), pick))));
    INFO(pick << ": " << dry.output);
    REQUIRE(dry.status == 0);
    nlohmann::json report = nlohmann::json::parse(dry.output);
    std::set<std::string> planned;
    for (const auto& t : report.at("tables")) planned.insert(t.at("database").get<std::string>());
    CHECK(planned == std::set<std::string>{"rm", "cm_hb2"});
  }

  for (const auto& db : dbs) s->execute("DROP DATABASE " + db);
  // This time the password comes from an option file's [client] group.
  CommandResult r = run_command(fmt::format("{} --defaults-file={} {}", tool_path("OMSRESTORE"),
                                            sandbox_cnf(), archive));
  INFO(r.output);
  REQUIRE(r.status == 0);
  for (std::size_t i = 0; i < dbs.size(); ++i) {
    INFO("database " << dbs[i]);
    require_same(before[i], capture(*s, dbs[i]));
  }
}

TEST_CASE("bad input gets a clear error and a non-zero status", "[cli]") {
  CommandResult missing_db = run_command(with_pwd(fmt::format(
      "{} {} --databases no_such_db_xyz -o {}", tool_path("OMSDUMP"), conn_flags(),
      fresh_path("baddb"))));
  CHECK(missing_db.status != 0);
  CHECK(contains(missing_db.output, "no_such_db_xyz"));

  CommandResult wrong_pw = run_command(fmt::format("MYSQL_PWD=not-the-password {} {} "
                                                   "--databases mysql -o {}",
                                                   tool_path("OMSDUMP"), conn_flags(),
                                                   fresh_path("badpw")));
  CHECK(wrong_pw.status != 0);
  CHECK(contains(wrong_pw.output, "1045"));
  CHECK_FALSE(contains(wrong_pw.output, "not-the-password"));

  CommandResult no_archive = run_command(tool_path("OMSRESTORE") + " --check /nonexistent/x");
  CHECK(no_archive.status != 0);
  CHECK(contains(no_archive.output, "/nonexistent/x"));

  CommandResult no_output = run_command(tool_path("OMSDUMP") + " --databases rm");
  CHECK(no_output.status != 0);
  CHECK(contains(no_output.output, "--output"));
}

TEST_CASE("SIGTERM stops a dump cleanly: no archive left, non-zero status", "[cli][signal]") {
  auto s = sandbox_session();
  s->execute("DROP DATABASE IF EXISTS cli_sig");
  s->execute("CREATE DATABASE cli_sig");
  s->execute("CREATE TABLE cli_sig.t (id INT PRIMARY KEY, v VARCHAR(300))");
  s->execute("INSERT INTO cli_sig.t SELECT seq, SHA2(seq, 512) FROM cli_sig.seq_1_to_300000");
  s->execute("ANALYZE TABLE cli_sig.t");
  std::string archive = fresh_path("sigterm");
  ConnectionOptions c = sandbox_connection();
  std::string out = archive + ".log";
  pid_t pid = fork();
  if (pid == 0) {
    setenv("MYSQL_PWD", c.password->c_str(), 1);
    std::string port = std::to_string(c.port);
    std::string tool = tool_path("OMSDUMP");
    freopen(out.c_str(), "w", stderr);
    execl(tool.c_str(), "omsdump", "-h", c.host.c_str(), "-P", port.c_str(), "-u", c.user.c_str(),
          "--databases", "cli_sig", "-o", archive.c_str(), "--threads", "1", "--chunk-size",
          "256KiB", "--compress-level", "19", static_cast<char*>(nullptr));
    _exit(127);
  }
  // Wait until the dump has written its first chunk file, then ask it to stop.
  bool started = false;
  for (int i = 0; i < 20000 && !started; ++i) {
    std::error_code ec;
    if (std::filesystem::exists(archive + "/data/0001", ec))
      for (const auto& e : std::filesystem::directory_iterator(archive + "/data/0001", ec)) {
        (void)e;
        started = true;
      }
    if (!started) usleep(1000);
  }
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(started);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) != 0);
  std::ifstream in(out);
  std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  INFO(log);
  CHECK(contains(log, "cancelled"));
  CHECK_FALSE(std::filesystem::exists(archive));
  s->execute("DROP DATABASE cli_sig");
}

TEST_CASE("every bad argument exits 2 and is printed with the tool's name", "[cli]") {
  struct Case {
    const char* tool;  // environment variable naming it
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"OMSDUMP", {"--no-such-flag"}, "--no-such-flag"},
      {"OMSDUMP", {"--threads", "many", "-B", "rm", "-o", "/tmp/x"}, "--threads"},
      {"OMSDUMP", {"--compress-level", "99", "-B", "rm", "-o", "/tmp/x"}, "--compress-level"},
      {"OMSDUMP", {"--consistency", "sometimes", "-B", "rm"}, "--consistency"},
      {"OMSDUMP", {"--connect-timeout", "0", "-B", "rm"}, "--connect-timeout"},
      {"OMSDUMP", {"--defaults-file", "/nonexistent/omsb.cnf", "-B", "rm"}, "/nonexistent/omsb.cnf"},
      {"OMSRESTORE", {}, "ARCHIVE"},
      {"OMSRESTORE", {"--load-method", "fast", "/tmp/x"}, "--load-method"},
      {"OMSRESTORE", {"/tmp/x", "/tmp/y"}, "/tmp/y"},
      {"OMSRESTORE", {"--rename", "rm", "/tmp/x"}, "--rename rm"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv = {tool_path(c.tool)};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    const std::string name = std::string(c.tool) == "OMSDUMP" ? "omsdump" : "omsrestore";
    ToolResult r = run_tool(argv);
    INFO(name << " " << fmt::format("{}", fmt::join(c.args, " ")) << ": " << r.all());
    CHECK(r.status == 2);
    CHECK(r.err.rfind(name + ": ", 0) == 0);
    CHECK(contains(r.err, c.says));
  }
}

TEST_CASE("--help names the program in its usage line and says what --threads 0 means", "[cli]") {
  for (const char* tool : {"OMSDUMP", "OMSRESTORE"}) {
    const std::string name = std::string(tool) == "OMSDUMP" ? "omsdump" : "omsrestore";
    ToolResult r = run_tool({tool_path(tool), "--help"});
    INFO(r.all());
    CHECK(r.status == 0);
    CHECK(contains(r.out, "Usage: " + name + " [OPTIONS]"));
    CHECK(contains(r.out, "0 (the default): the number of cores"));
    for (const char* flag : {"--init-command", "--connect-timeout"}) CHECK(contains(r.out, flag));
  }
}

TEST_CASE("--threads beyond what the server accepts is refused before anything starts", "[cli]") {
  auto s = sandbox_session();
  s->execute("DROP DATABASE IF EXISTS cli_thr");
  s->execute("DROP DATABASE IF EXISTS cli_thr_r");
  s->execute("CREATE DATABASE cli_thr");
  s->execute("CREATE TABLE cli_thr.t (id INT PRIMARY KEY)");
  s->execute("INSERT INTO cli_thr.t SELECT seq FROM cli_thr.seq_1_to_100");
  const std::string max = s->scalar("SELECT @@max_connections").value_or("?");
  const std::string dir = temp_dir("threads");
  const std::string dump = tool_path("OMSDUMP"), restore = tool_path("OMSRESTORE");
  const std::string cnf = "--defaults-file=" + sandbox_cnf();

  for (bool dry_run : {false, true}) {
    std::vector<std::string> argv = {dump, cnf, "-B", "cli_thr", "--threads", "100000", "-o",
                                     dir + "/refused"};
    if (dry_run) argv.push_back("--dry-run");
    ToolResult d = run_tool(argv);
    INFO(d.all());
    CHECK(d.status == 2);
    CHECK(contains(d.err, "omsdump: --threads 100000: "));
    CHECK(contains(d.err, "max_connections=" + max));
    CHECK_FALSE(std::filesystem::exists(dir + "/refused"));
  }
  // 0, the default: the number of cores (the sandbox accepts that many).
  ToolResult plan = run_tool({dump, cnf, "-B", "cli_thr", "--threads", "0", "--dry-run", "--json"});
  INFO(plan.all());
  REQUIRE(plan.status == 0);
  CHECK(nlohmann::json::parse(plan.out).at("threads") ==
        std::max(1u, std::thread::hardware_concurrency()));

  const std::string archive = dir + "/archive";
  REQUIRE(run_tool({dump, cnf, "-B", "cli_thr", "-o", archive}).status == 0);
  ToolResult r = run_tool({restore, cnf, "--threads", "100000", "--rename", "cli_thr=cli_thr_r", archive});
  INFO(r.all());
  CHECK(r.status == 2);
  CHECK(contains(r.err, "omsrestore: --threads 100000: "));
  CHECK(contains(r.err, "max_connections=" + max));
  CHECK_FALSE(std::filesystem::exists(archive + ".restore-journal"));
  CHECK(s->scalar("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE "
                  "'cli\\_thr\\_r%'") == "0");
  s->execute("DROP DATABASE cli_thr");
}

TEST_CASE("a second --rename of the same database is refused", "[cli]") {
  ToolResult r = run_tool({tool_path("OMSRESTORE"), "--rename", "rm=a", "--rename", "rm=b", "--dry-run",
                           "/nonexistent/archive"});
  INFO(r.all());
  CHECK(r.status == 2);
  CHECK(contains(r.err, "omsrestore: --rename rm=b: rm is already renamed to a"));
}

TEST_CASE("omsrestore --check --json prints what the archive holds as JSON", "[cli]") {
  auto s = sandbox_session();
  s->execute("DROP DATABASE IF EXISTS cli_json");
  s->execute("CREATE DATABASE cli_json CHARACTER SET latin1");
  s->execute("CREATE TABLE cli_json.a (id INT PRIMARY KEY)");
  s->execute("INSERT INTO cli_json.a SELECT seq FROM cli_json.seq_1_to_50");
  s->execute("CREATE TABLE cli_json.b (id INT PRIMARY KEY)");
  s->execute("INSERT INTO cli_json.b SELECT seq FROM cli_json.seq_1_to_20");
  const std::string archive = fresh_path("check-json");
  REQUIRE(run_tool({tool_path("OMSDUMP"), "--defaults-file=" + sandbox_cnf(), "-B", "cli_json", "-o",
                    archive})
              .status == 0);
  ToolResult r = run_tool({tool_path("OMSRESTORE"), "--check", "--json", archive});
  INFO(r.all());
  REQUIRE(r.status == 0);
  nlohmann::json j = nlohmann::json::parse(r.out);
  CHECK(j.at("archive") == archive);
  CHECK(j.at("ok") == true);
  CHECK(j.at("encrypted") == false);
  CHECK(j.at("format_version").get<int>() == 3);  // what this omsbackup writes
  // The same as the text report says.
  ToolResult text = run_tool({tool_path("OMSRESTORE"), "--check", archive});
  CHECK(contains(text.out, fmt::format("{} files verified", j.at("files").get<int>())));
  CHECK(contains(text.out, fmt::format("consistency: {}", j.at("consistency").get<std::string>())));
  REQUIRE(j.at("databases").size() == 1);
  const auto& db = j.at("databases")[0];
  CHECK(db.at("name") == "cli_json");
  CHECK(db.at("charset") == "latin1");
  std::map<std::string, std::uint64_t> rows;
  for (const auto& t : db.at("tables")) rows[t.at("table").get<std::string>()] = t.at("rows");
  CHECK(rows == std::map<std::string, std::uint64_t>{{"a", 50}, {"b", 20}});
  s->execute("DROP DATABASE cli_json");
}

// The integration tests' access to the sandbox server started by scripts/test.sh
// (scripts/sandbox-db.sh): connection settings from OMSB_DB_* variables.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "omsbackup/connection.h"
#include "omsbackup/omsbackup.h"
#include "sql/session.h"

namespace omsbackup::testing {

// Fails the test run with a clear message when no sandbox is configured.
ConnectionOptions sandbox_connection();
std::unique_ptr<Session> sandbox_session();
// The sandbox's option file (user, password, port): for --defaults-file.
std::string sandbox_cnf();
// Runs the `mariadb` client on an SQL file against the sandbox.
void load_sql_file(const std::string& path);
// A fresh, empty directory under this run's /tmp/omsb-test-run.XXXXXX, which is removed at the
// end of a run with no failed assertion (kept on failure, or with OMSB_KEEP_TEST_DIRS=1).
std::string temp_dir(const std::string& tag);
// A path that does not exist yet, inside a fresh temporary directory.
std::string fresh_path(const std::string& tag);
// The whole content of a file (the test fails if it cannot be opened).
std::string read_file(const std::string& path);
// Writes dir/name: an OMS config.yaml for the sandbox (its password included) naming rm, cm
// and the heartbeat database `hb` of the region at `location`; returns its path.
std::string write_oms_config(const std::string& dir, const std::string& name,
                             const std::string& hb, int location, bool is_default);

// Everything the tests compare between a source and its restored copy.
struct TableState {
  std::string create_sql;
  std::optional<std::string> checksum;  // CHECKSUM TABLE
  std::optional<std::string> auto_increment;
  std::vector<std::vector<std::optional<std::string>>> rows;  // SELECT *, sorted
  // Every column, invisible and generated ones too, in a form that display rounding or
  // a character set conversion cannot blur (exact_select_expr), sorted.
  std::vector<std::string> exact_columns;
  std::vector<std::vector<std::optional<std::string>>> exact_rows;
};
struct DatabaseState {
  std::string create_sql;
  std::map<std::string, TableState> tables;
};
DatabaseState capture(Session& s, const std::string& db);
// The expression capture() reads a column with for exact_rows: the stored bytes in hex
// for strings, binaries, temporals and spatial values, the exact double for FLOAT and
// DOUBLE, the decimal text for integers and DECIMAL, hex plus the index for ENUM/SET.
std::string exact_select_expr(const std::string& quoted_column, const std::string& data_type);
// Compares two captures table by table; fails the current test with the first difference.
void require_same(const DatabaseState& expected, const DatabaseState& actual);

// Dumps `dbs` (in chunks of `chunk_bytes`, 0: the default), drops them, restores the
// archive with `method` and requires every database to be as it was (capture() and
// require_same()), the restore to report the dump's row count and the load method it was
// asked for (for automatic: the one the server's @@local_infile calls for).
DumpReport round_trip(Session& s, const std::vector<std::string>& dbs, const std::string& tag,
                      std::uint64_t chunk_bytes = 0, LoadMethod method = LoadMethod::load_data);

// The views, routines, triggers and events of `db`: "VIEW v" -> every column of its SHOW
// CREATE result as "column=value" (a trigger's creation time left out). Read it on a
// session without a default database: SHOW CREATE VIEW depends on it.
std::map<std::string, std::vector<std::string>> object_definitions(Session& s, const std::string& db);

// Runs a command with /bin/sh; returns its exit status and captures stdout+stderr.
struct CommandResult {
  int status = -1;
  std::string output;
};
CommandResult run_command(const std::string& command);
std::string tool_path(const char* env_name);

// A program started without a shell (argv[0] is its path), its stdout and stderr going to
// files; `env` is added to (or replaces in) the environment, `unset` is removed from it,
// and `umask` is set in the child before the exec. The destructor kills it if it still runs.
struct SpawnOptions {
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<std::string> unset;
  std::optional<unsigned> umask;
};
struct ToolResult {
  int status = -1;  // the exit status, or -1 if it was killed by a signal
  std::string out, err;
  std::string all() const { return out + err; }
};
class Child {
 public:
  Child(const std::vector<std::string>& argv, const SpawnOptions& options = {});
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  int pid() const { return pid_; }
  bool running();     // not exited yet
  ToolResult wait();  // waits for the exit and reads what it printed

 private:
  int pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::string dir_;
};
// For a tool that pauses at `point` ("restore.objects:1", OMSB_TEST_PAUSE_AT) on `pause_file`,
// without MYSQL_PWD in its environment.
SpawnOptions paused_at(const std::string& point, const std::string& pause_file);
// Waits (at most 60 s) until `tool` has paused there (created `pause_file`); false when it
// ended first or did not get there.
bool wait_until_paused(Child& tool, const std::string& pause_file);
// Writes dir/name, a key file holding `hex`, mode 0600; returns its path.
std::string write_key(const std::string& dir, const std::string& name, const std::string& hex);
// Child(argv, options).wait()
ToolResult run_tool(const std::vector<std::string>& argv, const SpawnOptions& options = {});

}  // namespace omsbackup::testing

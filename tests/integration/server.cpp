#include "server.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <sys/wait.h>

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

void load_sql_file(const std::string& path) {
  std::string cnf = env_or_fail("OMSB_SANDBOX_DIR") + "/client.cnf";
  CommandResult r = run_command(fmt::format("mariadb --defaults-file='{}' < '{}'", cnf, path));
  INFO(r.output);
  REQUIRE(r.status == 0);
}

std::string temp_dir(const std::string& tag) {
  std::string pattern = "/tmp/omsb-test-" + tag + ".XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return buf.data();
}

std::string fresh_path(const std::string& tag) { return temp_dir(tag) + "/archive"; }

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
    st.tables.emplace(name, std::move(t));
  }
  return st;
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
  }
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

}  // namespace omsbackup::testing

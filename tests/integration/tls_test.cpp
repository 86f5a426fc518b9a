// TLS to the server: each --ssl-mode against the sandbox, which serves a certificate for
// 127.0.0.1/localhost signed by a throwaway CA (OMSB_DB_SSL_CA); OMSB_DB_SSL_WRONG_CA is
// an unrelated CA (scripts/sandbox-db.sh).
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

#include "omsbackup/omsbackup.h"
#include "server.h"

using namespace omsbackup;
using namespace omsbackup::testing;

namespace {

std::string env_path(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    FAIL(fmt::format("{} is not set: start the sandbox with scripts/sandbox-db.sh, which "
                     "creates its TLS certificates",
                     name));
  }
  return v;
}

std::string right_ca() { return env_path("OMSB_DB_SSL_CA"); }
std::string wrong_ca() { return env_path("OMSB_DB_SSL_WRONG_CA"); }

ConnectionOptions tls_connection(SslMode mode, const std::string& ca) {
  ConnectionOptions o = sandbox_connection();
  o.ssl_mode = mode;
  o.ssl_ca = ca;
  return o;
}

std::string cipher(Session& s) {
  auto r = s.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
  REQUIRE(r.rows.size() == 1);
  return r.rows[0].at(1).value_or("");
}

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

// A refused connection: the message names the endpoint and says it is about TLS.
void require_tls_refusal(const ConnectionOptions& o) {
  try {
    Session s(o);
    FAIL("connected although the server's certificate should have been refused");
  } catch (const Error& e) {
    std::string what = e.what();
    INFO(what);
    CHECK(e.code() == Errc::server);
    CHECK(contains(what, o.describe()));
    CHECK(contains(what, "TLS/SSL error"));
    CHECK(contains(what, "client error 2026"));  // Connector/C's number, not the server's
    CHECK((contains(what, "certificate") || contains(what, "Validation")));
  }
}

}  // namespace

TEST_CASE("verify_identity with the right CA connects encrypted and dumps and restores",
          "[tls]") {
  ConnectionOptions o = tls_connection(SslMode::verify_identity, right_ca());
  auto s = std::make_unique<Session>(o);
  CHECK_FALSE(cipher(*s).empty());

  for (const char* sql : {
           "DROP DATABASE IF EXISTS it_tls",
           "DROP DATABASE IF EXISTS it_tls_copy",
           "CREATE DATABASE it_tls CHARACTER SET utf8mb4",
           "CREATE TABLE it_tls.t (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(40), b BLOB)",
           "INSERT INTO it_tls.t (name, b) VALUES ('one', X'00FF'), ('zwei 安', NULL), (NULL, '')",
       }) {
    s->execute(sql);
  }
  DatabaseState before = capture(*s, "it_tls");

  DumpOptions d;
  d.connection = o;
  d.databases = {"it_tls"};
  d.threads = 2;
  d.output = fresh_path("tls");
  DumpReport dr = dump(d);
  CHECK(dr.total_rows() == 3);

  RestoreOptions r;
  r.connection = o;
  r.archive = d.output;
  r.threads = 2;
  r.rename = {{"it_tls", "it_tls_copy"}};
  RestoreReport rr = restore(r);
  CHECK(rr.verified);
  DatabaseState after = capture(*s, "it_tls_copy");
  // The copy's CREATE DATABASE names the new database; the tables must be identical.
  after.create_sql = before.create_sql;
  require_same(before, after);

  s->execute("DROP DATABASE it_tls");
  s->execute("DROP DATABASE it_tls_copy");
  std::filesystem::remove_all(std::filesystem::path(d.output).parent_path());
}

TEST_CASE("verify_ca with the right CA connects encrypted", "[tls]") {
  Session s(tls_connection(SslMode::verify_ca, right_ca()));
  CHECK_FALSE(cipher(s).empty());
}

TEST_CASE("verify_ca checks the CA but not the host name; verify_identity checks both",
          "[tls]") {
  // "127.1" reaches 127.0.0.1 but is neither the certificate's IP nor its DNS name.
  ConnectionOptions ca = tls_connection(SslMode::verify_ca, right_ca());
  ca.host = "127.1";
  Session s(ca);
  CHECK_FALSE(cipher(s).empty());

  ConnectionOptions id = tls_connection(SslMode::verify_identity, right_ca());
  id.host = "127.1";
  require_tls_refusal(id);
}

TEST_CASE("verify_identity and verify_ca refuse a server signed by another CA", "[tls]") {
  SECTION("verify_identity") {
    require_tls_refusal(tls_connection(SslMode::verify_identity, wrong_ca()));
  }
  SECTION("verify_ca") { require_tls_refusal(tls_connection(SslMode::verify_ca, wrong_ca())); }
  SECTION("verify modes without a CA do not trust an unknown issuer") {
    require_tls_refusal(tls_connection(SslMode::verify_identity, ""));
    require_tls_refusal(tls_connection(SslMode::verify_ca, ""));
  }
  SECTION("a dump refuses too") {
    DumpOptions d;
    d.connection = tls_connection(SslMode::verify_identity, wrong_ca());
    d.databases = {"mysql"};
    d.output = fresh_path("tls-wrong-ca");
    CHECK_THROWS_AS(dump(d), Error);
    CHECK_FALSE(std::filesystem::exists(d.output));
    std::filesystem::remove_all(std::filesystem::path(d.output).parent_path());
  }
}

TEST_CASE("required without a CA connects encrypted", "[tls]") {
  Session s(tls_connection(SslMode::required, ""));
  CHECK_FALSE(cipher(s).empty());
}

TEST_CASE("preferred uses TLS when the server offers it", "[tls]") {
  Session s(tls_connection(SslMode::preferred, ""));
  CHECK_FALSE(cipher(s).empty());
}

TEST_CASE("disabled connects without TLS", "[tls]") {
  Session s(tls_connection(SslMode::disabled, right_ca()));
  CHECK(cipher(s).empty());
}

TEST_CASE("omsdump --ssl-mode verify_identity --ssl-ca works, and refuses a wrong CA",
          "[tls][cli]") {
  ConnectionOptions c = sandbox_connection();
  auto s = sandbox_session();
  s->execute("DROP DATABASE IF EXISTS it_tls_cli");
  s->execute("CREATE DATABASE it_tls_cli");
  s->execute("CREATE TABLE it_tls_cli.t (id INT PRIMARY KEY, v VARCHAR(10))");
  s->execute("INSERT INTO it_tls_cli.t VALUES (1, 'a'), (2, 'b')");

  auto omsdump = [&](const std::string& ca, const std::string& out) {
    return run_command(fmt::format(
        "MYSQL_PWD='{}' {} -h {} -P {} -u {} --ssl-mode verify_identity --ssl-ca '{}' "
        "--databases it_tls_cli -o '{}'",
        *c.password, tool_path("OMSDUMP"), c.host, c.port, c.user, ca, out));
  };

  std::string good = fresh_path("tls-cli");
  CommandResult ok = omsdump(right_ca(), good);
  INFO(ok.output);
  CHECK(ok.status == 0);
  CHECK(std::filesystem::is_directory(good));

  std::string bad = fresh_path("tls-cli-wrong");
  CommandResult refused = omsdump(wrong_ca(), bad);
  INFO(refused.output);
  CHECK(refused.status != 0);
  CHECK(contains(refused.output, c.describe()));
  CHECK(contains(refused.output, "TLS/SSL error"));
  CHECK_FALSE(contains(refused.output, *c.password));
  CHECK_FALSE(std::filesystem::exists(bad));

  s->execute("DROP DATABASE it_tls_cli");
  std::filesystem::remove_all(std::filesystem::path(good).parent_path());
  std::filesystem::remove_all(std::filesystem::path(bad).parent_path());
}

// Dump -> drop -> restore against the sandbox server, compared by SHOW CREATE TABLE,
// AUTO_INCREMENT, CHECKSUM TABLE and row by row.
#include <catch2/catch.hpp>

#include "omsbackup/omsbackup.h"
#include "server.h"

using namespace omsbackup;
using namespace omsbackup::testing;

namespace {

void make_two_databases(Session& s) {
  for (const char* sql : {
           "DROP DATABASE IF EXISTS it_alpha",
           "DROP DATABASE IF EXISTS it_beta",
           "CREATE DATABASE it_alpha CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
           "CREATE DATABASE it_beta CHARACTER SET latin1 COLLATE latin1_swedish_ci",
           "CREATE TABLE it_alpha.people (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(50), "
           "note TEXT, photo BLOB) AUTO_INCREMENT=500",
           "INSERT INTO it_alpha.people (id, name, note, photo) VALUES "
           "(1, NULL, '', X'00090A0D5C1AFF'), (2, '', NULL, ''), (3, '安徽 心跳', 'NULL', NULL), "
           "(4, '\\\\N', 'tab\\there\\nnewline', X'5C4E')",
           "CREATE TABLE it_alpha.empty_one (k VARCHAR(10) PRIMARY KEY)",
           "CREATE TABLE it_alpha.kv (k1 INT, k2 VARCHAR(20), v DOUBLE, f FLOAT, "
           "PRIMARY KEY (k1, k2))",
           "INSERT INTO it_alpha.kv VALUES (1, 'a', 0.1, 0.01051625), (1, 'b', -1e308, 3.4e38), "
           "(2, 'a', NULL, NULL)",
           "CREATE TABLE it_alpha.bin_key (id BINARY(4) NOT NULL DEFAULT 0xFF00FF00 PRIMARY KEY, "
           "c VARCHAR(3) CHARACTER SET latin1 DEFAULT 0xE9)",
           "INSERT INTO it_alpha.bin_key VALUES (0x00000000, 'a'), (0xFFFFFFFF, NULL), "
           "(0x5C0A0900, 0xE9E9), (DEFAULT, DEFAULT)",
           "CREATE TABLE it_beta.`odd ``name`` \"q\"` (`select` INT, `a b` CHAR(3), "
           "bits BIT(10), d DATETIME(6))",
           "INSERT INTO it_beta.`odd ``name`` \"q\"` VALUES (1, 'x', b'1010101010', "
           "'2024-02-29 23:59:59.999999'), (1, 'x', b'1010101010', '2024-02-29 23:59:59.999999'), "
           "(NULL, NULL, NULL, NULL), (0, 'é', 0, '1970-01-01 00:00:01')",
       }) {
    s.execute(sql);
  }
}

}  // namespace

TEST_CASE("two databases round-trip exactly through dump, drop and restore", "[roundtrip]") {
  auto s = sandbox_session();
  make_two_databases(*s);
  DatabaseState alpha = capture(*s, "it_alpha"), beta = capture(*s, "it_beta");
  REQUIRE(alpha.tables.size() == 4);
  REQUIRE(beta.tables.size() == 1);

  DumpOptions d;
  d.connection = sandbox_connection();
  d.databases = {"it_alpha", "it_beta"};
  d.output = fresh_path("roundtrip");
  DumpReport dr = dump(d);
  CHECK(dr.total_rows() == 4 + 0 + 3 + 4 + 4);

  s->execute("DROP DATABASE it_alpha");
  s->execute("DROP DATABASE it_beta");

  RestoreOptions r;
  r.connection = sandbox_connection();
  r.archive = d.output;
  RestoreReport rr = restore(r);
  CHECK(rr.rows == dr.total_rows());
  CHECK(rr.tables == 5);

  require_same(alpha, capture(*s, "it_alpha"));
  require_same(beta, capture(*s, "it_beta"));
}

TEST_CASE("restoring over changed data brings back the archived state", "[roundtrip]") {
  auto s = sandbox_session();
  make_two_databases(*s);
  DatabaseState alpha = capture(*s, "it_alpha");
  DumpOptions d;
  d.connection = sandbox_connection();
  d.databases = {"it_alpha"};
  d.output = fresh_path("overwrite");
  dump(d);
  s->execute("DELETE FROM it_alpha.people WHERE id = 1");
  s->execute("INSERT INTO it_alpha.kv VALUES (9, 'z', 1, 1)");
  s->execute("CREATE TABLE it_alpha.extra (x INT)");
  RestoreOptions r;
  r.connection = sandbox_connection();
  r.archive = d.output;
  restore(r);
  require_same(alpha, capture(*s, "it_alpha"));
}

TEST_CASE("dumping a database that does not exist names it", "[roundtrip]") {
  DumpOptions d;
  d.connection = sandbox_connection();
  d.databases = {"it_no_such_db"};
  d.output = fresh_path("missing");
  try {
    dump(d);
    FAIL("dump of a missing database succeeded");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::invalid_argument);
    CHECK(std::string(e.what()).find("it_no_such_db") != std::string::npos);
  }
}

TEST_CASE("a wrong password is refused without showing it", "[connection]") {
  ConnectionOptions c = sandbox_connection();
  c.password = "wrong-secret-4711";
  try {
    Session s(c);
    FAIL("connected with a wrong password");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::server);
    CHECK(e.server_errno() == 1045);
    CHECK(e.sqlstate() == "28000");
    CHECK(std::string(e.what()).find("wrong-secret-4711") == std::string::npos);
    CHECK(std::string(e.what()).find("connecting to 127.0.0.1") != std::string::npos);
  }
}

TEST_CASE("session streams rows and reads scalars", "[connection]") {
  auto s = sandbox_session();
  CHECK(s->server().flavor == ServerFlavor::mariadb);
  CHECK(s->scalar("SELECT @@session.time_zone") == std::optional<std::string>("+00:00"));
  CHECK(s->scalar("SELECT NULL") == std::nullopt);
  RowStream rows = s->stream("SELECT 1 UNION ALL SELECT NULL UNION ALL SELECT 'x'");
  std::vector<std::optional<std::string>> got;
  while (rows.next()) {
    if (rows.is_null(0)) got.emplace_back(std::nullopt);
    else got.emplace_back(std::string(rows.value(0)));
  }
  CHECK(got == std::vector<std::optional<std::string>>{"1", std::nullopt, "x"});
  try {
    s->execute("SELECT * FROM no_such_db.no_such_table", "reading the nothing table");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.server_errno() == 1146);
    CHECK(std::string(e.what()).find("reading the nothing table") != std::string::npos);
  }
}

// Views, stored procedures and functions, triggers and events: dump -> drop -> restore
// against the sandbox server, compared by every column of their SHOW CREATE output, the
// triggers' firing order, and the data (a trigger must not fire during the load).
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "archive/manifest.h"
#include "omsbackup/omsbackup.h"
#include "server.h"
#include "sql/quote.h"
#include "util/sha256.h"

using namespace omsbackup;
using namespace omsbackup::testing;

namespace {

using Rows = std::vector<std::vector<std::optional<std::string>>>;

const char* const kDb = "obj_main";

void run_all(Session& s, const std::vector<std::string>& sql) {
  for (const auto& q : sql) s.execute(q);
}

// The database of the tests. Objects are created under several sql_modes, character
// sets, time zones and database collations; the triggers fire on rows inserted after
// them, into `audit` and `counters`.
void make_objects_database(Session& s) {
  ResultSet pinned = s.query(
      "SELECT @@SESSION.sql_mode, @@SESSION.character_set_client, "
      "@@SESSION.collation_connection, @@SESSION.time_zone");
  const auto& p = pinned.rows.at(0);
  std::string put_back = fmt::format(
      "SET SESSION sql_mode = {}, character_set_client = {}, collation_connection = {}, "
      "time_zone = {}",
      quote_string(p.at(0).value_or("")), quote_string(p.at(1).value_or("")),
      quote_string(p.at(2).value_or("")), quote_string(p.at(3).value_or("")));

  run_all(s, {
      "DROP DATABASE IF EXISTS obj_main",
      "CREATE DATABASE obj_main CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
      "USE obj_main",
      "CREATE TABLE orders (id INT PRIMARY KEY, amount DECIMAL(10,2) NOT NULL, note VARCHAR(100))",
      "CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, order_id INT, what VARCHAR(100))",
      "CREATE TABLE counters (name VARCHAR(20) PRIMARY KEY, n INT NOT NULL)",
      "INSERT INTO counters VALUES ('orders', 0)",
      "INSERT INTO orders VALUES (1, 10.50, 'first'), (2, 0.99, NULL), (3, 120.00, 'x')",
      "INSERT INTO audit (order_id, what) VALUES (1, 'by hand')",
  });

  // A function whose meaning depends on its sql_mode: || concatenates and \ is a plain
  // character only under PIPES_AS_CONCAT,NO_BACKSLASH_ESCAPES (and no STRICT mode).
  s.execute("SET SESSION sql_mode = 'PIPES_AS_CONCAT,NO_BACKSLASH_ESCAPES'");
  s.execute(R"sql(CREATE FUNCTION fmt_amount(a DECIMAL(10,2)) RETURNS VARCHAR(200) CHARSET utf8mb4
DETERMINISTIC
RETURN '<' || a || '> it''s "q" \ back	tab é 安徽 %_')sql");
  s.execute(put_back);
  // Later objects see another database collation than the function did.
  s.execute("ALTER DATABASE obj_main COLLATE utf8mb4_general_ci");

  // A procedure written under ANSI_QUOTES by a latin1 client.
  s.execute(
      "SET SESSION sql_mode = 'ANSI_QUOTES,STRICT_ALL_TABLES', character_set_client = latin1, "
      "collation_connection = latin1_swedish_ci");
  s.execute(R"sql(CREATE PROCEDURE "add_order"(IN p_id INT, IN p_amount DECIMAL(10,2))
MODIFIES SQL DATA
COMMENT 'adds an "order"'
BEGIN
  -- a comment with `backticks` and 'quotes'
  INSERT INTO "orders" ("id", "amount", "note")
    VALUES (p_id, p_amount, CONCAT('via "add_order": it''s ', 'a\\b\tc é'));
END)sql");
  s.execute(put_back);

  // Views, created so that name order differs from dependency order; one calls the
  // stored function.
  run_all(s, {
      "CREATE VIEW z_base AS SELECT id, amount FROM orders",
      "CREATE VIEW m_mid AS SELECT id, amount * 2 AS dbl FROM z_base",
      "CREATE VIEW a_top AS SELECT m.id, m.dbl + 1 AS x, z.amount FROM m_mid m "
      "JOIN z_base z ON z.id = m.id",
      "CREATE ALGORITHM=MERGE DEFINER=`root`@`localhost` SQL SECURITY INVOKER VIEW b_inv AS "
      "SELECT id, note FROM orders WHERE amount > 1 WITH CASCADED CHECK OPTION",
      "CREATE VIEW c_fn AS SELECT id, fmt_amount(amount) AS shown FROM orders",
  });

  // Triggers: three on orders BEFORE INSERT, ordered with PRECEDES/FOLLOWS so that
  // their firing order differs from their name and creation order.
  run_all(s, {
      "CREATE TRIGGER trg_first BEFORE INSERT ON orders FOR EACH ROW "
      "INSERT INTO audit (order_id, what) VALUES (NEW.id, 'first')",
      "CREATE TRIGGER trg_second BEFORE INSERT ON orders FOR EACH ROW PRECEDES trg_first "
      "INSERT INTO audit (order_id, what) VALUES (NEW.id, 'second')",
      "CREATE TRIGGER trg_third BEFORE INSERT ON orders FOR EACH ROW FOLLOWS trg_second "
      "INSERT INTO audit (order_id, what) VALUES (NEW.id, 'third')",
      "CREATE TRIGGER trg_count AFTER INSERT ON orders FOR EACH ROW "
      "UPDATE counters SET n = n + 1 WHERE name = 'orders'",
  });
  s.execute("SET SESSION sql_mode = 'ANSI_QUOTES'");
  s.execute(R"sql(CREATE TRIGGER "trg_upd" BEFORE UPDATE ON "orders" FOR EACH ROW
SET NEW."note" = CONCAT(COALESCE(OLD."note", ''), '*'))sql");
  s.execute(put_back);

  // An event written in another time zone; DISABLE, so it never runs.
  s.execute("SET SESSION time_zone = '+05:30', sql_mode = 'STRICT_ALL_TABLES'");
  s.execute(
      "CREATE EVENT ev_cleanup ON SCHEDULE EVERY 1 DAY STARTS '2031-01-01 03:00:00' "
      "ON COMPLETION PRESERVE DISABLE COMMENT 'nightly \"cleanup\"' "
      "DO DELETE FROM audit WHERE id < 0");
  s.execute(put_back);

  // Rows that go through the triggers and the procedure.
  run_all(s, {
      "INSERT INTO orders VALUES (4, 5.00, 'after triggers'), (5, 7.25, 'é 安徽')",
      "CALL add_order(6, 3.00)",
      "UPDATE orders SET amount = amount + 1 WHERE id = 1",
  });
}

Rows query(Session& s, const std::string& sql) { return s.query(sql).rows; }

std::vector<std::string> column0(Session& s, const std::string& sql) {
  std::vector<std::string> out;
  for (const auto& row : query(s, sql)) out.push_back(row.at(0).value_or(""));
  return out;
}

// Everything about the objects that a restore must bring back.
struct ObjectsState {
  std::map<std::string, std::vector<std::string>> shows;  // "VIEW a_top" -> SHOW CREATE
  Rows trigger_order;
  Rows events;
  std::map<std::string, Rows> results;  // queries through the views and the function
};

// Read on a fresh session: SHOW CREATE VIEW depends on the session's default database.
ObjectsState capture_objects() {
  auto session = sandbox_session();
  Session& s = *session;
  ObjectsState st;
  std::string q = quote_string(kDb);
  st.shows = object_definitions(s, kDb);
  st.trigger_order = query(
      s, fmt::format("SELECT EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER, "
                     "TRIGGER_NAME, SQL_MODE, DEFINER FROM information_schema.TRIGGERS "
                     "WHERE TRIGGER_SCHEMA = {} ORDER BY 1, 2, 3, 4",
                     q));
  st.events = query(s, fmt::format("SELECT EVENT_NAME, STATUS, TIME_ZONE, INTERVAL_VALUE, "
                                   "INTERVAL_FIELD, STARTS, ON_COMPLETION, SQL_MODE, DEFINER, "
                                   "EVENT_COMMENT FROM information_schema.EVENTS "
                                   "WHERE EVENT_SCHEMA = {} ORDER BY EVENT_NAME",
                                   q));
  for (const char* sql : {"SELECT * FROM obj_main.a_top ORDER BY id",
                          "SELECT * FROM obj_main.b_inv ORDER BY id",
                          "SELECT * FROM obj_main.c_fn ORDER BY id",
                          "SELECT obj_main.fmt_amount(1.5)",
                          "SELECT * FROM obj_main.audit ORDER BY id",
                          "SELECT * FROM obj_main.counters"})
    st.results[sql] = query(s, sql);
  return st;
}

void require_same_objects(const ObjectsState& a, const ObjectsState& b) {
  std::vector<std::string> an, bn;
  for (const auto& [k, v] : a.shows) an.push_back(k);
  for (const auto& [k, v] : b.shows) bn.push_back(k);
  REQUIRE(an == bn);
  for (const auto& [k, v] : a.shows) {
    INFO(k);
    CHECK(v == b.shows.at(k));
  }
  CHECK(a.trigger_order == b.trigger_order);
  CHECK(a.events == b.events);
  for (const auto& [k, v] : a.results) {
    INFO(k);
    CHECK(v == b.results.at(k));
  }
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  REQUIRE(out);
}

// Rewrites the archive's manifest with `edit` applied and DONE updated to match, as a
// faulty dump would have written it.
template <class F>
void edit_manifest(const std::string& archive, F edit) {
  std::string path = archive + "/manifest.json";
  auto j = nlohmann::ordered_json::parse(read_file(path));
  edit(j);
  std::string text = j.dump(1, '\t') + "\n";
  write_file(path, text);
  auto done = nlohmann::ordered_json::parse(read_file(archive + "/DONE"));
  done["manifest_size"] = text.size();
  done["manifest_sha256"] = to_hex(Sha256::of(text));
  write_file(archive + "/DONE", done.dump() + "\n");
}

DumpOptions dump_options(const std::string& tag) {
  DumpOptions d;
  d.connection = sandbox_connection();
  d.databases = {kDb};
  d.output = fresh_path(tag);
  d.threads = 2;
  return d;
}

RestoreOptions restore_options(const std::string& archive) {
  RestoreOptions r;
  r.connection = sandbox_connection();
  r.archive = archive;
  return r;
}

}  // namespace

TEST_CASE("views, routines, triggers and events round-trip exactly", "[objects]") {
  auto s = sandbox_session();
  make_objects_database(*s);
  DatabaseState tables = capture(*s, kDb);
  ObjectsState objects = capture_objects();
  REQUIRE(objects.shows.size() == 5 + 2 + 5 + 1);
  // The source fired its triggers: 1 row by hand + 3 per inserted order (3 orders).
  REQUIRE(query(*s, "SELECT COUNT(*) FROM obj_main.audit").at(0).at(0) == "10");
  std::optional<std::string> audit_checksum =
      query(*s, "CHECKSUM TABLE obj_main.audit").at(0).at(1);

  DumpOptions d = dump_options("objects");
  dump(d);

  // The archive: views in dependency order (ties by name), triggers in firing order.
  Manifest m = Manifest::from_json(read_file(d.output + "/manifest.json"));
  REQUIRE(m.databases.size() == 1);
  const DatabaseObjects& o = m.databases[0].objects;
  std::vector<std::string> views, triggers, routines;
  for (const auto& v : o.views) views.push_back(v.name);
  for (const auto& t : o.triggers) triggers.push_back(t.name);
  for (const auto& r : o.routines) routines.push_back(r.type + " " + r.name);
  CHECK(views == std::vector<std::string>{"b_inv", "c_fn", "z_base", "m_mid", "a_top"});
  CHECK(triggers ==
        std::vector<std::string>{"trg_count", "trg_second", "trg_third", "trg_first", "trg_upd"});
  CHECK(routines == std::vector<std::string>{"FUNCTION fmt_amount", "PROCEDURE add_order"});
  REQUIRE(o.events.size() == 1);
  CHECK(o.events[0].time_zone == "+05:30");
  CHECK(o.routines[0].sql_mode == "PIPES_AS_CONCAT,NO_BACKSLASH_ESCAPES");
  CHECK(o.routines[0].database_collation == "utf8mb4_unicode_ci");
  CHECK(o.routines[1].character_set_client == "latin1");
  std::vector<std::string> tables_in_archive;  // views are not tables
  for (const auto& t : m.databases[0].tables) tables_in_archive.push_back(t.def.name);
  CHECK(tables_in_archive == std::vector<std::string>{"audit", "counters", "orders"});

  s->execute("DROP DATABASE obj_main");
  restore(restore_options(d.output));

  require_same(tables, capture(*s, kDb));
  require_same_objects(objects, capture_objects());
  // No trigger fired during the load.
  CHECK(query(*s, "SELECT COUNT(*) FROM obj_main.audit").at(0).at(0) == "10");
  CHECK(query(*s, "CHECKSUM TABLE obj_main.audit").at(0).at(1) == audit_checksum);
  CHECK(query(*s, "SELECT n FROM obj_main.counters").at(0).at(0) == "3");
  // The restore session's settings did not leak into the database's collation.
  CHECK(query(*s, "SELECT DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE "
                  "SCHEMA_NAME = 'obj_main'")
            .at(0)
            .at(0) == "utf8mb4_general_ci");

  // The restored triggers and procedure work, in the same order, as in the source.
  s->execute("CALL obj_main.add_order(7, 2.00)");
  CHECK(column0(*s, "SELECT what FROM obj_main.audit WHERE order_id = 7 ORDER BY id") ==
        std::vector<std::string>{"second", "third", "first"});
  CHECK(query(*s, "SELECT note FROM obj_main.orders WHERE id = 7").at(0).at(0) ==
        query(*s, "SELECT note FROM obj_main.orders WHERE id = 6").at(0).at(0));
}

TEST_CASE("restoring over a database with objects replaces them", "[objects]") {
  auto s = sandbox_session();
  make_objects_database(*s);
  ObjectsState objects = capture_objects();
  DumpOptions d = dump_options("objects-over");
  dump(d);
  run_all(*s, {
      "DROP VIEW obj_main.a_top",
      "CREATE OR REPLACE VIEW obj_main.m_mid AS SELECT 1 AS id, 2 AS dbl",
      "DROP TRIGGER obj_main.trg_third",
      "CREATE TRIGGER obj_main.trg_extra AFTER DELETE ON obj_main.orders FOR EACH ROW SET @x = 1",
      "DROP FUNCTION obj_main.fmt_amount",
      "CREATE PROCEDURE obj_main.extra() SELECT 1",
      "ALTER EVENT obj_main.ev_cleanup ON SCHEDULE EVERY 2 HOUR",
      "INSERT INTO obj_main.orders VALUES (99, 1, 'new')",
  });
  restore(restore_options(d.output));
  require_same_objects(objects, capture_objects());
}

TEST_CASE("dumping without triggers leaves them out", "[objects]") {
  auto s = sandbox_session();
  make_objects_database(*s);
  DumpOptions d = dump_options("objects-notrig");
  d.triggers = false;
  dump(d);
  Manifest m = Manifest::from_json(read_file(d.output + "/manifest.json"));
  const DatabaseObjects& o = m.databases.at(0).objects;
  CHECK(o.triggers.empty());
  CHECK(o.views.size() == 5);
  CHECK(o.routines.size() == 2);
  CHECK(o.events.size() == 1);
}

TEST_CASE("an object that cannot be created fails the restore naming it", "[objects]") {
  auto s = sandbox_session();
  make_objects_database(*s);
  DumpOptions d = dump_options("objects-bad");
  dump(d);
  std::string pristine_manifest = read_file(d.output + "/manifest.json");
  std::string pristine_done = read_file(d.output + "/DONE");
  auto expect_failure = [&](auto edit, const std::string& names) {
    write_file(d.output + "/manifest.json", pristine_manifest);
    write_file(d.output + "/DONE", pristine_done);
    edit_manifest(d.output, edit);
    std::filesystem::remove(d.output + ".restore-journal");
    try {
      restore(restore_options(d.output));
      FAIL("the restore succeeded");
    } catch (const Error& e) {
      INFO(e.what());
      CHECK(e.code() == Errc::server);
      CHECK(std::string(e.what()).find(names) != std::string::npos);
    }
    std::filesystem::remove(d.output + ".restore-journal");
  };
  expect_failure(
      [](auto& j) {
        for (auto& v : j["databases"][0]["views"])
          if (v["name"] == "m_mid")
            v["create_sql"] = "CREATE VIEW `obj_main`.`m_mid` AS SELECT * FROM no_such_table";
      },
      "view obj_main.m_mid");
  expect_failure(
      [](auto& j) { j["databases"][0]["routines"][0]["sql_mode"] = "NO_SUCH_MODE"; },
      "function obj_main.fmt_amount");
  expect_failure(
      [](auto& j) { j["databases"][0]["events"][0]["time_zone"] = "Nowhere/Atlantis"; },
      "event obj_main.ev_cleanup");
  expect_failure(
      [](auto& j) {
        j["databases"][0]["triggers"][1]["create_sql"] =
            "CREATE TRIGGER trg_second BEFORE INSERT ON orders FOR EACH ROW BEGIN oops END";
      },
      "trigger obj_main.trg_second");
}

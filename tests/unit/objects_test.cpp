// Database objects without a server: the view dependency order, the FOLLOWS/PRECEDES
// clause of a trigger, and the objects' round trip through the manifest.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "archive/manifest.h"
#include "archive_test_support.h"
#include "catalog/catalog.h"
#include "catalog/objects.h"
#include "omsbackup/error.h"
#include "sql/object_rewrite.h"
#include "restore/objects.h"
#include "restore/staging.h"

using namespace omsbackup;

namespace {

// A creation context: sql_mode, character_set_client, collation_connection, database
// collation.
CreationContext context(const std::string& sql_mode, const std::string& charset,
                        const std::string& collation, const std::string& db_collation = "") {
  CreationContext c;
  c.sql_mode = sql_mode;
  c.character_set_client = charset;
  c.collation_connection = collation;
  c.database_collation = db_collation;
  return c;
}

// A view as SHOW CREATE VIEW writes it without a default database.
ViewDef view(const std::string& name, const std::string& select) {
  std::string q = "`";
  for (char c : name) {
    if (c == '`') q += '`';
    q += c;
  }
  q += '`';
  return ViewDef{context("", "utf8mb4", "utf8mb4_general_ci"), name,
                 "CREATE ALGORITHM=UNDEFINED DEFINER=`root`@`localhost` SQL SECURITY DEFINER "
                 "VIEW `db`." + q + " AS " + select};
}

std::vector<std::string> names(const std::vector<ViewDef>& views) {
  std::vector<std::string> out;
  for (const auto& v : views) out.push_back(v.name);
  return out;
}

using Names = std::vector<std::string>;

}  // namespace

TEST_CASE("view references: plain, qualified, and what is not a reference", "[objects]") {
  Names all{"v", "v1", "v10", "a`b", "f"};
  CHECK(view_references("select `v1`.`x` AS `x` from `v1`", "db", all) == Names{"v1"});
  CHECK(view_references("select `db`.`v10`.`x` AS `x` from `db`.`v10`", "db", all) ==
        Names{"v10"});
  // Another database's view of the same name is not ours.
  CHECK(view_references("select `o`.`v1`.`x` AS `x` from `o`.`v1`", "db", all).empty());
  // Aliases, function calls, strings, comments and user@host are not references.
  CHECK(view_references("select `t`.`v` AS `v1`, `db`.`f`(1) AS `y`, 'from `v10`' AS `s` "
                        "/* `v` */ from `t` where `t`.`u` = `v`@`h`",
                        "db", all)
            .empty());
  CHECK(view_references("select 1 AS `x` from `a``b` join `db`.`v`", "db", all) ==
        Names{"a`b", "v"});
  // The header (definer, the view's own name) is not part of the definition.
  CHECK(view_references("CREATE DEFINER=`v1`@`%` VIEW `db`.`v10` AS select 1 AS `v`", "db", all,
                        "v10")
            .empty());
  // The view itself is never its own dependency.
  CHECK(view_references("select `v1`.`x` from `v1`", "db", all, "v1").empty());
}

TEST_CASE("views are ordered after the views they use, ties by name", "[objects]") {
  SECTION("a chain whose name order is the reverse of its dependency order") {
    std::vector<ViewDef> v{view("a_top", "select `m_mid`.`x` AS `x` from `db`.`m_mid`"),
                           view("m_mid", "select `z_base`.`x` AS `x` from `db`.`z_base`"),
                           view("z_base", "select `db`.`t`.`x` AS `x` from `db`.`t`")};
    CHECK(names(order_views("db", v)) == Names{"z_base", "m_mid", "a_top"});
  }
  SECTION("a diamond, and independent views in name order") {
    std::vector<ViewDef> v{
        view("a1", "select `x`.`k` AS `k` from (`db`.`x` join `db`.`y`)"),
        view("y", "select `z`.`k` AS `k` from `db`.`z`"),
        view("x", "select `z`.`k` AS `k` from `db`.`z`"),
        view("z", "select `db`.`t`.`k` AS `k` from `db`.`t`"),
        view("b_free", "select 1 AS `k`"),
    };
    CHECK(names(order_views("db", v)) == Names{"b_free", "z", "x", "y", "a1"});
  }
  SECTION("names that are prefixes of each other") {
    std::vector<ViewDef> v{view("v1", "select `v10`.`c` AS `c` from `db`.`v10`"),
                           view("v10", "select `v`.`c` AS `c` from `db`.`v`"),
                           // names v10 only as a column and an alias: not a use
                           view("v", "select `db`.`t`.`v10` AS `v10`,`db`.`t`.`c` AS `c` "
                                     "from `db`.`t`")};
    CHECK(names(order_views("db", v)) == Names{"v", "v10", "v1"});
  }
  SECTION("backticks in names") {
    std::vector<ViewDef> v{view("a`b", "select `c``d`.`k` AS `k` from `db`.`c``d`"),
                           view("c`d", "select 1 AS `k`"),
                           view("a", "select `a``b`.`k` AS `k` from `db`.`a``b`")};
    CHECK(names(order_views("db", v)) == Names{"c`d", "a`b", "a"});
  }
  SECTION("no views") { CHECK(order_views("db", {}).empty()); }
}

TEST_CASE("views that use each other in a cycle are an error naming them", "[objects]") {
  std::vector<ViewDef> v{view("v0", "select 1 AS `k`"),
                         view("v1", "select `v2`.`k` AS `k` from `db`.`v2`"),
                         view("v2", "select `v3`.`k` AS `k` from `db`.`v3`"),
                         view("v3", "select `v1`.`k` AS `k` from `db`.`v1`"),
                         view("v4", "select `v1`.`k` AS `k` from `db`.`v1`")};
  try {
    order_views("db", v);
    FAIL("a cycle was ordered");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::unsupported);
    CHECK(e.object() == "db.v1");
    std::string what = e.what();
    CHECK(what.find("db.v1 -> db.v2 -> db.v3 -> db.v1") != std::string::npos);
    CHECK(what.find("db.v4") != std::string::npos);  // stuck behind the cycle
    CHECK(what.find("db.v0") == std::string::npos);
  }
}

TEST_CASE("--rename requalifies the database part of names, and only that", "[objects][rename]") {
  auto r = [](std::string_view sql, std::string_view mode = {}) {
    return rename_database_references(sql, "rm", "new`db", mode);
  };
  // Qualified names, quoted or not, with blanks around the dot.
  CHECK(r("SELECT `rm`.`t`.`a` FROM `rm`.`t`") == "SELECT `new``db`.`t`.`a` FROM `new``db`.`t`");
  CHECK(r("INSERT INTO rm.log VALUES (1)") == "INSERT INTO `new``db`.log VALUES (1)");
  CHECK(r("SELECT * FROM `rm` . `t`") == "SELECT * FROM `new``db` . `t`");
  // A table named like the database: only the first part is the database.
  CHECK(r("SELECT `rm`.`rm`.`a` FROM `rm`.`rm`") == "SELECT `new``db`.`rm`.`a` FROM `new``db`.`rm`");
  CHECK(r("SELECT `x`.`rm`.`a`") == "SELECT `x`.`rm`.`a`");
  // Another database whose quoted name ends like this one; strings; comments; alone.
  CHECK(r("SELECT * FROM `a``rm`.`t`") == "SELECT * FROM `a``rm`.`t`");
  CHECK(r("SELECT '`rm`.x', \"rm.t\" /* `rm`.`t` */ -- rm.t\n FROM t") ==
        "SELECT '`rm`.x', \"rm.t\" /* `rm`.`t` */ -- rm.t\n FROM t");
  CHECK(r("SELECT `rm` FROM rm2.t WHERE 1.5 > rmx.a") == "SELECT `rm` FROM rm2.t WHERE 1.5 > rmx.a");
  // A trigger's NEW and OLD rows, even in a database named new.
  CHECK(rename_database_references("SET NEW.a = OLD.a + new.b, x = `new`.t.c", "new", "n2") ==
        "SET NEW.a = OLD.a + new.b, x = `n2`.t.c");
  // Quotes as the object's sql_mode reads them.
  CHECK(r("SELECT \"rm\".t", "ANSI_QUOTES") == "SELECT `new``db`.t");
  CHECK(r("SELECT 'a\\', `rm`.t", "NO_BACKSLASH_ESCAPES") == "SELECT 'a\\', `new``db`.t");
  CHECK(r("SELECT 'a\\', `rm`.t") == "SELECT 'a\\', `rm`.t");  // still inside the string
}

TEST_CASE("a trigger's FOLLOWS/PRECEDES clause is found and left out on restore", "[objects]") {
  TriggerDef t{context("", "utf8mb4", "utf8mb4_general_ci", "utf8mb4_general_ci"), "t2", "orders",
               "CREATE DEFINER=`root`@`%` TRIGGER `t2` BEFORE INSERT ON `orders` FOR EACH ROW "
               "PRECEDES `t1` INSERT INTO log VALUES ('for each row follows x')"};
  auto clause = trigger_order_clause(t.create_sql);
  REQUIRE(clause);
  CHECK(t.create_sql.substr(clause->first, clause->second - clause->first) == "PRECEDES `t1`");
  CHECK(trigger_restore_statement(t) ==
        "CREATE DEFINER=`root`@`%` TRIGGER `t2` BEFORE INSERT ON `orders` FOR EACH ROW "
        "INSERT INTO log VALUES ('for each row follows x')");
  // Under ANSI_QUOTES a double-quoted name is an identifier.
  t.create_sql = "CREATE TRIGGER t3 AFTER UPDATE ON o for each row follows \"t 1\" SET @x = 1";
  t.sql_mode = "ANSI_QUOTES,STRICT_TRANS_TABLES";
  CHECK(trigger_restore_statement(t) == "CREATE TRIGGER t3 AFTER UPDATE ON o for each row SET @x = 1");
  // Without a clause the statement is kept byte for byte; the words inside strings do not count.
  t.create_sql = "CREATE TRIGGER t4 BEFORE DELETE ON o FOR EACH ROW SET @s = 'FOR EACH ROW FOLLOWS t1'";
  t.sql_mode = "";
  CHECK_FALSE(trigger_order_clause(t.create_sql));
  CHECK(trigger_restore_statement(t) == t.create_sql);
}

namespace {

Manifest manifest_with_objects() {
  Manifest m = test::test_manifest();
  DatabaseEntry d;
  d.name = "obj_db";
  d.charset = "utf8mb4";
  d.collation = "utf8mb4_unicode_ci";
  d.create_sql = "CREATE DATABASE `obj_db`";
  TableEntry t;
  t.def.name = "orders";
  t.def.create_sql = "CREATE TABLE `orders` (`id` int)";
  t.def.columns.push_back(ColumnDef{"id", "int", "int(11)", false, false});
  d.tables.push_back(t);
  d.objects.views.push_back(ViewDef{context("", "utf8mb4", "utf8mb4_general_ci"), "v`1",
                                    "CREATE ALGORITHM=MERGE DEFINER=`a`@`%` SQL SECURITY INVOKER "
                                    "VIEW `obj_db`.`v``1` AS select 'it''s \\\\ \"q\"\t\n安徽' AS `s`"});
  d.objects.views.push_back(ViewDef{context("", "latin1", "latin1_swedish_ci"), "v2",
                                    "CREATE VIEW `v2` AS select 1"});
  d.objects.routines.push_back(RoutineDef{context("PIPES_AS_CONCAT,NO_BACKSLASH_ESCAPES", "utf8mb4",
                                                  "utf8mb4_general_ci", "utf8mb4_unicode_ci"),
                                          "FUNCTION", "f", "CREATE FUNCTION f() RETURNS int RETURN 1"});
  d.objects.routines.push_back(RoutineDef{context("", "latin1", "latin1_swedish_ci", "latin1_swedish_ci"),
                                          "PROCEDURE", "f", "CREATE PROCEDURE f() BEGIN END"});
  d.objects.routines.push_back(RoutineDef{context("PIPES_AS_CONCAT,ANSI_QUOTES,IGNORE_SPACE,ORACLE",
                                                  "utf8mb4", "utf8mb4_general_ci", "utf8mb4_unicode_ci"),
                                          "PACKAGE", "pkg",
                                          "CREATE DEFINER=\"root\"@\"%\" PACKAGE \"pkg\" AS\n"
                                          "  FUNCTION f RETURN INT;\nEND"});
  d.objects.routines.push_back(RoutineDef{context("PIPES_AS_CONCAT,ANSI_QUOTES,IGNORE_SPACE,ORACLE",
                                                  "utf8mb4", "utf8mb4_general_ci", "utf8mb4_unicode_ci"),
                                          "PACKAGE BODY", "pkg",
                                          "CREATE DEFINER=\"root\"@\"%\" PACKAGE BODY \"pkg\" AS\n"
                                          "  n INT := 1;\n"
                                          "  FUNCTION f RETURN INT AS BEGIN RETURN n; END;\nEND"});
  d.objects.triggers.push_back(TriggerDef{context("ANSI_QUOTES", "utf8mb4", "utf8mb4_general_ci",
                                                  "utf8mb4_unicode_ci"),
                                          "tr", "orders", "CREATE TRIGGER tr ..."});
  d.objects.events.push_back(EventDef{context("STRICT_ALL_TABLES", "utf8mb4", "utf8mb4_general_ci",
                                              "utf8mb4_unicode_ci"),
                                      "ev", "CREATE EVENT ev ON SCHEDULE EVERY 1 DAY DISABLE DO SELECT 1",
                                      "+05:30"});
  m.databases.push_back(d);
  return m;
}

void require_same_objects(const DatabaseObjects& a, const DatabaseObjects& b) {
  REQUIRE(a.views.size() == b.views.size());
  for (std::size_t i = 0; i < a.views.size(); ++i) {
    CHECK(a.views[i].name == b.views[i].name);
    CHECK(a.views[i].create_sql == b.views[i].create_sql);
    CHECK(a.views[i].character_set_client == b.views[i].character_set_client);
    CHECK(a.views[i].collation_connection == b.views[i].collation_connection);
  }
  REQUIRE(a.routines.size() == b.routines.size());
  for (std::size_t i = 0; i < a.routines.size(); ++i) {
    const auto &x = a.routines[i], &y = b.routines[i];
    CHECK(x.type == y.type);
    CHECK(x.name == y.name);
    CHECK(x.create_sql == y.create_sql);
    CHECK(x.sql_mode == y.sql_mode);
    CHECK(x.character_set_client == y.character_set_client);
    CHECK(x.collation_connection == y.collation_connection);
    CHECK(x.database_collation == y.database_collation);
  }
  REQUIRE(a.triggers.size() == b.triggers.size());
  for (std::size_t i = 0; i < a.triggers.size(); ++i) {
    const auto &x = a.triggers[i], &y = b.triggers[i];
    CHECK(x.name == y.name);
    CHECK(x.table == y.table);
    CHECK(x.create_sql == y.create_sql);
    CHECK(x.sql_mode == y.sql_mode);
    CHECK(x.character_set_client == y.character_set_client);
    CHECK(x.collation_connection == y.collation_connection);
    CHECK(x.database_collation == y.database_collation);
  }
  REQUIRE(a.events.size() == b.events.size());
  for (std::size_t i = 0; i < a.events.size(); ++i) {
    const auto &x = a.events[i], &y = b.events[i];
    CHECK(x.name == y.name);
    CHECK(x.create_sql == y.create_sql);
    CHECK(x.sql_mode == y.sql_mode);
    CHECK(x.time_zone == y.time_zone);
    CHECK(x.character_set_client == y.character_set_client);
    CHECK(x.collation_connection == y.collation_connection);
    CHECK(x.database_collation == y.database_collation);
  }
}

// The manifest's JSON with `edit` applied to its first database.
template <class F>
std::string edited(const Manifest& m, F edit) {
  auto j = nlohmann::ordered_json::parse(m.to_json());
  edit(j["databases"][0]);
  return j.dump();
}

std::string corrupt_message(const std::string& text) {
  try {
    Manifest::from_json(text);
  } catch (const Error& e) {
    CHECK(e.code() == Errc::corrupt_archive);
    return e.what();
  }
  FAIL("the manifest was accepted");
  return {};
}

}  // namespace

TEST_CASE("a database's objects round-trip through the manifest", "[objects][manifest]") {
  Manifest m = manifest_with_objects();
  std::string text = m.to_json();
  Manifest back = Manifest::from_json(text);
  REQUIRE(back.databases.size() == 1);
  require_same_objects(m.databases[0].objects, back.databases[0].objects);
  CHECK(back.to_json() == text);

  // Exactly the documented keys, in the documented places.
  auto j = nlohmann::ordered_json::parse(text);
  const auto& d = j["databases"][0];
  auto keys = [](const nlohmann::ordered_json& o) {
    std::vector<std::string> k;
    for (const auto& [key, v] : o.items()) k.push_back(key);
    return k;
  };
  CHECK(keys(d["views"][0]) ==
        Names{"name", "create_sql", "character_set_client", "collation_connection"});
  CHECK(keys(d["routines"][0]) == Names{"type", "name", "create_sql", "sql_mode",
                                        "character_set_client", "collation_connection",
                                        "database_collation"});
  CHECK(keys(d["triggers"][0]) == Names{"name", "table", "create_sql", "sql_mode",
                                        "character_set_client", "collation_connection",
                                        "database_collation"});
  CHECK(keys(d["events"][0]) == Names{"name", "create_sql", "sql_mode", "time_zone",
                                      "character_set_client", "collation_connection",
                                      "database_collation"});
}

TEST_CASE("a manifest without object arrays has no objects", "[objects][manifest]") {
  Manifest m = manifest_with_objects();
  std::string text = edited(m, [](auto& d) {
    d.erase("views");
    d.erase("routines");
    d.erase("triggers");
    d.erase("events");
  });
  Manifest back = Manifest::from_json(text);
  const auto& o = back.databases.at(0).objects;
  CHECK(o.views.empty());
  CHECK(o.routines.empty());
  CHECK(o.triggers.empty());
  CHECK(o.events.empty());
  CHECK(back.databases.at(0).tables.size() == 1);
}

TEST_CASE("bad object entries are refused naming the object and the key", "[objects][manifest]") {
  Manifest m = manifest_with_objects();
  CHECK_THAT(corrupt_message(edited(m, [](auto& d) { d["views"] = "x"; })),
             Catch::Contains("database 'obj_db'.views is not an array"));
  CHECK_THAT(corrupt_message(edited(m, [](auto& d) { d["views"][1].erase("create_sql"); })),
             Catch::Contains("view 'obj_db.v2' has no 'create_sql'"));
  CHECK_THAT(corrupt_message(edited(m, [](auto& d) { d["views"][0]["name"] = 7; })),
             Catch::Contains("name is not a string"));
  CHECK_THAT(corrupt_message(edited(m, [](auto& d) { d["routines"][0]["type"] = "LIBRARY"; })),
             Catch::Contains("routine 'obj_db.f'.type is 'LIBRARY', not PROCEDURE, FUNCTION, "
                             "PACKAGE or PACKAGE BODY"));
  // A package body needs its package (the server cannot have one without it).
  CHECK_THAT(corrupt_message(edited(m, [](auto& d) { d["routines"].erase(2); })),
             Catch::Contains("routine 'obj_db.pkg' is a PACKAGE BODY without its PACKAGE"));
  CHECK_THAT(corrupt_message(edited(m, [](auto& d) { d["routines"][3]["type"] = "PACKAGE"; })),
             Catch::Contains("routines lists 'PACKAGE pkg' twice"));
  CHECK_THAT(
      corrupt_message(edited(m, [](auto& d) { d["routines"][1]["sql_mode"] = nullptr; })),
      Catch::Contains("routine 'obj_db.f'.sql_mode is not a string"));
  CHECK_THAT(corrupt_message(edited(m, [](auto& d) { d["triggers"][0].erase("table"); })),
             Catch::Contains("trigger 'obj_db.tr' has no 'table'"));
  CHECK_THAT(corrupt_message(edited(m, [](auto& d) { d["triggers"][0]["name"] = ""; })),
             Catch::Contains("a trigger with an empty name"));
  CHECK_THAT(corrupt_message(edited(m, [](auto& d) { d["events"][0].erase("time_zone"); })),
             Catch::Contains("event 'obj_db.ev' has no 'time_zone'"));
  CHECK_THAT(corrupt_message(edited(m, [](auto& d) { d["events"][0]["create_sql"] = ""; })),
             Catch::Contains("event 'obj_db.ev'.create_sql is empty"));
  CHECK_THAT(corrupt_message(edited(m, [](auto& d) { d["views"][1]["name"] = "v`1"; })),
             Catch::Contains("views lists 'v`1' twice"));
  // A procedure and a function may share a name (both are "f" above).
  CHECK_NOTHROW(Manifest::from_json(m.to_json()));
}

TEST_CASE("the four routine types are known, others are not", "[objects]") {
  for (const char* t : {"PROCEDURE", "FUNCTION", "PACKAGE", "PACKAGE BODY"}) CHECK(is_routine_type(t));
  for (const char* t : {"", "procedure", "LIBRARY", "PACKAGE  BODY", "TRIGGER"})
    CHECK_FALSE(is_routine_type(t));
}

TEST_CASE("a table whose rows are not its own round-trips through the manifest as ddl_only",
          "[objects][manifest]") {
  Manifest m = manifest_with_objects();
  TableEntry merge;
  merge.def.name = "all_parts";
  merge.def.create_sql = "CREATE TABLE `all_parts` (`id` int) ENGINE=MRG_MyISAM UNION=(`a`,`b`)";
  merge.def.columns.push_back(ColumnDef{"id", "int", "int(11)", false, false});
  merge.def.ddl_only = "merge";
  m.databases[0].tables.push_back(merge);
  std::string text = m.to_json();
  Manifest back = Manifest::from_json(text);
  REQUIRE(back.databases.at(0).tables.size() == 2);
  CHECK(back.databases[0].tables[0].def.ddl_only.empty());
  CHECK(back.databases[0].tables[1].def.ddl_only == "merge");
  CHECK(back.to_json() == text);
  // Written only for such a table: the others read as archives before it existed.
  auto j = nlohmann::ordered_json::parse(text);
  CHECK_FALSE(j["databases"][0]["tables"][0].contains("ddl_only"));
  CHECK(j["databases"][0]["tables"][1]["ddl_only"] == "merge");
  // No "chunks" key at all: a reader from before ddl_only refuses the archive (it requires
  // one) instead of expecting a chunk of the table.
  CHECK(j["databases"][0]["tables"][0].contains("chunks"));
  CHECK_FALSE(j["databases"][0]["tables"][1].contains("chunks"));
  CHECK_THAT(corrupt_message(edited(back, [](auto& d) { d["tables"][1].erase("ddl_only"); })),
             Catch::Contains("table 'obj_db.all_parts' has no 'chunks'"));

  auto edit_merge = [&](auto edit) {
    return edited(back, [&](auto& d) { edit(d["tables"][1]); });
  };
  CHECK_THAT(corrupt_message(edit_merge([](auto& t) { t["rows"] = 3; })),
             Catch::Contains("table 'obj_db.all_parts' is ddl_only ('merge') but has rows"));
  CHECK_THAT(corrupt_message(edit_merge([](auto& t) { t["chunk_key"].push_back("id"); })),
             Catch::Contains("is ddl_only ('merge') but has rows or a chunk key"));
  CHECK_THAT(corrupt_message(edit_merge([](auto& t) { t["chunks"] = nlohmann::ordered_json::array(); })),
             Catch::Contains("table 'obj_db.all_parts' is ddl_only but lists chunks"));
  CHECK_THAT(corrupt_message(edit_merge([](auto& t) { t["ddl_only"] = ""; })),
             Catch::Contains("table 'obj_db.all_parts'.ddl_only is empty"));
}

TEST_CASE("where two statements first differ, for the proof's message", "[objects]") {
  CHECK(first_difference("CREATE VIEW v AS select 1", "CREATE VIEW v AS select 1") == "");
  CHECK(first_difference("abc", "abd") ==
        "line 1, column 3: the archive has \"c\", the server \"d\"");
  CHECK(first_difference("BEGIN\n  SET x = 1;\nEND", "BEGIN\n  SET x = 2;\nEND") ==
        "line 2, column 11: the archive has \"1;\", the server \"2;\"");
  CHECK(first_difference("a\nb", "a\nbc") ==
        "line 2, column 2: the server's goes on with \"c\" where the archive's ends");
  CHECK(first_difference("a\nbc\nd", "a\nb") ==
        "line 2, column 2: the archive's goes on with \"c\" where the server's ends");
  CHECK(first_difference("x", "\nx") == "line 1, column 1: the archive has \"x\", the server \"\"");
  // The rest of a long line is cut to 80 bytes, not inside a UTF-8 character.
  std::string longer = "x" + std::string(78, 'a') + "\xc3\xa9" + std::string(10, 'b');
  std::string msg = first_difference(longer, "y");
  CHECK(msg == "line 1, column 1: the archive has \"x" + std::string(78, 'a') +
                   "...\", the server \"y\"");
}

TEST_CASE("engines whose rows are not the table's own are told apart", "[objects]") {
  CHECK(ddl_only_reason("MRG_MyISAM") == "merge");
  CHECK(ddl_only_reason("MRG_MYISAM") == "merge");
  CHECK(ddl_only_reason("FEDERATED") == "remote");
  CHECK(ddl_only_reason("SPIDER") == "remote");
  CHECK(ddl_only_reason("SPHINX") == "remote");
  CHECK(ddl_only_reason("BLACKHOLE") == "blackhole");
  for (const char* e : {"InnoDB", "MyISAM", "Aria", "MEMORY", "CSV", "ARCHIVE", "CONNECT", ""})
    CHECK(ddl_only_reason(e).empty());
  CHECK_THAT(unsupported_engine_reason("CONNECT"), Catch::StartsWith("ENGINE 'CONNECT'"));
  for (const char* e : {"InnoDB", "MRG_MyISAM", "FEDERATED", ""})
    CHECK(unsupported_engine_reason(e).empty());
}

TEST_CASE("a database's COMMENT is found in SHOW CREATE DATABASE and kept on restore",
          "[objects]") {
  const std::string charset = " /*!40100 DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci */";
  CHECK(database_comment("CREATE DATABASE `d`" + charset) == "");
  CHECK(database_comment("CREATE DATABASE `d`" + charset + " COMMENT 'it''s \\\\ \"q\"'") ==
        " COMMENT 'it''s \\\\ \"q\"'");
  // A name holding what the clause looks like is skipped whole.
  CHECK(database_comment("CREATE DATABASE `a */ COMMENT 'x' ``b`" + charset) == "");
  CHECK(database_comment("CREATE DATABASE `a */ COMMENT 'x' ``b`" + charset + " COMMENT 'y'") ==
        " COMMENT 'y'");
  // MySQL 8 writes a second versioned comment and has no database comments.
  CHECK(database_comment("CREATE DATABASE `d`" + charset + " /*!80016 DEFAULT ENCRYPTION='N' */") ==
        "");
  CHECK(database_comment("") == "");
  DatabaseEntry d;
  d.charset = "utf8mb4";
  d.collation = "utf8mb4_bin";
  d.create_sql = "CREATE DATABASE `d`" + charset + " COMMENT 'c'";
  CHECK(database_comment_literal(d) == "'c'");
  ServerInfo mariadb = ServerInfo::parse("10.11.6-MariaDB", "Debian");
  ServerInfo mysql = ServerInfo::parse("8.0.36", "MySQL Community Server - GPL");
  // On the server kind it came from: the archive's own statement, renamed.
  CHECK(create_database_sql("n", d, mariadb, "MariaDB") == "CREATE DATABASE `n`" + charset + " COMMENT 'c'");
  // Elsewhere: the options every server has (preflight refuses a comment MySQL cannot keep).
  CHECK(create_database_sql("n", d, mysql, "MariaDB") ==
        "CREATE DATABASE `n` CHARACTER SET `utf8mb4` COLLATE `utf8mb4_bin` COMMENT 'c'");
  d.create_sql = "CREATE DATABASE `d`" + charset;
  CHECK(create_database_sql("n", d, mysql, "MariaDB") ==
        "CREATE DATABASE `n` CHARACTER SET `utf8mb4` COLLATE `utf8mb4_bin`");
}

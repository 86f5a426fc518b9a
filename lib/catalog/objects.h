// A database's objects besides tables: views, stored procedures and functions,
// triggers and events, each with what the server needs to recreate it exactly.
// The strings are the server's bytes as read with character_set_results = binary.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace omsbackup {

class Session;

// The settings an object was created with, which recreating it exactly needs: SHOW
// CREATE gives them with the statement. SHOW CREATE VIEW gives only the client's character
// set and collation: a view's sql_mode and database_collation stay empty (the manifest
// does not hold them).
struct CreationContext {
  // Declared so that an object below is never brace-initialised positionally from its
  // first string on (that would fill these fields instead): give its context first.
  CreationContext() = default;

  std::string sql_mode;  // the sql_mode at creation
  std::string character_set_client, collation_connection;
  std::string database_collation;
};

struct ViewDef : CreationContext {
  std::string name;
  // SHOW CREATE VIEW (keeps DEFINER, SQL SECURITY, ALGORITHM, CHECK OPTION), read with
  // no default database: the names in it are qualified with the database.
  std::string create_sql;
};

struct RoutineDef : CreationContext {
  // PROCEDURE, FUNCTION (an AGGREGATE FUNCTION too), or MariaDB's PACKAGE and PACKAGE BODY
  // (Oracle mode: their sql_mode holds ORACLE, which creating them needs).
  std::string type;
  std::string name;
  // SHOW CREATE PROCEDURE / FUNCTION / PACKAGE / PACKAGE BODY: the statement as written
  std::string create_sql;
};

struct TriggerDef : CreationContext {
  std::string name;
  std::string table;  // the table it belongs to (same database)
  std::string create_sql;  // SHOW CREATE TRIGGER's "SQL Original Statement"
};

struct EventDef : CreationContext {
  std::string name;
  std::string create_sql;  // SHOW CREATE EVENT
  std::string time_zone;   // the time zone its schedule is written in
};

// The routine types read and restored: PROCEDURE, FUNCTION, PACKAGE, PACKAGE BODY.
bool is_routine_type(std::string_view type);

struct DatabaseObjects {
  std::vector<ViewDef> views;        // dependency order: a view after every view it uses
  // By type, then name: FUNCTION, PACKAGE, PACKAGE BODY, PROCEDURE (a package before
  // its body).
  std::vector<RoutineDef> routines;
  // By table, timing and event, each group in firing order (ACTION_ORDER): creating
  // them in this order, each appended last, reproduces the order.
  std::vector<TriggerDef> triggers;
  std::vector<EventDef> events;      // by name
};

// The objects' statements with the database part of every qualified name that is `from`
// written as `to` (sql/object_rewrite.h rename_database_references, each under its own
// sql_mode; a view's under the library's). Used by a restore into another name (--rename)
// and by omsdump --from-sql, whose scratch copy is archived under the file's own name
// (`keep_unquoted`: as rename_database_references).
void rename_database_in_objects(DatabaseObjects& objects, std::string_view from,
                                std::string_view to, bool keep_unquoted = false);

// Which kinds of object to read besides tables and views (views are always read).
struct CatalogOptions {
  bool triggers = true, routines = true, events = true;
};

// Reads the objects of database `db`. Throws Error naming the object (db.name) when its
// definition cannot be read, when views reference each other in a cycle, and
// Error(unsupported) for a routine of a type it does not know (is_routine_type), rather
// than leave it out.
//
// SHOW CREATE VIEW leaves the database out of a view's own name when the session's
// default database is the view's: read with no default database, or another one.
DatabaseObjects read_objects(Session& session, const std::string& db,
                             const CatalogOptions& options = {});

// The views among `view_names` (views of database `db`) that a view definition uses:
// `definition` is SHOW CREATE VIEW's statement or the bare SELECT (VIEW_DEFINITION).
// Backticked names are matched whole, plain (`v`) or qualified with `db` (`db`.`v`,
// `db`.`v`.`col`); names qualified with another database, column aliases (AS `x`),
// function names (`f`(...)) and user@host are not references. `self` is never
// returned. The result is sorted and without duplicates.
std::vector<std::string> view_references(std::string_view definition, const std::string& db,
                                         const std::vector<std::string>& view_names,
                                         const std::string& self = {});

// Orders the views of `db` so that each comes after every view it uses; views that do
// not depend on each other keep name order. Throws Error(unsupported) naming the views
// when they reference each other in a cycle.
std::vector<ViewDef> order_views(const std::string& db, std::vector<ViewDef> views);

}  // namespace omsbackup

// Recreating a database's views, routines, triggers and events from the archive.
// Each runs after every table of the database is loaded and proven; restore() calls
// them in the order routines, views, triggers, events (a view may call a stored
// function, so routines come first; triggers come after the data so that they never
// fire during the load).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "archive/manifest.h"

namespace omsbackup {

class Session;

// Each statement runs in the database (USE db) with the object's saved settings set
// first (SET SESSION sql_mode, character_set_client, collation_connection, and
// time_zone for events; the database's default collation is switched to the object's
// "database collation" when it differs) and the session's previous settings put back
// after, also when it fails. Failures throw Error naming the object (db.name).

// One object as the restore creates it: the statement, with the session settings and the
// database collation it is created under.
struct ObjectCreation {
  std::string what;  // "view db.v", for messages
  std::string sql;
  // `name = 'value'` assignments for one SET SESSION (character_set_client,
  // collation_connection, time_zone, sql_mode last: it may change how the statements after
  // it are read); empty: none.
  std::vector<std::string> settings;
  std::string database_collation;  // the database's collation while it is created ("": any)
};
enum class ObjectKind { routines, views, triggers, events };
// The objects of `db` of one kind, in the order the restore creates them (what the
// create_* functions below run; the SQL export writes the same).
std::vector<ObjectCreation> object_creations(const DatabaseEntry& db, ObjectKind kind);

// Views, in the archive's order (a view after every view it uses).
void create_views(Session& session, const DatabaseEntry& db);
// Stored procedures and functions.
void create_routines(Session& session, const DatabaseEntry& db);
// Triggers, in the archive's order, each appended after the triggers of its table,
// timing and event created before it: the firing order (ACTION_ORDER) comes back.
// A FOLLOWS/PRECEDES clause in a saved statement is left out for that reason. A
// trigger whose table is not among the archive's tables (left out of the dump) is
// skipped: it goes with its table.
void create_triggers(Session& session, const DatabaseEntry& db);
// Events, with the time zone their schedule was written in.
void create_events(Session& session, const DatabaseEntry& db);

// The statement that recreates a trigger: its saved statement without a
// FOLLOWS/PRECEDES clause.
std::string trigger_restore_statement(const TriggerDef& trigger);

// One difference between the archive's objects of a database and the server's.
struct ObjectFinding {
  enum What { missing, extra, changed, order };
  std::string kind;  // "view", "procedure", "function", "package", "package body", "trigger", "event"
  std::string name;
  What what = changed;
  // changed: which property and where ("its statement differs from the archive's at line
  // 2, column 5: ..."); order: the firing orders on both sides.
  std::string detail;
};

// Every difference between the views, routines, triggers and events of database
// `expected.name` on the server and `expected` (the archive's entry, retargeted for
// --rename), compared as prove_objects() says below, in the order it reports them. Leaves
// the session's default database at information_schema.
std::vector<ObjectFinding> compare_objects(Session& session, const DatabaseEntry& expected);

// The proof of a database's objects, once they are created: reads back the views,
// routines (packages included), triggers and events of database `expected.name` with the
// catalog's reader (read_objects) and compares them with `expected`, the archive's entry
// as it was created (retargeted for --rename: restore/staging.h retarget()). The same
// objects must be there, none more, each with the same statement (SHOW CREATE ...), the
// same sql_mode, character_set_client, collation_connection and database collation (and
// time zone for events, table for triggers), and the triggers of each table, timing and
// event in the same firing order. The one thing normalised is what the restore itself
// changes: a trigger is expected as trigger_restore_statement() made it (no
// FOLLOWS/PRECEDES; the server keeps none either). Triggers whose table is not among
// expected.tables were not created and are not expected.
//
// Throws Error(verify_failed, "db.name", ...) for the first object that is missing,
// extra or different, saying what differs (for a statement, its first differing line and
// column). A definition that differs on a server other than the archive's source (another
// flavour or version, which may write DDL differently) is appended to `warnings` instead;
// a missing or extra object is an error everywhere.
//
// Passes test point "restore.proving-objects" first, then compare_objects(). Leaves the session's default
// database at information_schema (SHOW CREATE VIEW leaves the database out of the name of
// a view of the default database).
void prove_objects(Session& session, const DatabaseEntry& expected, const Manifest& archive,
                   std::vector<std::string>& warnings);

// Where two statements first differ, for a message: "line L, column C: the archive has
// «...», the server «...»" (each side the rest of that line, cut to 80 characters), or
// which one is longer. "" when they are equal.
std::string first_difference(std::string_view archived, std::string_view restored);

}  // namespace omsbackup

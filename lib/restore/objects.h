// Recreating a database's views, routines, triggers and events from the archive.
// Each runs after every table of the database is loaded and proven; restore() calls
// them in the order routines, views, triggers, events (a view may call a stored
// function, so routines come first; triggers come after the data so that they never
// fire during the load).
#pragma once

#include <string>

#include "archive/manifest.h"

namespace omsbackup {

class Session;

// Each statement runs in the database (USE db) with the object's saved settings set
// first (SET SESSION sql_mode, character_set_client, collation_connection, and
// time_zone for events; the database's default collation is switched to the object's
// "database collation" when it differs) and the session's previous settings put back
// after, also when it fails. Failures throw Error naming the object (db.name).

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

}  // namespace omsbackup

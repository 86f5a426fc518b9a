// Staging and swap: a database is built under a staging name, proven, and only then
// swapped in with one atomic RENAME TABLE; the old tables wait in a third database
// until the new ones and their objects are in place.
#pragma once

#include <string>
#include <vector>

#include "archive/manifest.h"

namespace omsbackup {

class Session;

struct TargetNames {
  std::string name;   // the database that ends up holding the restored data
  std::string work;   // where the tables are built (== name with --in-place)
  std::string old;    // where the previous tables wait during the swap
};

// "<db>__omsb_stage" / "<db>__omsb_old", or a hashed short form when that would
// exceed the 64-character limit on database names.
TargetNames staging_names(const std::string& target, bool in_place);

bool database_exists(Session& s, const std::string& db);
// The base tables of `db`: what the swap moves to the old copy.
std::vector<std::string> base_tables(Session& s, const std::string& db);
// Its base tables and other table types (MariaDB's SEQUENCE, ...), not its views: what an
// in-place DROP DATABASE takes beyond what the archive brings back.
std::vector<std::string> non_view_tables(Session& s, const std::string& db);

// Drops the views, triggers, routines and events of `db` (they cannot move across
// databases and are recreated from the archive after the swap).
void drop_objects(Session& s, const std::string& db);

// Waits until no other connection holds a lock on a base table of `databases`
// (LOCK TABLES ... WRITE on all of them in one statement, released at once; at most
// lock_wait_timeout), so that the swap is unlikely to wait once it has begun, and a
// cancel or a timeout while it waits changes nothing. Other refusals (privileges, a
// trigger naming a missing table) are ignored: the swap itself waits then.
void wait_for_live_tables(Session& s, const std::vector<std::string>& databases);

// Moves every base table of names.name into names.old and every table of
// names.work into names.name with one RENAME TABLE statement (atomic), creating
// names.name with the archive's charset and collation if it does not exist.
void swap_in(Session& s, const TargetNames& names, const DatabaseEntry& db);

// The CREATE DATABASE statement for `name` with the archive's charset and collation.
std::string create_database_sql(const std::string& name, const DatabaseEntry& db);

// A copy of `db` for creating its objects in `target`: names qualified with the source
// database in the saved statements are requalified with `target`
// (rename_database_references).
DatabaseEntry retarget(const DatabaseEntry& db, const std::string& target);

}  // namespace omsbackup

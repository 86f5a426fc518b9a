// Staging and swap: a database is built under a staging name, proven, and only then
// swapped in with one atomic RENAME TABLE; the old tables wait in a third database
// until the new ones and their objects are in place.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "archive/manifest.h"
#include "sql/server_info.h"

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
// names.name with the archive's options (create_database_sql) if it does not exist, or
// giving the existing one the archive's charset, collation and comment.
void swap_in(Session& s, const TargetNames& names, const DatabaseEntry& db,
             const std::string& source_flavor);

// The CREATE DATABASE statement for `name`: the archive's own SHOW CREATE DATABASE text
// under the new name when `target` is the kind of server the archive came from
// (`source_flavor`, the manifest's server_flavor), else its charset and collation (and
// comment).
std::string create_database_sql(const std::string& name, const DatabaseEntry& db,
                                const ServerInfo& target, const std::string& source_flavor);
// What SHOW CREATE DATABASE of a restored `name` must read: the archive's, renamed.
std::string expected_create_database(const std::string& name, const DatabaseEntry& db);
// The archive's database COMMENT as the SQL string literal SHOW CREATE DATABASE printed
// ("" when it has none).
std::string database_comment_literal(const DatabaseEntry& db);
// MariaDB 10.5 and later keep a comment per database.
bool supports_database_comment(const ServerInfo& server);

// RENAME TABLE carries foreign keys along with the table they point at: once the swap
// has moved a live table into the old copy, every foreign key elsewhere that pointed at
// it points into the old copy. A foreign key found pointing into `from` from a table
// outside it (and outside `skip`), and how to point it at `to` again: two ALTER TABLE
// statements, since MariaDB will not drop and add one name in one statement.
struct ForeignKeyRepair {
  std::string schema, table, name;  // the table holding the foreign key
  std::string what;                 // for messages
  std::string drop_sql, add_sql;
};
std::vector<ForeignKeyRepair> foreign_keys_into(Session& s, const std::string& from,
                                                const std::string& to,
                                                const std::set<std::string>& skip);
bool foreign_key_exists(Session& s, const std::string& schema, const std::string& table,
                        const std::string& name);

// The COMMENT clause of a SHOW CREATE DATABASE statement, as the server wrote it (MariaDB
// 10.5+: "CREATE DATABASE `x` /*!40100 DEFAULT CHARACTER SET ... */ COMMENT 'text'" gives
// " COMMENT 'text'"); "" when it has none.
std::string database_comment(const std::string& create_sql);

// A copy of `db` for creating its objects in `target`: names qualified with the source
// database in the saved statements are requalified with `target`
// (rename_database_references).
DatabaseEntry retarget(const DatabaseEntry& db, const std::string& target);

}  // namespace omsbackup

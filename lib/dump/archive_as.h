// An archive that names other databases than the ones read: omsdump --from-sql reads the
// scratch copies it loaded a mysqldump file into and archives them under the file's own
// database names, so that a restore treats the archive like any other.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "archive/manifest.h"

namespace omsbackup {

struct ArchiveAs {
  // (database read, name in the archive), one pair per database dumped.
  std::vector<std::pair<std::string, std::string>> names;
  // Recorded in the manifest's options (no secrets).
  std::map<std::string, std::string> options;
  // Not empty: the manifest's consistency (what the source was, instead of how it was read).
  std::string consistency;
};

// The archive name of `database` (itself when `as` does not rename it).
const std::string& archived_name(const ArchiveAs& as, const std::string& database);

// Renames the manifest's databases as `as` says: each database's name and its SHOW CREATE
// DATABASE, and in every table's DDL and every view, routine, trigger and event the
// database part of qualified names (rename_database_references), for every pair, so that
// a reference from one renamed database into another follows it too.
void rename_archived_databases(Manifest& m, const ArchiveAs& as);

}  // namespace omsbackup

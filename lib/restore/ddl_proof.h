// The proof of a restored database's DDL against the archive's.
#pragma once

#include <string>

#include "restore/restore_state.h"

namespace omsbackup {

// Compares what the server says of the tables in `db` (the staging copy before the swap,
// the target after it) with the archive's SHOW CREATE TABLE; with `database`, also SHOW
// CREATE DATABASE. A difference fails the restore on the server version the archive came
// from, and is a warning on another (which prints DDL its own way).
void check_ddl(RestoreState& st, Session& s, const Target& t, const std::string& db, bool database);

}  // namespace omsbackup

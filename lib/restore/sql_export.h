// The SQL export behind the public omsbackup::export_sql() (`omsrestore --to-sql`): an
// archive, verified, decoded and written as an SQL script that the plain mariadb/mysql
// client loads (docs/to-sql.md). The restore's own pieces write it: the databases and
// targets it chooses (choose_databases), its CREATE DATABASE (expected_create_database),
// the archived CREATE TABLE, the INSERT values of its INSERT loader (append_insert_value,
// as hex literals) and its object statements and settings (object_creations).
#pragma once

#include <string>
#include <string_view>

#include "omsbackup/restore.h"
#include "util/env.h"

namespace omsbackup {

// omsbackup::export_sql() with the archive read, and the output file written, through `env`.
ExportSqlReport run_sql_export(Env& env, const ExportSqlOptions& options);

// A delimiter for the client's DELIMITER command that `text` does not contain anywhere:
// ";;", "$$", "//", then ";;omsb1", ";;omsb2", ...
std::string delimiter_for(std::string_view text);

// Throws Error(unsupported) naming `what` when the mariadb/mysql client would not pass
// `text` to the server as it is, even with --binary-mode and --comments: when one of its
// lines begins (after blanks) with the word DELIMITER, which the client takes for its own
// command anywhere in a statement.
void check_client_safe(std::string_view text, const std::string& what);

}  // namespace omsbackup

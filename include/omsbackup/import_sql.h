// omsbackup — import a mysqldump / mariadb-dump file (the old backup procedure's) into an
// archive, so that it is checked, compressed, encrypted and restored like any other.
#pragma once

#include "omsbackup/export.h"

#include <string>

#include "omsbackup/dump.h"

namespace omsbackup {

struct ImportSqlOptions {
  // The file to import: mysqldump's or mariadb-dump's SQL, read as a stream (never whole).
  std::string sql_file;
  // The archive to write, and how: connection, output, encryption, threads, compress
  // level, chunk size, progress, cancel. `dump.databases` names the file's database when
  // the file does not (a dump of one database without --databases): exactly one name.
  // When the file names its databases (CREATE DATABASE / USE), the names given must be
  // among them. Prune, include/exclude patterns and consistency do not apply.
  DumpOptions dump;
};

// Loads the file into scratch databases on the connected server (omsb_import_<hex>, one
// per database in the file: it needs room for them and CREATE and DROP privileges),
// running only the statements a mysqldump file is made of (anything else is refused
// naming the file's line), dumps them into dump.output under the file's database names,
// and drops the scratch databases, whether it succeeds, fails or is cancelled. Never
// changes any other database. Throws omsbackup::Error; the report names the file's
// databases.
OMSBACKUP_API DumpReport import_sql(const ImportSqlOptions& options);

}  // namespace omsbackup

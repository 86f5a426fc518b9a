// omsdump --from-sql: a mysqldump file -> scratch databases on the server -> the dump
// engine -> an archive under the file's database names. The dump is passed in (lib/api
// wires lib/dump's run_dump), so that this room needs only the server and the lexer.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "omsbackup/import_sql.h"
#include "util/env.h"

namespace omsbackup {

// What the import loaded, for the dump: the scratch databases (in the file's order) with
// the names they are archived under, and what the manifest records.
struct ImportedDatabases {
  std::vector<std::pair<std::string, std::string>> names;  // (scratch, the file's name)
  std::map<std::string, std::string> options;              // manifest options, no secrets
};

using DumpScratch = std::function<DumpReport(const DumpOptions&, const ImportedDatabases&)>;

// omsbackup::import_sql() with the file opened through `env` and the scratch copies
// dumped by `dump` (given options.dump with the scratch databases in `databases`).
DumpReport run_import(Env& env, const ImportSqlOptions& options, const DumpScratch& dump);

}  // namespace omsbackup

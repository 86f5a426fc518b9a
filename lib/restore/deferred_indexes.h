// Secondary indexes added after the data: a table is created without its plain secondary
// keys, loaded, and then gets them back in one ALTER TABLE, which is faster than keeping
// every index up to date row by row.
#pragma once

#include <string>

namespace omsbackup {

struct SplitDdl {
  std::string create_sql;       // the CREATE TABLE without the deferred indexes
  std::string add_indexes_sql;  // "ALTER TABLE <qualified> ADD KEY ..., ADD UNIQUE KEY ..."
                                // or "" if nothing is deferred
};

// Works on SHOW CREATE TABLE output (MySQL and MariaDB print one column, index or
// constraint per line). Defers only plain `KEY` and `UNIQUE KEY` definitions, and only
// those that, added back in their original order by add_indexes_sql, give a table whose
// SHOW CREATE TABLE is byte-identical to `create_sql`. Never deferred: PRIMARY KEY,
// FULLTEXT and SPATIAL keys, keys on the AUTO_INCREMENT column, keys with expressions or
// options it does not know, USING HASH keys, UNIQUE keys of a table without a PRIMARY KEY
// or with partitions; and nothing at all in a table with FOREIGN KEY constraints or with
// anything it does not understand (then create_sql is returned as it is).
//
// The caller must not defer the keys of a table that other tables' foreign keys refer to
// (the referencing table cannot be created while the referenced index is missing).
SplitDdl split_secondary_indexes(const std::string& create_sql,
                                 const std::string& qualified_table);

}  // namespace omsbackup

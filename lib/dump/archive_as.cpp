#include "dump/archive_as.h"

#include "catalog/objects.h"
#include "omsbackup/error.h"
#include "sql/lexer.h"
#include "sql/object_rewrite.h"
#include "sql/quote.h"

namespace omsbackup {

namespace {

// SHOW CREATE DATABASE's statement with its name written as `to`.
std::string rename_create_database(const std::string& create_sql, const std::string& from,
                                   const std::string& to) {
  std::vector<sql::Token> toks = sql::statement_tokens(sql::lex(create_sql));
  for (std::size_t i = 0; i + 1 < toks.size(); ++i) {
    if (!toks[i].is_word("DATABASE") && !toks[i].is_word("SCHEMA")) continue;
    std::size_t n = i + 1;
    // CREATE DATABASE /*!32312 IF NOT EXISTS*/ `name`
    if (n + 2 < toks.size() && toks[n].is_word("IF") && toks[n + 1].is_word("NOT") &&
        toks[n + 2].is_word("EXISTS"))
      n += 3;
    if (n < toks.size() && toks[n].name() == from)
      return create_sql.substr(0, toks[n].offset) + quote_identifier(to) +
             create_sql.substr(toks[n].end());
    break;
  }
  throw Error(Errc::internal, from,
              "SHOW CREATE DATABASE did not name the database where expected: " + create_sql);
}

}  // namespace

const std::string& archived_name(const ArchiveAs& as, const std::string& database) {
  for (const auto& [read, archived] : as.names)
    if (read == database) return archived;
  return database;
}

void rename_archived_databases(Manifest& m, const ArchiveAs& as) {
  for (DatabaseEntry& db : m.databases) {
    const std::string& to = archived_name(as, db.name);
    if (to != db.name) db.create_sql = rename_create_database(db.create_sql, db.name, to);
    for (const auto& [from, into] : as.names) {
      for (TableEntry& t : db.tables)
        t.def.create_sql = rename_database_references(t.def.create_sql, from, into, {}, true);
      rename_database_in_objects(db.objects, from, into, true);
    }
    db.name = to;
  }
  for (const auto& [name, value] : as.options) m.options[name] = value;
  if (!as.consistency.empty()) m.consistency = as.consistency;
}

}  // namespace omsbackup

// What an import may run: the statement kinds mysqldump and mariadb-dump write, and only
// on the file's own databases (which the importer maps to its scratch copies). Everything
// else is refused, naming the file's line and what to do. Text in, verdict out: no server.
#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sql/lexer.h"
#include "sql/server_info.h"

namespace omsbackup {

enum class StatementKind {
  run,              // run as written (qualified names of the file's databases mapped)
  skip,             // not run: LOCK/UNLOCK TABLES, an empty statement
  create_database,  // CREATE DATABASE name ...: creates the scratch copy
  use_database,     // USE name
  alter_database,   // ALTER DATABASE name ...
  drop_database,    // DROP DATABASE name (--add-drop-database, before its CREATE)
};

struct Verdict {
  StatementKind kind = StatementKind::run;
  std::string what;  // "CREATE TABLE", "INSERT", ... for messages
  // Database statements: the name, and where it is in the text ([begin, end); both 0 for
  // ALTER DATABASE without a name, which means the current database).
  std::string database;
  std::size_t name_begin = 0, name_end = 0;
  bool if_exists = false;   // DROP DATABASE IF EXISTS
  bool qualified = false;   // names a file database qualified (`db`.`t`): map it
  bool writes = false;      // INSERT / REPLACE: rows, in a transaction under autocommit=0
  bool commits = false;     // COMMIT, or DDL (an implicit commit)
  bool sets = false;        // SET: the sql_mode may have changed
  bool event = false;       // CREATE EVENT
  std::optional<bool> autocommit;  // SET autocommit = 0 / 1
};

struct PolicyContext {
  // The server the statements run on: decides which executable comments (/*!50003 ...*/,
  // /*M!100316 ...*/) it runs, and so what the statement is.
  ServerInfo server;
  // The file's databases so far (CREATE DATABASE / USE), as written.
  std::set<std::string> file_databases;
  // Lower-cased names no statement may name qualified: every database on the server that
  // is not the file's, and the system schemas.
  std::set<std::string> forbidden;
};

// The system schemas: never imported, never named.
bool is_system_schema(std::string_view name);

// The tokens the server runs: comments and executable comments it skips (by version)
// left out. A skipped executable comment holding a quote is refused (`where` names the
// line), since where it ends would depend on who reads it.
std::vector<sql::Token> effective_tokens(const sql::Lexed& lexed, const ServerInfo& server,
                                         const std::string& where);

// Judges one statement of the file; throws Error(unsupported, where, ...) for one an
// import may not run.
Verdict judge_statement(std::string_view text, const sql::LexMode& mode,
                        const PolicyContext& context, const std::string& where);

}  // namespace omsbackup

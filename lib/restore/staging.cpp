#include "restore/staging.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "catalog/objects.h"
#include "omsbackup/error.h"
#include "sql/quote.h"
#include "sql/lock_watch.h"
#include "sql/session.h"
#include "util/sha256.h"
#include "util/test_hook.h"

#include <optional>
#include <set>

namespace omsbackup {

namespace {

constexpr std::size_t kMaxDbName = 64;

std::vector<std::string> column0(Session& s, const std::string& sql, const std::string& doing) {
  std::vector<std::string> out;
  for (const auto& row : s.query(sql, doing).rows) out.push_back(row.at(0).value_or(""));
  return out;
}

}  // namespace

TargetNames staging_names(const std::string& target, bool in_place) {
  TargetNames n;
  n.name = target;
  if (in_place) {
    n.work = target;
    n.old = "";
    return n;
  }
  // Length in characters: count UTF-8 lead bytes.
  std::size_t chars = 0;
  for (unsigned char c : target) chars += (c & 0xC0) != 0x80;
  if (chars + 12 <= kMaxDbName) {
    n.work = target + "__omsb_stage";
    n.old = target + "__omsb_old";
  } else {
    std::string h = to_hex(Sha256::of(target)).substr(0, 24);
    n.work = "omsb_stage_" + h;
    n.old = "omsb_old_" + h;
  }
  return n;
}

bool database_exists(Session& s, const std::string& db) {
  return !s.query(fmt::format("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA "
                              "WHERE SCHEMA_NAME = {}",
                              quote_string(db)),
                  fmt::format("looking for database {}", db))
              .rows.empty();
}

namespace {
std::vector<std::string> tables_where(Session& s, const std::string& db, const char* type_test) {
  return column0(s,
                 fmt::format("SELECT TABLE_NAME FROM information_schema.TABLES WHERE "
                             "TABLE_SCHEMA = {} AND {} ORDER BY TABLE_NAME",
                             quote_string(db), type_test),
                 fmt::format("listing the tables of {}", db));
}
}  // namespace

std::vector<std::string> base_tables(Session& s, const std::string& db) {
  return tables_where(s, db, "TABLE_TYPE = 'BASE TABLE'");
}

std::vector<std::string> non_view_tables(Session& s, const std::string& db) {
  return tables_where(s, db, "TABLE_TYPE <> 'VIEW'");
}

void drop_objects(Session& s, const std::string& db) {
  const std::string q = quote_string(db);
  for (const auto& t : column0(s, fmt::format("SELECT TRIGGER_NAME FROM information_schema.TRIGGERS "
                                              "WHERE TRIGGER_SCHEMA = {}", q),
                               fmt::format("listing the triggers of {}", db)))
    s.execute(fmt::format("DROP TRIGGER IF EXISTS {}", quote_qualified(db, t)),
              fmt::format("dropping trigger {}.{}", db, t));
  for (const auto& v : column0(s, fmt::format("SELECT TABLE_NAME FROM information_schema.TABLES "
                                              "WHERE TABLE_SCHEMA = {} AND TABLE_TYPE = 'VIEW'", q),
                               fmt::format("listing the views of {}", db)))
    s.execute(fmt::format("DROP VIEW IF EXISTS {}", quote_qualified(db, v)),
              fmt::format("dropping view {}.{}", db, v));
  std::vector<std::pair<std::string, std::string>> packages;  // (type, name)
  for (const auto& row : s.query(fmt::format("SELECT ROUTINE_TYPE, ROUTINE_NAME FROM "
                                             "information_schema.ROUTINES WHERE ROUTINE_SCHEMA = {} "
                                             "ORDER BY ROUTINE_TYPE DESC, ROUTINE_NAME",
                                             q),
                                 fmt::format("listing the routines of {}", db))
                             .rows) {
    std::string type = row.at(0).value_or(""), name = row.at(1).value_or("");
    if (type == "PACKAGE" || type == "PACKAGE BODY") {
      packages.emplace_back(type, name);
      continue;
    }
    // Another type would make the later CREATE fail or leave a stale object: refuse it.
    if (type != "FUNCTION" && type != "PROCEDURE")
      throw Error(Errc::unsupported, fmt::format("{}.{}", db, name),
                  fmt::format("is a stored routine of type '{}', which the restore does not know "
                              "how to drop; drop it yourself, then run the restore again",
                              type));
    s.execute(fmt::format("DROP {} IF EXISTS {}", type, quote_qualified(db, name)),
              fmt::format("dropping {} {}.{}", type == "FUNCTION" ? "function" : "procedure", db,
                          name));
  }
  if (!packages.empty()) {
    // MariaDB parses DROP PACKAGE [BODY] only under sql_mode=ORACLE (10.11). Bodies were
    // listed first (ORDER BY ROUTINE_TYPE DESC); DROP PACKAGE would take its body anyway.
    std::string mode = s.scalar("SELECT @@SESSION.sql_mode", "reading the session's sql_mode")
                           .value_or("");
    s.execute("SET SESSION sql_mode = 'ORACLE'",
              fmt::format("setting sql_mode ORACLE to drop the packages of {}", db));
    try {
      for (const auto& [type, name] : packages)
        s.execute(fmt::format("DROP {} IF EXISTS {}", type, quote_qualified(db, name)),
                  fmt::format("dropping {} {}.{}", type == "PACKAGE" ? "package" : "package body",
                              db, name));
    } catch (...) {
      try {
        s.execute(fmt::format("SET SESSION sql_mode = {}", quote_string(mode)),
                  "putting back the session's sql_mode");
      } catch (...) {
      }
      throw;
    }
    s.execute(fmt::format("SET SESSION sql_mode = {}", quote_string(mode)),
              "putting back the session's sql_mode after dropping packages");
  }
  for (const auto& e : column0(s, fmt::format("SELECT EVENT_NAME FROM information_schema.EVENTS "
                                              "WHERE EVENT_SCHEMA = {}", q),
                               fmt::format("listing the events of {}", db)))
    s.execute(fmt::format("DROP EVENT IF EXISTS {}", quote_qualified(db, e)),
              fmt::format("dropping event {}.{}", db, e));
}

namespace {

// SHOW CREATE DATABASE reads "CREATE DATABASE `name` /*!40100 DEFAULT CHARACTER SET ... */"
// and, on MariaDB 10.5+, " COMMENT '...'" after it. The text after the name, or nullopt
// when the statement does not have that shape.
std::optional<std::string> options_after_name(const std::string& create_sql) {
  static const std::string head = "CREATE DATABASE `";
  if (create_sql.compare(0, head.size(), head) != 0) return std::nullopt;
  for (std::size_t i = head.size(); i < create_sql.size(); ++i) {
    if (create_sql[i] != '`') continue;
    if (i + 1 < create_sql.size() && create_sql[i + 1] == '`') {
      ++i;
      continue;
    }
    return create_sql.substr(i + 1);
  }
  return std::nullopt;
}

}  // namespace

void wait_for_live_tables(Session& s, const std::vector<std::string>& databases) {
  std::string sql;
  for (const auto& db : databases)
    for (const auto& t : base_tables(s, db))
      sql += (sql.empty() ? "LOCK TABLES " : ", ") + quote_qualified(db, t) + " WRITE";
  if (sql.empty()) return;
  try {
    test_point("swap.waiting");
    s.execute(sql, fmt::format("waiting until no other connection uses the tables of {} (to "
                               "swap the restored tables in)",
                               fmt::join(databases, ", ")));
  } catch (const Error& e) {
    // A lock wait timeout, a cancel (KILL QUERY) or a lost connection stop the restore;
    // anything else is left for the swap itself to meet.
    constexpr unsigned kLockWaitTimeout = 1205, kQueryInterrupted = 1317;
    if (e.server_errno() == kLockWaitTimeout || e.server_errno() == kQueryInterrupted ||
        is_connection_error(e.server_errno()))
      throw;
    return;
  }
  s.execute("UNLOCK TABLES", "releasing the table locks");
}


std::string database_comment(const std::string& create_sql) {
  std::optional<std::string> rest = options_after_name(create_sql);
  if (!rest) return "";
  // The version comment holds only charset and collation names: the first " COMMENT '"
  // after it starts the comment, a string literal that runs to the end.
  std::size_t close = rest->find("*/");
  std::size_t at = rest->find(" COMMENT '", close == std::string::npos ? 0 : close);
  return at == std::string::npos ? "" : rest->substr(at);
}

std::string database_comment_literal(const DatabaseEntry& db) {
  std::string clause = database_comment(db.create_sql);
  return clause.empty() ? "" : clause.substr(9);  // after " COMMENT "
}

std::string create_database_sql(const std::string& name, const DatabaseEntry& db,
                                 const ServerInfo& target, const std::string& source_flavor) {
  // On the server kind it came from, the archive's own statement (charset, collation,
  // comment and whatever else that server prints); elsewhere charset and collation,
  // the options every server shares (preflight refuses a comment another kind cannot
  // take).
  if (std::optional<std::string> rest = options_after_name(db.create_sql);
      rest && source_flavor == flavor_name(target.flavor))
    return "CREATE DATABASE " + quote_identifier(name) + *rest;
  std::string sql = fmt::format("CREATE DATABASE {} CHARACTER SET {} COLLATE {}",
                                quote_identifier(name), quote_identifier(db.charset),
                                quote_identifier(db.collation));
  if (std::string comment = database_comment_literal(db); !comment.empty())
    sql += " COMMENT " + comment;
  return sql;
}

std::string expected_create_database(const std::string& name, const DatabaseEntry& db) {
  std::optional<std::string> rest = options_after_name(db.create_sql);
  return rest ? "CREATE DATABASE " + quote_identifier(name) + *rest : db.create_sql;
}

bool supports_database_comment(const ServerInfo& server) {
  return server.flavor == ServerFlavor::mariadb &&
         (server.major > 10 || (server.major == 10 && server.minor >= 5));
}

void swap_in(Session& s, const TargetNames& n, const DatabaseEntry& db,
             const std::string& source_flavor) {
  std::vector<std::string> renames;
  if (database_exists(s, n.name)) {
    s.execute(fmt::format("DROP DATABASE IF EXISTS {}", quote_identifier(n.old)),
              fmt::format("clearing {}", n.old));
    s.execute(create_database_sql(n.old, db, s.server(), source_flavor),
              fmt::format("creating {}", n.old));
    test_point("swap.old-created");
    drop_objects(s, n.name);
    test_point("swap.objects-dropped");
    for (const auto& t : base_tables(s, n.name))
      renames.push_back(fmt::format("{} TO {}", quote_qualified(n.name, t), quote_qualified(n.old, t)));
    // The live database's options become the archive's: charset, collation and (where the
    // server has them) its comment, cleared when the archive has none.
    std::string alter = fmt::format("ALTER DATABASE {} CHARACTER SET {} COLLATE {}",
                                    quote_identifier(n.name), quote_identifier(db.charset),
                                    quote_identifier(db.collation));
    if (supports_database_comment(s.server())) {
      std::string comment = database_comment_literal(db);
      alter += " COMMENT " + (comment.empty() ? std::string("''") : comment);
    }
    s.execute(alter, fmt::format("setting the charset, collation and comment of {}", n.name));
  } else {
    s.execute(create_database_sql(n.name, db, s.server(), source_flavor),
              fmt::format("creating database {}", n.name));
  }
  for (const auto& t : base_tables(s, n.work))
    renames.push_back(fmt::format("{} TO {}", quote_qualified(n.work, t), quote_qualified(n.name, t)));
  if (renames.empty()) return;
  std::string sql = "RENAME TABLE ";
  for (std::size_t i = 0; i < renames.size(); ++i) sql += (i ? ", " : "") + renames[i];
  s.execute(sql, fmt::format("swapping the restored tables into {}", n.name));
  test_point("swap.renamed");
}

DatabaseEntry retarget(const DatabaseEntry& db, const std::string& target) {
  DatabaseEntry out = db;
  if (target == db.name) return out;
  out.name = target;
  rename_database_in_objects(out.objects, db.name, target);
  return out;
}

}  // namespace omsbackup

namespace omsbackup {

std::vector<ForeignKeyRepair> foreign_keys_into(Session& s, const std::string& from,
                                                const std::string& to,
                                                const std::set<std::string>& skip) {
  std::vector<ForeignKeyRepair> out;
  ResultSet fks = s.query(
      fmt::format("SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME FROM "
                  "information_schema.REFERENTIAL_CONSTRAINTS WHERE UNIQUE_CONSTRAINT_SCHEMA = {} "
                  "ORDER BY CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME",
                  quote_string(from)),
      fmt::format("listing the foreign keys that point into {}", from));
  for (const auto& fk : fks.rows) {
    ForeignKeyRepair r;
    r.schema = fk.at(0).value_or("");
    r.table = fk.at(1).value_or("");
    r.name = fk.at(2).value_or("");
    if (r.schema == from || skip.count(r.schema)) continue;
    r.what = fmt::format("{}.{} foreign key {}", r.schema, r.table, r.name);
    // The clause as SHOW CREATE TABLE prints it, which (unlike information_schema) tells an
    // ON DELETE/UPDATE written out from the default: one line per constraint.
    const std::string qt = quote_qualified(r.schema, r.table);
    const std::string ddl = s.query("SHOW CREATE TABLE " + qt, "reading back " + r.what)
                                .rows.at(0).at(1).value_or("");
    const std::string head = "  CONSTRAINT " + quote_identifier(r.name) + " FOREIGN KEY ";
    std::size_t at = ddl.find("\n" + head);
    if (at == std::string::npos)
      throw Error(Errc::internal, r.what,
                  "SHOW CREATE TABLE does not show this foreign key, so it cannot be pointed "
                  "back at " + to + "; add it back by hand");
    std::size_t end = ddl.find('\n', at + 1);
    std::string clause = ddl.substr(at + 3, end - at - 3);
    if (!clause.empty() && clause.back() == ',') clause.pop_back();
    const std::string old_ref = " REFERENCES " + quote_identifier(from) + ".";
    std::size_t ref = clause.find(old_ref);
    if (ref == std::string::npos)
      throw Error(Errc::internal, r.what,
                  fmt::format("expected it to point into {}: {}", from, clause));
    clause.replace(ref, old_ref.size(), " REFERENCES " + quote_identifier(to) + ".");
    // MariaDB refuses to drop and add a constraint of one name in one ALTER TABLE (ERROR
    // 1826); with foreign_key_checks off, both are metadata changes.
    r.drop_sql = fmt::format("ALTER TABLE {} DROP FOREIGN KEY {}", qt, quote_identifier(r.name));
    r.add_sql = fmt::format("ALTER TABLE {} ADD {}", qt, clause);
    out.push_back(std::move(r));
  }
  return out;
}

bool foreign_key_exists(Session& s, const std::string& schema, const std::string& table,
                        const std::string& name) {
  return !s.query(fmt::format("SELECT 1 FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE "
                              "CONSTRAINT_SCHEMA = {} AND TABLE_NAME = {} AND CONSTRAINT_NAME = {}",
                              quote_string(schema), quote_string(table), quote_string(name)),
                  fmt::format("looking for foreign key {} of {}.{}", name, schema, table))
              .rows.empty();
}

}  // namespace omsbackup

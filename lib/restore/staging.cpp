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
  for (const auto& row : s.query(fmt::format("SELECT ROUTINE_TYPE, ROUTINE_NAME FROM "
                                             "information_schema.ROUTINES WHERE ROUTINE_SCHEMA = {}",
                                             q),
                                 fmt::format("listing the routines of {}", db))
                             .rows) {
    std::string type = row.at(0).value_or("PROCEDURE"), name = row.at(1).value_or("");
    s.execute(fmt::format("DROP {} IF EXISTS {}", type == "FUNCTION" ? "FUNCTION" : "PROCEDURE",
                          quote_qualified(db, name)),
              fmt::format("dropping routine {}.{}", db, name));
  }
  for (const auto& e : column0(s, fmt::format("SELECT EVENT_NAME FROM information_schema.EVENTS "
                                              "WHERE EVENT_SCHEMA = {}", q),
                               fmt::format("listing the events of {}", db)))
    s.execute(fmt::format("DROP EVENT IF EXISTS {}", quote_qualified(db, e)),
              fmt::format("dropping event {}.{}", db, e));
}

std::string create_database_sql(const std::string& name, const DatabaseEntry& db) {
  return fmt::format("CREATE DATABASE {} CHARACTER SET {} COLLATE {}", quote_identifier(name),
                     quote_identifier(db.charset), quote_identifier(db.collation));
}

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

void swap_in(Session& s, const TargetNames& n, const DatabaseEntry& db) {
  std::vector<std::string> renames;
  if (database_exists(s, n.name)) {
    s.execute(fmt::format("DROP DATABASE IF EXISTS {}", quote_identifier(n.old)),
              fmt::format("clearing {}", n.old));
    s.execute(create_database_sql(n.old, db), fmt::format("creating {}", n.old));
    test_point("swap.old-created");
    drop_objects(s, n.name);
    test_point("swap.objects-dropped");
    for (const auto& t : base_tables(s, n.name))
      renames.push_back(fmt::format("{} TO {}", quote_qualified(n.name, t), quote_qualified(n.old, t)));
    s.execute(fmt::format("ALTER DATABASE {} CHARACTER SET {} COLLATE {}", quote_identifier(n.name),
                          quote_identifier(db.charset), quote_identifier(db.collation)),
              fmt::format("setting the charset and collation of {}", n.name));
  } else {
    s.execute(create_database_sql(n.name, db), fmt::format("creating database {}", n.name));
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
  // Views are read back with the library's own sql_mode (backticks, backslash escapes);
  // the others are the statements as written, under their own sql_mode.
  for (auto& v : out.objects.views)
    v.create_sql = rename_database_references(v.create_sql, db.name, target);
  for (auto& r : out.objects.routines)
    r.create_sql = rename_database_references(r.create_sql, db.name, target, r.sql_mode);
  for (auto& t : out.objects.triggers)
    t.create_sql = rename_database_references(t.create_sql, db.name, target, t.sql_mode);
  for (auto& e : out.objects.events)
    e.create_sql = rename_database_references(e.create_sql, db.name, target, e.sql_mode);
  return out;
}

}  // namespace omsbackup

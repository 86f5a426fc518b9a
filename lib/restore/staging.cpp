#include "restore/staging.h"

#include <fmt/format.h>

#include "catalog/objects.h"
#include "omsbackup/error.h"
#include "sql/quote.h"
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

std::string database_comment(const std::string& create_sql) {
  static const std::string head = "CREATE DATABASE ";
  if (create_sql.compare(0, head.size(), head) != 0) return "";
  // The name: `...` with `` for a backtick inside (it may hold "*/" or "COMMENT").
  std::size_t i = head.size();
  if (i >= create_sql.size() || create_sql[i] != '`') return "";
  for (++i; i < create_sql.size(); ++i) {
    if (create_sql[i] != '`') continue;
    if (i + 1 < create_sql.size() && create_sql[i + 1] == '`') {
      ++i;
      continue;
    }
    break;
  }
  if (i >= create_sql.size()) return "";
  // Then " /*!40100 DEFAULT CHARACTER SET ... */" (names only), then the comment.
  std::size_t close = create_sql.find("*/", i + 1);
  std::size_t rest = close == std::string::npos ? i + 1 : close + 2;
  static const std::string comment = " COMMENT ";
  if (create_sql.compare(rest, comment.size(), comment) != 0) return "";
  return create_sql.substr(rest);
}

std::string create_database_sql(const std::string& name, const DatabaseEntry& db) {
  return fmt::format("CREATE DATABASE {} CHARACTER SET {} COLLATE {}{}", quote_identifier(name),
                     quote_identifier(db.charset), quote_identifier(db.collation),
                     database_comment(db.create_sql));
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
    // The archive's COMMENT, or none: the live database's own would stay otherwise.
    std::string comment = database_comment(db.create_sql);
    if (comment.empty()) {
      ResultSet live = s.query(fmt::format("SHOW CREATE DATABASE {}", quote_identifier(n.name)),
                               fmt::format("reading the definition of database {}", n.name));
      if (!live.rows.empty() && live.rows[0].size() > 1 &&
          !database_comment(live.rows[0][1].value_or("")).empty())
        comment = " COMMENT ''";
    }
    s.execute(fmt::format("ALTER DATABASE {} CHARACTER SET {} COLLATE {}{}", quote_identifier(n.name),
                          quote_identifier(db.charset), quote_identifier(db.collation), comment),
              fmt::format("setting the charset, collation and comment of {}", n.name));
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

#include "restore/objects.h"

#include <fmt/format.h>

#include <cctype>
#include <optional>
#include <set>
#include <vector>

#include "catalog/objects.h"
#include "omsbackup/error.h"
#include "sql/quote.h"
#include "sql/session.h"

namespace omsbackup {

namespace {

// The session settings an object is created with. Unset or empty: left as they are.
struct Settings {
  std::optional<std::string> sql_mode;
  std::optional<std::string> time_zone;
  std::string character_set_client, collation_connection;
  std::string database_collation;
};

// Creates one database's objects: remembers the session's settings and the database's
// default character set and collation, and puts them back after each object.
class ObjectCreator {
 public:
  ObjectCreator(Session& s, const DatabaseEntry& db) : s_(s), db_(db) {
    s_.execute(fmt::format("USE {}", quote_identifier(db_.name)),
               fmt::format("using database {}", db_.name));
    ResultSet v = s_.query(
        "SELECT @@SESSION.sql_mode, @@SESSION.character_set_client, "
        "@@SESSION.collation_connection, @@SESSION.time_zone",
        fmt::format("reading the session settings before creating the objects of {}", db_.name));
    if (v.rows.empty() || v.rows[0].size() < 4)
      throw Error(Errc::server, db_.name, "could not read the session's settings");
    sql_mode_ = v.rows[0][0].value_or("");
    charset_client_ = v.rows[0][1].value_or("");
    collation_connection_ = v.rows[0][2].value_or("");
    time_zone_ = v.rows[0][3].value_or("");
    ResultSet d = s_.query(
        fmt::format("SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME "
                    "FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = {}",
                    quote_string(db_.name)),
        fmt::format("reading the default collation of database {}", db_.name));
    if (!d.rows.empty() && d.rows[0].size() >= 2) {
      db_charset_ = d.rows[0][0].value_or("");
      db_collation_ = d.rows[0][1].value_or("");
    }
  }

  // Runs `sql`, which creates `what` ("view db.v"), with `want` set around it.
  void create(const std::string& what, const std::string& sql, const Settings& want) {
    bool switch_db = !want.database_collation.empty() && !db_collation_.empty() &&
                     !db_charset_.empty() && want.database_collation != db_collation_;
    std::vector<std::string> sets;
    if (!want.character_set_client.empty())
      sets.push_back("character_set_client = " + quote_string(want.character_set_client));
    if (!want.collation_connection.empty())
      sets.push_back("collation_connection = " + quote_string(want.collation_connection));
    if (want.time_zone && !want.time_zone->empty())
      sets.push_back("time_zone = " + quote_string(*want.time_zone));
    // Last: it may change how the following statements' quotes are read.
    if (want.sql_mode) sets.push_back("sql_mode = " + quote_string(*want.sql_mode));
    bool changed = false;
    try {
      if (switch_db) {
        changed = true;
        s_.execute(fmt::format("ALTER DATABASE {} COLLATE {}", quote_identifier(db_.name),
                               quote_string(want.database_collation)),
                   fmt::format("switching database {} to collation {} to create {}", db_.name,
                               want.database_collation, what));
      }
      if (!sets.empty()) {
        changed = true;
        s_.execute(fmt::format("SET SESSION {}", fmt::join(sets, ", ")),
                   fmt::format("setting the session's sql_mode and character set to create {}",
                               what));
      }
      s_.execute(sql, fmt::format("creating {}", what));
    } catch (...) {
      // The first failure is the one to report; putting back is best effort here.
      if (changed) {
        try {
          put_back(what, switch_db);
        } catch (...) {
        }
      }
      throw;
    }
    if (changed) put_back(what, switch_db);
  }

 private:
  void put_back(const std::string& what, bool switch_db) {
    std::string doing = fmt::format("putting back the session's settings after creating {}", what);
    // sql_mode first, as one statement: a value without quotes or backslashes, so it
    // reads the same under the object's sql_mode; the rest then reads as usual.
    s_.execute(fmt::format("SET SESSION sql_mode = {}", quote_string(sql_mode_)), doing);
    s_.execute(fmt::format("SET SESSION character_set_client = {}, collation_connection = {}, "
                           "time_zone = {}",
                           quote_string(charset_client_), quote_string(collation_connection_),
                           quote_string(time_zone_)),
               doing);
    if (switch_db) {
      s_.execute(fmt::format("ALTER DATABASE {} CHARACTER SET {} COLLATE {}",
                             quote_identifier(db_.name), quote_string(db_charset_),
                             quote_string(db_collation_)),
                 fmt::format("switching database {} back to collation {} after creating {}",
                             db_.name, db_collation_, what));
    }
  }

  Session& s_;
  const DatabaseEntry& db_;
  std::string sql_mode_, charset_client_, collation_connection_, time_zone_;
  std::string db_charset_, db_collation_;
};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string trigger_restore_statement(const TriggerDef& t) {
  std::string sql = t.create_sql;
  auto clause = trigger_order_clause(sql, t.sql_mode);
  if (!clause) return sql;
  auto [begin, end] = *clause;
  // Drop the clause and the blank before it: "... FOR EACH ROW FOLLOWS x body".
  while (begin > 0 && (sql[begin - 1] == ' ' || sql[begin - 1] == '\t' || sql[begin - 1] == '\n' ||
                       sql[begin - 1] == '\r'))
    --begin;
  sql.erase(begin, end - begin);
  return sql;
}

void create_views(Session& s, const DatabaseEntry& db) {
  if (db.objects.views.empty()) return;
  ObjectCreator c(s, db);
  for (const ViewDef& v : db.objects.views) {
    Settings want;
    want.character_set_client = v.character_set_client;
    want.collation_connection = v.collation_connection;
    c.create(fmt::format("view {}.{}", db.name, v.name), v.create_sql, want);
  }
}

void create_routines(Session& s, const DatabaseEntry& db) {
  if (db.objects.routines.empty()) return;
  ObjectCreator c(s, db);
  for (const RoutineDef& r : db.objects.routines) {
    Settings want;
    want.sql_mode = r.sql_mode;
    want.character_set_client = r.character_set_client;
    want.collation_connection = r.collation_connection;
    want.database_collation = r.database_collation;
    c.create(fmt::format("{} {}.{}", lower(r.type), db.name, r.name), r.create_sql, want);
  }
}

void create_triggers(Session& s, const DatabaseEntry& db) {
  std::set<std::string> tables;
  for (const TableEntry& t : db.tables) tables.insert(t.def.name);
  std::optional<ObjectCreator> c;
  for (const TriggerDef& t : db.objects.triggers) {
    if (tables.count(t.table) == 0) continue;  // its table was left out of the dump
    if (!c) c.emplace(s, db);
    Settings want;
    want.sql_mode = t.sql_mode;
    want.character_set_client = t.character_set_client;
    want.collation_connection = t.collation_connection;
    want.database_collation = t.database_collation;
    c->create(fmt::format("trigger {}.{} (on table {}.{})", db.name, t.name, db.name, t.table),
              trigger_restore_statement(t), want);
  }
}

void create_events(Session& s, const DatabaseEntry& db) {
  if (db.objects.events.empty()) return;
  ObjectCreator c(s, db);
  for (const EventDef& e : db.objects.events) {
    Settings want;
    want.sql_mode = e.sql_mode;
    want.time_zone = e.time_zone;
    want.character_set_client = e.character_set_client;
    want.collation_connection = e.collation_connection;
    want.database_collation = e.database_collation;
    c.create(fmt::format("event {}.{}", db.name, e.name), e.create_sql, want);
  }
}

}  // namespace omsbackup

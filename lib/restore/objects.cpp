#include "restore/objects.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <type_traits>
#include <vector>

#include "catalog/objects.h"
#include "omsbackup/error.h"
#include "sql/object_rewrite.h"
#include "sql/quote.h"
#include "sql/server_info.h"
#include "sql/session.h"
#include "util/test_hook.h"

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

  // Runs the statement of `o` with its settings set around it.
  void create(const ObjectCreation& o) {
    const std::string& what = o.what;
    bool switch_db = !o.database_collation.empty() && !db_collation_.empty() &&
                     !db_charset_.empty() && o.database_collation != db_collation_;
    bool changed = false;
    try {
      if (switch_db) {
        changed = true;
        s_.execute(fmt::format("ALTER DATABASE {} COLLATE {}", quote_identifier(db_.name),
                               quote_string(o.database_collation)),
                   fmt::format("switching database {} to collation {} to create {}", db_.name,
                               o.database_collation, what));
      }
      if (!o.settings.empty()) {
        changed = true;
        s_.execute(fmt::format("SET SESSION {}", fmt::join(o.settings, ", ")),
                   fmt::format("setting the session's sql_mode and character set to create {}",
                               what));
      }
      s_.execute(o.sql, fmt::format("creating {}", what));
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

// The settings to create an object with: its creation context. A view's sql_mode is
// left as the session has it (SHOW CREATE VIEW gives none).
Settings settings_of(const CreationContext& c, bool with_sql_mode = true) {
  Settings want;
  if (with_sql_mode) want.sql_mode = c.sql_mode;
  want.character_set_client = c.character_set_client;
  want.collation_connection = c.collation_connection;
  want.database_collation = c.database_collation;
  return want;
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

namespace {

// The SET SESSION assignments for `want`.
std::vector<std::string> assignments(const Settings& want) {
  std::vector<std::string> sets;
  if (!want.character_set_client.empty())
    sets.push_back("character_set_client = " + quote_string(want.character_set_client));
  if (!want.collation_connection.empty())
    sets.push_back("collation_connection = " + quote_string(want.collation_connection));
  if (want.time_zone && !want.time_zone->empty())
    sets.push_back("time_zone = " + quote_string(*want.time_zone));
  // Last: it may change how the following statements' quotes are read.
  if (want.sql_mode) sets.push_back("sql_mode = " + quote_string(*want.sql_mode));
  return sets;
}

ObjectCreation creation(std::string what, std::string sql, const Settings& want) {
  return ObjectCreation{std::move(what), std::move(sql), assignments(want),
                        want.database_collation};
}

void create_all(Session& s, const DatabaseEntry& db, ObjectKind kind) {
  std::vector<ObjectCreation> all = object_creations(db, kind);
  if (all.empty()) return;
  ObjectCreator c(s, db);
  for (const ObjectCreation& o : all) c.create(o);
}

}  // namespace

std::vector<ObjectCreation> object_creations(const DatabaseEntry& db, ObjectKind kind) {
  std::vector<ObjectCreation> out;
  switch (kind) {
    case ObjectKind::routines: {
      // Every package before any package body (the archive's order already has it; an
      // edited manifest need not): CREATE PACKAGE BODY needs its package.
      std::vector<const RoutineDef*> order;
      for (const RoutineDef& r : db.objects.routines)
        if (r.type != "PACKAGE BODY") order.push_back(&r);
      for (const RoutineDef& r : db.objects.routines)
        if (r.type == "PACKAGE BODY") order.push_back(&r);
      for (const RoutineDef* r : order)
        out.push_back(creation(fmt::format("{} {}.{}", lower(r->type), db.name, r->name),
                               r->create_sql, settings_of(*r)));
      break;
    }
    case ObjectKind::views:
      for (const ViewDef& v : db.objects.views)
        out.push_back(creation(fmt::format("view {}.{}", db.name, v.name), v.create_sql,
                               settings_of(v, false)));
      break;
    case ObjectKind::triggers: {
      std::set<std::string> tables;
      for (const TableEntry& t : db.tables) tables.insert(t.def.name);
      for (const TriggerDef& t : db.objects.triggers) {
        if (tables.count(t.table) == 0) continue;  // its table was left out of the dump
        out.push_back(creation(
            fmt::format("trigger {}.{} (on table {}.{})", db.name, t.name, db.name, t.table),
            trigger_restore_statement(t), settings_of(t)));
      }
      break;
    }
    case ObjectKind::events:
      for (const EventDef& e : db.objects.events) {
        Settings want = settings_of(e);
        want.time_zone = e.time_zone;
        out.push_back(creation(fmt::format("event {}.{}", db.name, e.name), e.create_sql, want));
      }
      break;
  }
  return out;
}

void create_views(Session& s, const DatabaseEntry& db) { create_all(s, db, ObjectKind::views); }
void create_routines(Session& s, const DatabaseEntry& db) {
  create_all(s, db, ObjectKind::routines);
}
void create_triggers(Session& s, const DatabaseEntry& db) {
  create_all(s, db, ObjectKind::triggers);
}
void create_events(Session& s, const DatabaseEntry& db) { create_all(s, db, ObjectKind::events); }

namespace {

// The rest of the line of `text` from `pos`, cut to `width` bytes (not inside a UTF-8
// sequence), for a message.
std::string line_from(std::string_view text, std::size_t pos, std::size_t width = 80) {
  std::size_t end = text.find('\n', pos);
  std::string_view rest = text.substr(pos, end == std::string_view::npos ? end : end - pos);
  if (rest.size() <= width) return std::string(rest);
  std::size_t cut = width;
  while (cut > 0 && (static_cast<unsigned char>(rest[cut]) & 0xC0) == 0x80) --cut;
  return std::string(rest.substr(0, cut)) + "...";
}

// One property of an object: its name in messages, the archive's value, the server's.
struct Property {
  const char* name;
  std::string archived, restored;
  bool statement = false;  // a SHOW CREATE statement: say where it differs
};

// What is compared of an object, in this order: (a trigger's table,) its statement and
// its creation context (an event's time zone after the sql_mode; a view has neither
// sql_mode nor database collation).
template <class Def>
std::vector<Property> properties(const Def& w, const Def& g) {
  constexpr bool view = std::is_same_v<Def, ViewDef>;
  std::vector<Property> p;
  if constexpr (std::is_same_v<Def, TriggerDef>) p.push_back({"table", w.table, g.table});
  p.push_back({"statement", w.create_sql, g.create_sql, true});
  if (!view) p.push_back({"sql_mode", w.sql_mode, g.sql_mode});
  if constexpr (std::is_same_v<Def, EventDef>)
    p.push_back({"time_zone", w.time_zone, g.time_zone});
  p.push_back({"character_set_client", w.character_set_client, g.character_set_client});
  p.push_back({"collation_connection", w.collation_connection, g.collation_connection});
  if (!view) p.push_back({"database collation", w.database_collation, g.database_collation});
  return p;
}

// Collects the differences between the archive's objects and the server's, in the order the
// proof reports them.
class ObjectComparison {
 public:
  explicit ObjectComparison(std::vector<ObjectFinding>& out) : out_(out) {}

  // `expected` and `got` map a key (the name; for a routine "TYPE name") to the object.
  template <class Def>
  void same_set(const char* kind, const std::map<std::string, const Def*>& expected,
                const std::map<std::string, const Def*>& got) const {
    for (const auto& [key, def] : expected)
      if (got.count(key) == 0) out_.push_back({kind_of(kind, *def), def->name, ObjectFinding::missing, ""});
    for (const auto& [key, def] : got)
      if (expected.count(key) == 0) out_.push_back({kind_of(kind, *def), def->name, ObjectFinding::extra, ""});
  }

  // Each differing property of an object found on both sides.
  template <class Def>
  void same_properties(const char* kind, const std::map<std::string, const Def*>& expected,
                       const std::map<std::string, const Def*>& got) const {
    for (const auto& [key, w] : expected) {
      auto g = got.find(key);
      if (g == got.end()) continue;
      for (const Property& p : properties(*w, *g->second)) {
        if (p.archived == p.restored) continue;
        std::string what =
            p.statement ? fmt::format("its {} differs from the archive's at {}", p.name,
                                      first_difference(p.archived, p.restored))
                        : fmt::format("its {} is '{}', the archive's '{}'", p.name, p.restored,
                                      p.archived);
        out_.push_back({kind_of(kind, *w), w->name, ObjectFinding::changed, what});
      }
    }
  }

  void add(ObjectFinding f) const { out_.push_back(std::move(f)); }

 private:
  template <class Def>
  static std::string kind_of(const char* kind, const Def& def) {
    if constexpr (std::is_same_v<Def, RoutineDef>) return lower(def.type);
    (void)def;
    return kind;
  }

  std::vector<ObjectFinding>& out_;
};

template <class Def, class Key>
std::map<std::string, const Def*> by_key(const std::vector<Def>& defs, Key key) {
  std::map<std::string, const Def*> out;
  for (const Def& d : defs) out.emplace(key(d), &d);
  return out;
}

}  // namespace

std::string first_difference(std::string_view a, std::string_view b) {
  std::size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  if (i == a.size() && i == b.size()) return "";
  const std::size_t newline = i == 0 ? std::string_view::npos : a.rfind('\n', i - 1);
  const std::size_t line_start = newline == std::string_view::npos ? 0 : newline + 1;
  std::size_t line = 1 + static_cast<std::size_t>(std::count(a.begin(), a.begin() + i, '\n'));
  std::size_t column = i - line_start + 1;
  if (i == a.size())
    return fmt::format("line {}, column {}: the server's goes on with \"{}\" where the archive's ends",
                       line, column, line_from(b, i));
  if (i == b.size())
    return fmt::format("line {}, column {}: the archive's goes on with \"{}\" where the server's ends",
                       line, column, line_from(a, i));
  return fmt::format("line {}, column {}: the archive has \"{}\", the server \"{}\"", line, column,
                     line_from(a, i), line_from(b, i));
}

std::vector<ObjectFinding> compare_objects(Session& s, const DatabaseEntry& expected) {
  const std::string& db = expected.name;
  // Not the database itself: SHOW CREATE VIEW would leave its name out of the views' names.
  s.execute("USE information_schema",
            fmt::format("leaving database {} to read its objects back", db));
  const DatabaseObjects got = read_objects(s, db);
  const DatabaseObjects& want = expected.objects;
  std::vector<ObjectFinding> out;
  ObjectComparison cmp(out);

  auto routine_key = [](const RoutineDef& r) { return r.type + " " + r.name; };
  auto routines_want = by_key(want.routines, routine_key);
  auto routines_got = by_key(got.routines, routine_key);
  cmp.same_set("routine", routines_want, routines_got);
  cmp.same_properties("routine", routines_want, routines_got);

  auto name_key = [](const auto& d) { return d.name; };
  auto views_want = by_key(want.views, name_key);
  auto views_got = by_key(got.views, name_key);
  cmp.same_set("view", views_want, views_got);
  cmp.same_properties("view", views_want, views_got);

  // The triggers restore created: those of the archive's tables, without FOLLOWS/PRECEDES.
  std::set<std::string> tables;
  for (const TableEntry& t : expected.tables) tables.insert(t.def.name);
  std::vector<TriggerDef> created;
  for (const TriggerDef& t : want.triggers) {
    if (tables.count(t.table) == 0) continue;
    created.push_back(t);
    created.back().create_sql = trigger_restore_statement(t);
  }
  auto triggers_want = by_key(created, name_key);
  auto triggers_got = by_key(got.triggers, name_key);
  cmp.same_set("trigger", triggers_want, triggers_got);
  cmp.same_properties("trigger", triggers_want, triggers_got);
  // Firing order: within each table, timing and event, the server's order (ACTION_ORDER)
  // must be the archive's.
  std::map<std::string, std::vector<std::string>> fired;  // group -> names, in firing order
  std::map<std::string, std::string> group_of;
  for (const auto& row :
       s.query(fmt::format("SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_TIMING, "
                           "EVENT_MANIPULATION FROM information_schema.TRIGGERS WHERE "
                           "TRIGGER_SCHEMA = {} ORDER BY ACTION_ORDER",
                           quote_string(db)),
               fmt::format("reading the firing order of the triggers of {}", db))
           .rows) {
    std::string name = row.at(0).value_or("");
    std::string group = fmt::format("{} {} {}", row.at(2).value_or(""), row.at(3).value_or(""),
                                    row.at(1).value_or(""));
    fired[group].push_back(name);
    group_of[name] = group;
  }
  std::map<std::string, std::vector<std::string>> archived;
  for (const TriggerDef& t : created)
    if (auto g = group_of.find(t.name); g != group_of.end()) archived[g->second].push_back(t.name);
  for (const auto& [group, names] : archived) {
    std::vector<std::string> server = fired[group];
    // Only the triggers on both sides (one side only is a finding of its own).
    std::erase_if(server, [&](const std::string& n) { return triggers_want.count(n) == 0; });
    if (names == server) continue;
    std::size_t i = 0;
    while (i < names.size() && i < server.size() && names[i] == server[i]) ++i;
    const std::string& name = i < names.size() ? names[i] : server.at(i);
    cmp.add({"trigger", name, ObjectFinding::order,
             fmt::format("the {} triggers fire in the order {} on the server, {} in the archive",
                         group, fmt::join(server, ", "), fmt::join(names, ", "))});
  }

  auto events_want = by_key(want.events, name_key);
  auto events_got = by_key(got.events, name_key);
  cmp.same_set("event", events_want, events_got);
  cmp.same_properties("event", events_want, events_got);
  return out;
}

void prove_objects(Session& s, const DatabaseEntry& expected, const Manifest& archive,
                   std::vector<std::string>& warnings) {
  test_point("restore.proving-objects");
  const bool strict = std::string(flavor_name(s.server().flavor)) == archive.server_flavor &&
                      s.server().version == archive.server_version;
  for (const ObjectFinding& f : compare_objects(s, expected)) {
    const std::string object = expected.name + "." + f.name;
    switch (f.what) {
      case ObjectFinding::missing:
        throw Error(Errc::verify_failed, object,
                    fmt::format("{} {} is missing after the restore: the archive has it, the "
                                "server does not",
                                f.kind, object));
      case ObjectFinding::extra:
        throw Error(Errc::verify_failed, object,
                    fmt::format("{} {} is on the server after the restore but not in the archive",
                                f.kind, object));
      case ObjectFinding::order:
        throw Error(Errc::verify_failed, object, fmt::format("trigger {}: {}", object, f.detail));
      case ObjectFinding::changed: {
        std::string what = fmt::format("{} {}: {}", f.kind, object, f.detail);
        if (strict) throw Error(Errc::verify_failed, object, what);
        warnings.push_back(what + " (the target is another server version than the archive's "
                                  "source: it may write the same object differently)");
        break;
      }
    }
  }
}

}  // namespace omsbackup

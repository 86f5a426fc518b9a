#include "catalog/objects.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <set>
#include <tuple>

#include "omsbackup/error.h"
#include "sql/lexer.h"
#include "sql/object_rewrite.h"
#include "sql/quote.h"
#include "sql/session.h"

namespace omsbackup {

namespace {

using sql::Token;
using sql::TokenKind;

// Index of the first token of a view's SELECT: after "CREATE ... VIEW name AS", or 0
// when the text is the bare definition.
std::size_t view_body_start(const std::vector<Token>& toks) {
  if (toks.empty() || !toks[0].is_word("CREATE")) return 0;
  for (std::size_t i = 1; i < toks.size(); ++i) {
    if (!toks[i].is_word("VIEW")) continue;
    std::size_t j = i + 1;
    // The view's name: name or db.name.
    while (j < toks.size() &&
           (toks[j].kind == TokenKind::identifier || toks[j].kind == TokenKind::word) &&
           !toks[j].is_word("AS")) {
      ++j;
      if (j < toks.size() && toks[j].is_punct('.')) ++j;
      else break;
    }
    // A column list may follow: VIEW v (a, b) AS ...
    if (j < toks.size() && toks[j].is_punct('(')) {
      int depth = 0;
      for (; j < toks.size(); ++j) {
        if (toks[j].is_punct('(')) ++depth;
        if (toks[j].is_punct(')') && --depth == 0) {
          ++j;
          break;
        }
      }
    }
    if (j < toks.size() && toks[j].is_word("AS")) return j + 1;
    return i + 1;
  }
  return 0;
}

std::string text(const std::optional<std::string>& v) { return v.value_or(""); }

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Reads SHOW CREATE `what` (VIEW, PROCEDURE, FUNCTION, PACKAGE, PACKAGE BODY, TRIGGER,
// EVENT) of db.name: the statement into `create_sql`, the creation context into
// `context`. The row is the name, then sql_mode (not for a view), then time_zone (an
// event), the statement, character_set_client, collation_connection and Database
// Collation (not for a view), and maybe more (a trigger's Created). Returns the row, for
// what else it holds.
std::vector<std::optional<std::string>> show_create(Session& s, const std::string& what,
                                                    const std::string& db,
                                                    const std::string& name,
                                                    std::string& create_sql,
                                                    CreationContext& context) {
  const bool view = what == "VIEW";
  const std::size_t statement = view ? 1 : what == "EVENT" ? 3 : 2;
  const std::size_t columns = statement + (view ? 3 : 4);
  std::string object = fmt::format("{}.{}", db, name);
  std::string kind = what;
  for (char& c : kind) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  ResultSet r = s.query(fmt::format("SHOW CREATE {} {}", what, quote_qualified(db, name)),
                        fmt::format("reading the definition of {} {}", kind, object));
  if (r.rows.empty() || r.rows[0].size() < columns) {
    throw Error(Errc::server, object, fmt::format("SHOW CREATE {} returned nothing", what));
  }
  const auto& row = r.rows[0];
  if (!row[statement] || row[statement]->empty()) {
    throw Error(Errc::server, object,
                fmt::format("SHOW CREATE {} returned no definition (the user lacks the privilege "
                            "to see it: it needs to be the definer, or have SHOW_ROUTINE / "
                            "SELECT on mysql.proc, or TRIGGER / EVENT on the database)",
                            what));
  }
  create_sql = *row[statement];
  if (!view) context.sql_mode = text(row[1]);
  context.character_set_client = text(row[statement + 1]);
  context.collation_connection = text(row[statement + 2]);
  if (!view) context.database_collation = text(row[statement + 3]);
  return std::move(r.rows[0]);
}

std::vector<ViewDef> read_views(Session& s, const std::string& db) {
  ResultSet list = s.query(
      fmt::format("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = {} "
                  "AND TABLE_TYPE = 'VIEW'",
                  quote_string(db)),
      fmt::format("listing the views of {}", db));
  std::vector<ViewDef> views;
  for (const auto& row : list.rows) {
    ViewDef v;
    v.name = text(row[0]);
    show_create(s, "VIEW", db, v.name, v.create_sql, v);
    views.push_back(std::move(v));
  }
  return order_views(db, std::move(views));
}

std::vector<RoutineDef> read_routines(Session& s, const std::string& db) {
  // Every type: one this code does not know is refused below, never left out.
  ResultSet list = s.query(
      fmt::format("SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES "
                  "WHERE ROUTINE_SCHEMA = {}",
                  quote_string(db)),
      fmt::format("listing the stored routines of {}", db));
  std::vector<RoutineDef> routines;
  for (const auto& row : list.rows) {
    RoutineDef r;
    r.type = upper(text(row[0]));
    r.name = text(row[1]);
    if (!is_routine_type(r.type))
      throw Error(Errc::unsupported, fmt::format("{}.{}", db, r.name),
                  fmt::format("is a stored routine of type '{}', which omsbackup cannot archive "
                              "yet (it knows PROCEDURE, FUNCTION, PACKAGE and PACKAGE BODY); "
                              "back this database up with the server's own dump tool",
                              r.type));
    show_create(s, r.type, db, r.name, r.create_sql, r);
    routines.push_back(std::move(r));
  }
  std::sort(routines.begin(), routines.end(), [](const RoutineDef& a, const RoutineDef& b) {
    return std::tie(a.type, a.name) < std::tie(b.type, b.name);
  });
  return routines;
}

std::vector<TriggerDef> read_triggers(Session& s, const std::string& db) {
  ResultSet list = s.query(
      fmt::format("SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, "
                  "ACTION_ORDER FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = {}",
                  quote_string(db)),
      fmt::format("listing the triggers of {}", db));
  struct Listed {
    std::string table, timing, event;
    std::uint64_t order = 0;
    std::string name;
  };
  std::vector<Listed> listed;
  for (const auto& row : list.rows) {
    Listed l{text(row[1]), upper(text(row[2])), upper(text(row[3])), 0, text(row[0])};
    std::string order = text(row[4]);
    for (char c : order) {
      if (!std::isdigit(static_cast<unsigned char>(c))) break;
      l.order = l.order * 10 + static_cast<std::uint64_t>(c - '0');
    }
    listed.push_back(std::move(l));
  }
  std::sort(listed.begin(), listed.end(), [](const Listed& a, const Listed& b) {
    return std::tie(a.table, a.timing, a.event, a.order, a.name) <
           std::tie(b.table, b.timing, b.event, b.order, b.name);
  });
  std::vector<TriggerDef> triggers;
  for (const Listed& l : listed) {
    TriggerDef t;
    t.name = l.name;
    t.table = l.table;
    show_create(s, "TRIGGER", db, t.name, t.create_sql, t);
    triggers.push_back(std::move(t));
  }
  return triggers;
}

std::vector<EventDef> read_events(Session& s, const std::string& db) {
  ResultSet list = s.query(
      fmt::format("SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = {}",
                  quote_string(db)),
      fmt::format("listing the events of {}", db));
  std::vector<EventDef> events;
  for (const auto& row : list.rows) {
    EventDef e;
    e.name = text(row[0]);
    e.time_zone = text(show_create(s, "EVENT", db, e.name, e.create_sql, e)[2]);
    events.push_back(std::move(e));
  }
  std::sort(events.begin(), events.end(),
            [](const EventDef& a, const EventDef& b) { return a.name < b.name; });
  return events;
}

}  // namespace

void rename_database_in_objects(DatabaseObjects& objects, std::string_view from,
                                std::string_view to, bool keep_unquoted) {
  // Views are read back with the library's own sql_mode (backticks, backslash escapes);
  // the others are the statements as written, under their own sql_mode.
  const bool k = keep_unquoted;
  for (auto& v : objects.views)
    v.create_sql = rename_database_references(v.create_sql, from, to, {}, k);
  for (auto& r : objects.routines)
    r.create_sql = rename_database_references(r.create_sql, from, to, r.sql_mode, k);
  for (auto& t : objects.triggers)
    t.create_sql = rename_database_references(t.create_sql, from, to, t.sql_mode, k);
  for (auto& e : objects.events)
    e.create_sql = rename_database_references(e.create_sql, from, to, e.sql_mode, k);
}

bool is_routine_type(std::string_view type) {
  return type == "PROCEDURE" || type == "FUNCTION" || type == "PACKAGE" || type == "PACKAGE BODY";
}

std::vector<std::string> view_references(std::string_view definition, const std::string& db,
                                         const std::vector<std::string>& view_names,
                                         const std::string& self) {
  // SHOW CREATE VIEW writes identifiers with backticks whatever the view's sql_mode.
  std::vector<Token> toks = sql::statement_tokens(sql::lex(definition));
  std::set<std::string> names(view_names.begin(), view_names.end());
  std::set<std::string> found;
  auto add = [&](const std::string& n) {
    if (n != self && names.count(n) != 0) found.insert(n);
  };
  std::size_t i = view_body_start(toks);
  while (i < toks.size()) {
    if (toks[i].kind != TokenKind::identifier) {
      ++i;
      continue;
    }
    std::size_t first = i;
    std::vector<std::string> chain{toks[i].name()};
    while (i + 2 < toks.size() && toks[i + 1].is_punct('.') &&
           toks[i + 2].kind == TokenKind::identifier) {
      chain.push_back(toks[i + 2].name());
      i += 2;
    }
    std::size_t last = i++;
    const Token* prev = first > 0 ? &toks[first - 1] : nullptr;
    const Token* next = last + 1 < toks.size() ? &toks[last + 1] : nullptr;
    if (prev && (prev->is_punct('@') || prev->is_punct('.') || prev->is_word("AS"))) continue;
    if (next && (next->is_punct('@') || next->is_punct('('))) continue;
    switch (chain.size()) {
      case 1:  // `v`
        add(chain[0]);
        break;
      case 2:  // `db`.`v` or `v`.`column`
        if (chain[0] == db) add(chain[1]);
        add(chain[0]);
        break;
      case 3:  // `db`.`v`.`column`
        if (chain[0] == db) add(chain[1]);
        break;
      default:
        break;
    }
  }
  return {found.begin(), found.end()};
}

std::vector<ViewDef> order_views(const std::string& db, std::vector<ViewDef> views) {
  std::sort(views.begin(), views.end(),
            [](const ViewDef& a, const ViewDef& b) { return a.name < b.name; });
  const std::size_t n = views.size();
  std::vector<std::string> names;
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < n; ++i) {
    names.push_back(views[i].name);
    index.emplace(views[i].name, i);
  }
  std::vector<std::vector<std::size_t>> uses(n), used_by(n);
  std::vector<std::size_t> pending(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    for (const std::string& r : view_references(views[i].create_sql, db, names, views[i].name)) {
      std::size_t j = index.at(r);
      uses[i].push_back(j);
      used_by[j].push_back(i);
      ++pending[i];
    }
  }
  // Kahn's algorithm, always taking the ready view with the smallest name.
  std::set<std::size_t> ready;
  for (std::size_t i = 0; i < n; ++i)
    if (pending[i] == 0) ready.insert(i);
  std::vector<std::size_t> order;
  while (!ready.empty()) {
    std::size_t i = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(i);
    for (std::size_t k : used_by[i])
      if (--pending[k] == 0) ready.insert(k);
  }
  if (order.size() < n) {
    // Every view left uses a view that is also left: walking those uses must loop.
    std::size_t start = 0;
    while (pending[start] == 0) ++start;
    std::vector<std::size_t> path;
    std::vector<int> seen_at(n, -1);
    std::size_t v = start;
    while (seen_at[v] < 0) {
      seen_at[v] = static_cast<int>(path.size());
      path.push_back(v);
      std::size_t next = n;
      for (std::size_t u : uses[v])
        if (pending[u] != 0 && (next == n || u < next)) next = u;
      v = next;
    }
    std::vector<std::string> cycle;
    for (std::size_t k = static_cast<std::size_t>(seen_at[v]); k < path.size(); ++k)
      cycle.push_back(fmt::format("{}.{}", db, views[path[k]].name));
    cycle.push_back(cycle.front());
    std::vector<std::string> stuck;
    for (std::size_t i = 0; i < n; ++i)
      if (pending[i] != 0) stuck.push_back(fmt::format("{}.{}", db, views[i].name));
    throw Error(Errc::unsupported, cycle.front(),
                fmt::format("views reference each other in a cycle ({}); cannot order the views "
                            "{} for restore",
                            fmt::join(cycle, " -> "), fmt::join(stuck, ", ")));
  }
  std::vector<ViewDef> out;
  out.reserve(n);
  for (std::size_t i : order) out.push_back(std::move(views[i]));
  return out;
}

DatabaseObjects read_objects(Session& s, const std::string& db, const CatalogOptions& options) {
  DatabaseObjects o;
  o.views = read_views(s, db);
  if (options.routines) o.routines = read_routines(s, db);
  if (options.triggers) o.triggers = read_triggers(s, db);
  if (options.events) o.events = read_events(s, db);
  return o;
}

}  // namespace omsbackup

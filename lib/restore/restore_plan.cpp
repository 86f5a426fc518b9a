#include "restore/restore_plan.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "catalog/table_filter.h"
#include "omsbackup/error.h"
#include "restore/objects.h"
#include "restore/privileges.h"
#include "sql/connection_room.h"
#include "sql/quote.h"
#include "util/shell_quote.h"

namespace omsbackup {

std::vector<ChosenDatabase> choose_databases(const Manifest& m,
                                             const std::vector<std::string>& databases,
                                             const std::map<std::string, std::string>& rename,
                                             std::vector<std::string>& warnings) {
  std::set<std::string> wanted(databases.begin(), databases.end());
  // --rename without --databases restores the renamed databases only: a restore under
  // another name (to compare before switching) must not replace the others as well.
  if (wanted.empty() && !rename.empty()) {
    for (const auto& [from, to] : rename) wanted.insert(from);
    std::vector<std::string> left;
    for (const auto& d : m.databases)
      if (!wanted.count(d.name)) left.push_back(d.name);
    if (!left.empty())
      warnings.push_back(fmt::format(
          "--rename without --databases restores only the renamed database(s); not restored: "
          "{} (name them with --databases to restore them too)",
          fmt::join(left, ", ")));
  }
  for (const auto& [from, to] : rename) {
    (void)to;
    bool found = false;
    for (const auto& d : m.databases) found = found || d.name == from;
    if (!found)
      throw Error(Errc::invalid_argument, "--rename " + from,
                  "the archive holds no database of that name (see omsrestore --check)");
  }
  for (const auto& name : wanted) {
    bool found = false;
    for (const auto& d : m.databases) found = found || d.name == name;
    if (!found)
      throw Error(Errc::invalid_argument, name,
                  "the archive holds no database of that name (see omsrestore --check)");
  }
  std::vector<ChosenDatabase> out;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < m.databases.size(); ++i) {
    const DatabaseEntry& d = m.databases[i];
    if (!wanted.empty() && !wanted.count(d.name)) continue;
    auto it = rename.find(d.name);
    std::string target = it == rename.end() ? d.name : it->second;
    if (target.empty() || target.size() > 64 * 4)
      throw Error(Errc::invalid_argument, "--rename " + d.name, "invalid target database name");
    if (!seen.insert(target).second)
      throw Error(Errc::invalid_argument, target, "two databases would be restored into it");
    out.push_back(ChosenDatabase{i, target});
  }
  return out;
}

void RestorePlanner::choose_targets() {
  for (const ChosenDatabase& c :
       choose_databases(st_.m, st_.o.databases, st_.o.rename, st_.report.warnings))
    st_.targets.push_back(
        Target{c.index, &st_.m.databases[c.index], staging_names(c.target, st_.o.in_place)});
  // A staging or old name must not be another target: building one would overwrite it.
  for (const Target& t : st_.targets)
    for (const Target& u : st_.targets)
      if (&t != &u && (t.names.work == u.names.name || t.names.old == u.names.name))
        throw Error(Errc::invalid_argument, u.names.name,
                    fmt::format("cannot be restored together with {}: it is the name the "
                                "restore of {} uses for its staging or old copy; restore one "
                                "of them under another name (--rename) or use --in-place",
                                t.names.name, t.names.name));
}

void RestorePlanner::preflight(Session& s) {
  const ServerInfo& srv = s.server();
  if (std::string(flavor_name(srv.flavor)) != st_.m.server_flavor) {
    st_.report.warnings.push_back(fmt::format(
        "the archive comes from {} {} and the target is {} {}: DDL written by one may not apply "
        "on the other",
        st_.m.server_flavor, st_.m.server_version, flavor_name(srv.flavor), srv.version));
  }
  std::string local_infile = s.scalar("SELECT @@local_infile", "checking local_infile").value_or("0");
  bool can_load_data = local_infile == "1" || local_infile == "ON";
  switch (st_.o.load_method) {
    case LoadMethod::load_data:
      if (!can_load_data)
        throw Error(Errc::unsupported, "--load-method=load-data",
                    "the server has local_infile=OFF; use --load-method=insert, or ask the DBA to "
                    "SET GLOBAL local_infile=1");
      st_.use_insert = false;
      break;
    case LoadMethod::insert: st_.use_insert = true; break;
    case LoadMethod::automatic: st_.use_insert = !can_load_data; break;
  }
  st_.report.load_method = st_.use_insert ? "insert" : "load-data";
  // What the target cannot hold exactly is refused here, before anything changes.
  for (const auto& t : st_.targets) {
    for (const auto& te : t.entry->tables)
      if (te.check_violations != 0 && srv.flavor != ServerFlavor::mariadb)
        throw Error(Errc::unsupported, t.entry->name + "." + te.def.name,
                    fmt::format("the archive holds {} row(s) of this table that break its CHECK "
                                "constraints (stored on MariaDB with check_constraint_checks=0), "
                                "and {} {} enforces CHECK constraints on every load: they cannot "
                                "be restored exactly. Restore to MariaDB, or fix those rows at the "
                                "source and dump again",
                                te.check_violations, flavor_name(srv.flavor), srv.version));
    if (!supports_database_comment(srv) && !database_comment_literal(*t.entry).empty())
      throw Error(Errc::unsupported, t.entry->name,
                  fmt::format("the archived database has a COMMENT ({}), and {} {} keeps no "
                              "comment per database: the restored database would lose it. "
                              "Restore it to MariaDB 10.5 or later",
                              database_comment_literal(*t.entry), flavor_name(srv.flavor),
                              srv.version));
  }
  st_.insert_limits = server_insert_limits(s);
  check_privileges(s);
  check_left_out(s);
  st_.threads = fit_threads(s, st_.o.threads, st_.report.warnings);
  st_.report.threads = st_.threads;
}

// The privileges each database of the restore needs, named before anything changes. Only
// when SHOW GRANTS tells the whole story (no role, every line understood) is a missing one
// a refusal; otherwise a warning.
void RestorePlanner::check_privileges(Session& s) {
  const Grants grants = read_grants(s);
  std::vector<std::string> lacking, lacking_in_place;
  auto need = [&](std::vector<std::string>& out, const std::string& db,
                  const std::vector<std::string>& privileges) {
    std::vector<std::string> m = missing_privileges(grants, db, privileges);
    if (!m.empty()) out.push_back(fmt::format("{} on {}", fmt::join(m, ", "), quote_identifier(db)));
  };
  for (const Target& t : st_.targets) {
    const DatabaseObjects& obj = t.entry->objects;
    // Loading, indexing, proving and (for --resume) clearing and waiting for the tables.
    std::vector<std::string> build = {"CREATE", "DROP", "ALTER", "INDEX", "INSERT", "SELECT",
                                      "DELETE", "LOCK TABLES"};
    // Creating and reading back the objects in the target.
    std::vector<std::string> objects = {"SELECT"};
    if (!obj.views.empty()) objects.insert(objects.end(), {"CREATE VIEW", "SHOW VIEW", "DROP"});
    if (!obj.routines.empty()) objects.insert(objects.end(), {"CREATE ROUTINE", "ALTER ROUTINE"});
    if (!obj.triggers.empty()) objects.push_back("TRIGGER");
    if (!obj.events.empty()) objects.push_back("EVENT");
    // --in-place: everything in the target itself.
    std::vector<std::string> in_place = build;
    in_place.insert(in_place.end(), objects.begin(), objects.end());
    need(lacking_in_place, t.names.name, in_place);
    if (st_.o.in_place) continue;
    need(lacking, t.names.work, build);
    need(lacking, t.names.old, {"CREATE", "DROP", "ALTER", "INSERT"});  // RENAME TABLE into it
    std::vector<std::string> swap = {"CREATE", "DROP", "ALTER", "INSERT"};  // RENAME, ALTER DATABASE
    swap.insert(swap.end(), objects.begin(), objects.end());
    need(lacking, t.names.name, swap);
  }
  if (st_.o.in_place) lacking = lacking_in_place;
  if (lacking.empty()) return;
  std::string what = fmt::format("the user lacks privileges the restore needs: {}", fmt::join(lacking, "; "));
  if (!grants.complete) {
    st_.report.warnings.push_back(what + " (as far as SHOW GRANTS shows: privileges may also come "
                                      "from a role; the restore stops at the first refusal, "
                                      "before any swap)");
    return;
  }
  throw Error(Errc::unsupported, s.endpoint(),
              fmt::format("{}. Grant them, {}; nothing was changed", what,
                          !st_.o.in_place && lacking_in_place.empty()
                              ? "or restore with --in-place (DROP DATABASE, then load in place: "
                                "it needs privileges on the target databases only, but drops "
                                "them before the new copy is proven)"
                              : "then run omsrestore again"));
}

// A table the dump left out on purpose is not in the archive, and the swap (which moves
// every base table of the live database to the old copy) or the in-place DROP DATABASE
// (which takes everything) would take it away. Tables that are merely missing from the
// archive (created after the dump, e.g. by an upgrade being rolled back) are dropped as
// intended: only the recorded --include/--exclude patterns decide.
void RestorePlanner::check_left_out(Session& s) {
  const TableFilter filter = TableFilter::from_recorded(st_.m.options);
  if (filter.empty() || st_.o.drop_excluded) return;
  for (const auto& t : st_.targets) {
    std::set<std::string> archived;
    for (const auto& te : t.entry->tables) archived.insert(te.def.name);
    // Exactly what each mode would take away: the swap moves base tables (the same list
    // it moves), DROP DATABASE takes everything.
    for (const auto& table : st_.o.in_place ? non_view_tables(s, t.names.name)
                                         : base_tables(s, t.names.name)) {
      if (archived.count(table) != 0 || filter.selects(t.entry->name, table)) continue;
      throw Error(Errc::invalid_argument, t.names.name + "." + table,
                  fmt::format("exists in the live database but the dump left it out "
                              "(--include/--exclude), and the restore replaces the whole "
                              "database: it would be dropped. Stopped before changing anything "
                              "in this run. To keep it, dump it on its own first (omsdump "
                              "--include {}); then, or to let it go, pass --drop-excluded",
                              shell_quote(TableFilter::literal_pattern(t.names.name, table))));
    }
  }
}

// The plan a dry run prints: what would be restored where, and how.
std::vector<std::string> RestorePlanner::describe() const {
  std::vector<std::string> plan;
  plan.push_back(fmt::format("archive verified: {} database(s) from {} {}", st_.m.databases.size(),
                             st_.m.server_flavor, st_.m.server_version));
  for (const auto& t : st_.targets) {
    std::uint64_t rows = 0, chunks = 0;
    for (const auto& te : t.entry->tables) {
      rows += te.rows;
      chunks += te.chunks.size();
    }
    plan.push_back(fmt::format(
        "{} -> {}: {} tables, {} chunks, {} rows, {} views, {} routines, {} triggers, {} events; {}",
        t.entry->name, t.names.name, t.entry->tables.size(), chunks, rows,
        t.entry->objects.views.size(), t.entry->objects.routines.size(),
        t.entry->objects.triggers.size(), t.entry->objects.events.size(),
        st_.o.in_place ? "DROP DATABASE then load in place"
                       : fmt::format("built in {}, proven, swapped in; the old tables wait in {} "
                                     "until then",
                                     t.names.work, t.names.old)));
  }
  plan.push_back(fmt::format("load method: {}", st_.report.load_method));
  return plan;
}

}  // namespace omsbackup

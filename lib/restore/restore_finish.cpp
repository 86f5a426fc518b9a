#include "restore/restore_finish.h"

#include <fmt/format.h>

#include "omsbackup/error.h"
#include "restore/ddl_proof.h"
#include "restore/objects.h"
#include "sql/quote.h"
#include "util/test_hook.h"

namespace omsbackup {

// Before the first swap changes anything live: waits until no other connection holds a
// lock on the live tables, so that a timeout or a cancel while waiting leaves them as
// they were, with their views, triggers, routines and events.
void RestoreFinisher::wait_before_swaps(Session& s) {
  if (st_.o.in_place) return;  // DROP DATABASE takes all its locks before it drops anything
  std::vector<std::string> live;
  for (const auto& t : st_.targets)
    if (!st_.resumed.has(t.index, Phase::swapped)) live.push_back(t.names.name);
  wait_for_live_tables(s, live);
}

void RestoreFinisher::finish_database(Session& s, const Target& t) {
  if (!st_.o.in_place && !st_.resumed.has(t.index, Phase::swapped)) {
    bool swapped_already = st_.resumed.has(t.index, Phase::swapping) &&
                           database_exists(s, t.names.work) &&
                           base_tables(s, t.names.work).empty() && !t.entry->tables.empty();
    st_.journal->phase(t.index, Phase::swapping);
    st_.live_changed(t);
    test_point("restore.swapping");
    if (!swapped_already) swap_in(s, t.names, *t.entry, st_.m.server_flavor);
    st_.journal->phase(t.index, Phase::swapped);
    test_point("restore.swapped");
  }
  st_.renamed = true;  // its tables are in: from here on the restore is finished, not cancelled
  if (!st_.o.in_place) repair_foreign_keys(s, t);
  if (!st_.resumed.has(t.index, Phase::objects)) {
    DatabaseEntry target = retarget(*t.entry, t.names.name);
    drop_objects(s, t.names.name);  // a resumed run may have created some already
    create_routines(s, target);
    test_point("restore.routines-created");
    create_views(s, target);
    create_triggers(s, target);
    create_events(s, target);
    if (st_.o.verify) prove_objects(s, target, st_.m, st_.report.warnings);
    st_.journal->phase(t.index, Phase::objects);
    test_point("restore.objects");
  }
  // What the server now holds under the target name, as a user will see it: every table's
  // DDL (foreign keys included) and the database's own options.
  if (st_.o.verify) check_ddl(st_, s, t, t.names.name, true);
  if (!st_.o.in_place) {
    s.execute(fmt::format("DROP DATABASE IF EXISTS {}", quote_identifier(t.names.old)),
              fmt::format("dropping the previous copy {}", t.names.old));
    test_point("restore.old-dropped");
    s.execute(fmt::format("DROP DATABASE IF EXISTS {}", quote_identifier(t.names.work)),
              fmt::format("dropping the empty staging database {}", t.names.work));
  }
  st_.journal->phase(t.index, Phase::finished);
  {
    std::lock_guard lock(st_.mu);
    st_.finished.insert(t.index);
  }
  test_point("restore.finished");
}

// RENAME TABLE took the foreign keys that pointed at the live tables along into the old
// copy: point them at the restored tables again (each journaled before it is dropped, so
// a crash between its drop and its add is repaired by --resume).
void RestoreFinisher::repair_foreign_keys(Session& s, const Target& t) {
  for (const auto& [db, r] : st_.resumed.foreign_keys) {
    if (db != t.index) continue;
    const std::string schema = r.value("schema", ""), table = r.value("table", ""),
                      name = r.value("name", "");
    if (!foreign_key_exists(s, schema, table, name))
      s.execute(r.value("add_sql", ""),
                fmt::format("adding back foreign key {} of {}.{}", name, schema, table));
  }
  // The old copies go; staging copies not swapped in yet are future live tables.
  std::set<std::string> dropped_anyway;
  for (const Target& u : st_.targets) dropped_anyway.insert(u.names.old);
  for (const ForeignKeyRepair& r : foreign_keys_into(s, t.names.old, t.names.name, dropped_anyway)) {
    st_.journal->foreign_key(t.index, {{"schema", r.schema}, {"table", r.table}, {"name", r.name},
                                    {"add_sql", r.add_sql}});
    s.execute(r.drop_sql, fmt::format("dropping {} to point it at the restored table", r.what));
    test_point("restore.foreign-key-dropped");
    s.execute(r.add_sql, fmt::format("pointing {} at the restored table", r.what));
  }
}

}  // namespace omsbackup

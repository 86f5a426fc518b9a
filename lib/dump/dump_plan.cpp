// The dump's catalog and plan, before any lock is taken: every database's catalog, the
// tables the filter selects (refusing what cannot be archived), and per table its chunks
// (or, for a pruned table, its newest rows), as the readers' tasks.
#include "dump/dump_plan.h"

#include <fmt/format.h>

#include "dump/check_violations.h"
#include "omsbackup/error.h"
#include "util/shell_quote.h"
#include "util/test_hook.h"

namespace omsbackup {

DumpPlan plan_dump(Session& coordinator, const DumpOptions& options, const TableFilter& filter,
                   const PruneInput& pruning, const PruneReport& pruned) {
  CatalogOptions copts;
  copts.triggers = options.triggers;
  DumpPlan plan;
  std::vector<DatabaseDef>& defs = plan.defs;
  std::vector<std::vector<TableWork>>& work = plan.work;
  std::vector<Task>& tasks = plan.tasks;
  // Planning many tables takes a while (a string key is walked with one query per chunk):
  // a cancel is obeyed between tables, before any file is written.
  const char* kPlanningCancelled = "cancelled by the caller while planning; nothing was written";
  for (std::size_t di = 0; di < options.databases.size(); ++di) {
    throw_if_cancelled(options.cancel, options.databases[di], kPlanningCancelled);
    defs.push_back(read_database(coordinator, options.databases[di], copts));
    test_point("dump.cataloged");
    DatabaseDef& db = defs.back();
    auto& tables = work.emplace_back();
    std::erase_if(db.tables, [&](const TableDef& t) { return !filter.selects(db.name, t.name); });
    // Leaving one out silently would make an archive that restores without it.
    for (const auto& [object, what] : db.unsupported) {
      if (!filter.selects(db.name, object)) continue;
      throw Error(Errc::unsupported, db.name + "." + object,
                  fmt::format("has {} in information_schema.TABLES, which omsdump cannot "
                              "archive yet; leave it out with --exclude {} if a restore may go "
                              "without it, or back this database up with mariadb-dump",
                              what, shell_quote(TableFilter::literal_pattern(db.name, object))));
    }
    // A trigger goes with its table.
    std::erase_if(db.objects.triggers,
                  [&](const TriggerDef& t) { return !filter.selects(db.name, t.table); });
    if (db.tables.empty() && !options.allow_empty)
      throw Error(Errc::invalid_argument, db.name,
                  "has no tables to dump (or none that match --include/--exclude); an archive "
                  "missing a database's data is refused — check the name, or pass --allow-empty");
    const std::map<std::string, std::uint64_t> check_violations =
        count_check_violations(coordinator, db.name);
    for (std::size_t ti = 0; ti < db.tables.size(); ++ti) {
      throw_if_cancelled(options.cancel, db.name + "." + db.tables[ti].name, kPlanningCancelled);
      TableWork tw;
      tw.entry.def = db.tables[ti];
      if (auto it = check_violations.find(tw.entry.def.name); it != check_violations.end())
        tw.entry.check_violations = it->second;
      if (!tw.entry.def.ddl_only.empty()) {
        // Its rows are another table's or another server's (a MERGE table's are its UNION
        // tables'): its DDL only, no scan, no chunk; a restore loads nothing into it.
        tables.push_back(std::move(tw));
        continue;
      }
      std::optional<std::string> newest_by;
      if (pruning.newest_by) newest_by = pruning.newest_by(coordinator, db.name, tw.entry.def.name);
      if (newest_by) {
        // Only the newest rows, chosen by the reader inside the snapshot.
        const std::string& key = *newest_by;
        ChunkSpec keep;  // its predicate is set by the reader, inside the snapshot
        keep.lower = fmt::format("newest {} by {}", pruning.keep_rows, key);
        keep.estimated_rows = pruning.keep_rows;
        tw.plan.chunks.push_back(keep);
        tw.plan.estimated_rows = pruning.keep_rows;
        tw.entry.chunk_key = {key};
        tw.pruned = true;
      } else {
        tw.plan = plan_table(coordinator, db.name, tw.entry.def, PlanOptions{options.chunk_bytes});
        test_point("dump.planned");
      }
      if (tw.plan.key)
        for (const auto& p : tw.plan.key->parts) tw.entry.chunk_key.push_back(p.column);
      for (const auto& pt : pruned.tables)
        if (pt.database == db.name && pt.table == tw.entry.def.name) tw.deleted = pt.deleted;
      tw.results.resize(tw.plan.chunks.size());
      tw.pending = tw.plan.chunks.size();
      for (std::size_t ci = 0; ci < tw.plan.chunks.size(); ++ci)
        tasks.push_back(Task{di, ti, ci, tw.plan.chunks[ci], tw.plan.split_by_size});
      plan.estimated += tw.plan.estimated_bytes;
      plan.chunk_total += tw.plan.chunks.size();
      ++plan.table_total;
      tables.push_back(std::move(tw));
    }
  }

  return plan;
}

}  // namespace omsbackup

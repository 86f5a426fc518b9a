// The dump's plan: the catalog of every database and the readers' tasks (one per planned
// chunk of each table), made by plan_dump() before any lock is taken.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "archive/manifest.h"
#include "catalog/catalog.h"
#include "catalog/table_filter.h"
#include "omsbackup/dump.h"
#include "omsbackup/error.h"
#include "plan/planner.h"
#include "plan/prune_input.h"
#include "util/cancel.h"

namespace omsbackup {

class Session;

// One unit of work: one planned chunk of one table (or a whole keyless table).
struct Task {
  std::size_t db = 0, table = 0, chunk = 0;
  ChunkSpec spec;
  bool split_by_size = false;
};

struct TableWork {
  TableEntry entry;
  TablePlan plan;
  bool pruned = false;
  std::uint64_t deleted = 0;  // rows pruned on the source before the dump
  std::vector<std::vector<ChunkInfo>> results;  // per planned chunk: its files
  std::size_t pending = 0;
  std::uint64_t raw_read = 0;  // encoded bytes read so far (progress)
};

struct DumpPlan {
  std::vector<DatabaseDef> defs;
  std::vector<std::vector<TableWork>> work;  // per database, per table
  std::vector<Task> tasks;
  std::uint64_t estimated = 0, chunk_total = 0, table_total = 0;
};


// Reads the catalog of `options.databases` and plans every table `filter` selects; tables
// `pruning` names keep only their newest rows; `pruned` says what was deleted before. A
// cancel is obeyed between tables. Throws naming an object that cannot be archived.
DumpPlan plan_dump(Session& coordinator, const DumpOptions& options, const TableFilter& filter,
                   const PruneInput& pruning, const PruneReport& pruned);

}  // namespace omsbackup

// Pruning as the dump's planner sees it: which tables keep only their newest rows, by which
// key, and what is deleted on the source before the dump. lib/oms fills it in from the
// --prune-* options (oms/prune.h, prune_input()); the dump knows nothing of OMS.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "omsbackup/prune.h"

namespace omsbackup {

class Session;

struct PruneInput {
  // Filter mode: the key column of a table of which only the newest `keep_rows` rows are
  // dumped (chosen by the reader, inside the snapshot); std::nullopt for every other table.
  // Throws Error naming a table to prune that has no usable key. Empty: no table is pruned.
  std::function<std::optional<std::string>(Session&, const std::string& db, const std::string& table)>
      newest_by;
  std::uint64_t keep_rows = 0;
  // Remove mode: deletes the older rows on the source before the catalog is read, outside
  // any snapshot, in short transactions; what it deleted per table. Not called on a dry run.
  // Empty: nothing is deleted.
  std::function<PruneReport(const std::atomic<bool>* cancel)> remove;
  // What the manifest's options record of it ("prune", "prune_tables", "prune_keep_rows").
  std::map<std::string, std::string> recorded;
};

}  // namespace omsbackup

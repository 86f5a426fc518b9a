// omsbackup — pruning append-only tables such as OMS's heartbeat table, whose rows
// exist only to hand out AUTO_INCREMENT ids: only the newest rows matter.
#pragma once

#include "omsbackup/export.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "omsbackup/connection.h"

namespace omsbackup {

enum class PruneMode {
  none,    // dump every row
  filter,  // the source is not touched; the dump keeps only the newest rows (in its snapshot)
  remove,  // delete the older rows on the source, in small batches, before the dump
};

struct PruneOptions {
  PruneMode mode = PruneMode::none;
  // "db.table" glob patterns (fnmatch) of the tables to prune.
  std::vector<std::string> tables = {"*.heatbeat_sequence"};
  std::uint64_t keep_rows = 1;       // the newest rows by key that are kept
  std::uint64_t batch_rows = 10000;  // rows per DELETE transaction (remove mode)
};

struct PruneProgress {
  std::string table;  // db.table
  std::uint64_t deleted = 0;
};

struct PruneReport {
  struct Table {
    std::string database, table, key;
    std::uint64_t deleted = 0, kept = 0;
  };
  std::vector<Table> tables;
};

// Deletes, in each matching table of `databases`, every row but the `keep_rows` with
// the highest single-column key, with `DELETE ... WHERE key < ? ORDER BY key LIMIT n`
// in a loop (one short transaction each; never the self-referencing subquery that
// MySQL refuses with ERROR 1093). The AUTO_INCREMENT counter is kept (the newest row
// stays). Safe to interrupt and run again.
OMSBACKUP_API PruneReport prune(const ConnectionOptions& connection, const std::vector<std::string>& databases,
                  const PruneOptions& options,
                  const std::function<void(const PruneProgress&)>& on_progress = {},
                  const std::atomic<bool>* cancel = nullptr);

OMSBACKUP_API const char* prune_mode_name(PruneMode mode) noexcept;

}  // namespace omsbackup

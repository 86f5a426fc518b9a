// The chunk planner: splits a table into chunks by its key, so that chunks can be read
// (and later proven) independently, each selected by an SQL predicate.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "plan/chunk_key.h"

namespace omsbackup {

class Session;

struct PlanOptions {
  std::uint64_t chunk_bytes = 64ull << 20;  // target uncompressed size of a chunk
};

struct ChunkSpec {
  std::string where;         // SQL predicate selecting exactly this chunk's rows; "" = whole table
  std::string order_by;      // e.g. "ORDER BY `id`" (may be empty)
  std::string lower, upper;  // human-readable bounds for messages ("" = unbounded)
  std::uint64_t estimated_rows = 0, estimated_bytes = 0;
};

struct TablePlan {
  std::optional<ChunkKey> key;
  std::vector<ChunkSpec> chunks;  // at least one; disjoint predicates that together cover every row
  bool split_by_size = false;     // true when there is no usable key: one scan, the caller cuts files by size
  std::uint64_t estimated_rows = 0, estimated_bytes = 0;
};

// Plans `db`.`table.name`. Reads the estimates from information_schema.TABLES (never
// relied on for correctness) and, for a keyed table, a few key values: MIN/MAX and index
// probes for a single integer key, boundary tuples (keyset walk) for any other key.
// The predicates cover every row that exists when the chunks are read, including rows
// inserted after planning (the first chunk is open below, the last open above).
// Throws Error naming db.table.
TablePlan plan_table(Session& s, const std::string& db, const TableDef& table,
                     const PlanOptions& o);

}  // namespace omsbackup

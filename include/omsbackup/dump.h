// omsbackup — dump databases into a verified archive.
#pragma once

#include "omsbackup/export.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "omsbackup/connection.h"
#include "omsbackup/encryption.h"
#include "omsbackup/lock_wait.h"
#include "omsbackup/prune.h"

namespace omsbackup {

// How the parallel readers agree on one view of the data.
enum class Consistency {
  automatic,  // lock if the server and privileges allow it, else snapshot
  lock,       // FLUSH TABLES WITH READ LOCK held only while the readers start their snapshots
  snapshot,   // per-reader snapshots, checked against the binary log position before/after
  none,       // no coordination (each reader's own snapshot)
};

// Progress, reported from the worker threads (one call at a time).
struct DumpProgress {
  std::uint64_t tables_total = 0, tables_done = 0;
  // Chunk files: a table cut by size adds its files to the total as they are written, so
  // the final counts equal the files in the archive.
  std::uint64_t chunks_total = 0, chunks_done = 0;
  std::uint64_t rows = 0, raw_bytes = 0, stored_bytes = 0;
  // raw_bytes plus what the planner's estimates say is still to read (per table, never
  // below zero): estimated_bytes - raw_bytes never grows when a table completes.
  std::uint64_t estimated_bytes = 0;
  double seconds = 0;
};

struct DumpOptions {
  ConnectionOptions connection;
  std::vector<std::string> databases;  // at least one
  // Glob patterns (fnmatch) over "db.table": a table is dumped if it matches an include
  // pattern (or there are none) and no exclude pattern.
  std::vector<std::string> include_tables, exclude_tables;
  // The archive directory to create; must not exist. "-": the archive is written to standard
  // output as one stream (docs/archive-format.md section 10) instead; the chunk files wait in
  // a private spool under `spool_dir` only until they are streamed (at most one per reader).
  std::string output;
  std::string spool_dir;               // for output "-": empty = $TMPDIR, else /tmp
  // Reader connections; 0 = the number of cores, lowered to what the server accepts (with a
  // warning). More than the server accepts (max_connections less those open) is refused.
  unsigned threads = 0;
  std::uint64_t chunk_bytes = 64ull << 20;  // target uncompressed size of a chunk
  int compress_level = 1;              // zstd level, 1..19 (1: fastest; see docs/benchmarks.md)
  // With a key: every file of the archive, manifest included, is encrypted and
  // authenticated with AES-256-GCM (docs/archive-format.md section 9).
  EncryptionOptions encryption;
  Consistency consistency = Consistency::automatic;
  bool triggers = true;                // false: --skip-triggers (the old --triggers=false)
  // Heartbeat pruning. filter: matching tables contribute only their newest rows (read in
  // the dump's snapshot; the source is untouched); remove: the older rows are deleted on
  // the source in small batches before the dump. The DDL keeps the AUTO_INCREMENT counter.
  PruneOptions prune;
  // Refuse to complete an archive in which a requested database has no tables.
  bool allow_empty = false;
  bool dry_run = false;                // plan only: nothing is written
  std::function<void(const DumpProgress&)> on_progress;  // optional
  // Optional: a statement has waited a few seconds for a lock another connection holds
  // (called from a watcher thread, again about every 10 s while it waits).
  std::function<void(const LockWait&)> on_lock_wait;
  // Optional: set to stop the dump; a statement waiting for a lock is stopped at once.
  const std::atomic<bool>* cancel = nullptr;
};

struct ChunkReport {
  std::string lower, upper;
  std::uint64_t rows = 0, raw_bytes = 0, stored_bytes = 0;
  std::uint64_t estimated_rows = 0, estimated_bytes = 0;
};

struct TableReport {
  std::string database, table;
  std::vector<std::string> chunk_key;  // empty: no usable key, one scan cut by size
  bool pruned = false;                 // only the newest rows were kept (--prune-heartbeat)
  std::uint64_t pruned_deleted = 0;    // rows deleted on the source (prune mode remove)
  // Not empty: only the table's DDL was archived, because its rows are not its own
  // ("merge": its UNION tables'; "remote": another server's; "blackhole": it has none).
  std::string ddl_only;
  std::uint64_t rows = 0, chunks = 0, raw_bytes = 0, stored_bytes = 0;
  std::uint64_t estimated_rows = 0, estimated_bytes = 0;
  std::vector<ChunkReport> chunk_list;
};

struct OMSBACKUP_API DumpReport {
  std::string archive;      // empty for a dry run
  std::string consistency;  // what was achieved: lock, snapshot, snapshot-unverified, none
  std::string key_id;       // an encrypted archive's key id (16 hex digits); empty: plaintext
  unsigned threads = 0;
  std::vector<std::string> warnings;  // e.g. the default --threads lowered to fit the server
  std::vector<TableReport> tables;
  double seconds = 0;
  std::uint64_t total_rows() const;
  std::uint64_t total_stored_bytes() const;
  std::uint64_t total_raw_bytes() const;
};

// Dumps the databases into options.output. On failure throws omsbackup::Error naming
// the database, table and chunk, and removes what it wrote: an archive without its
// completion marker is never left looking complete.
OMSBACKUP_API DumpReport dump(const DumpOptions& options);

OMSBACKUP_API const char* consistency_name(Consistency c) noexcept;

}  // namespace omsbackup

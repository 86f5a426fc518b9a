// omsbackup — restore databases from an archive.
#pragma once

#include "omsbackup/export.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "omsbackup/connection.h"
#include "omsbackup/encryption.h"
#include "omsbackup/lock_wait.h"

namespace omsbackup {

enum class LoadMethod {
  automatic,  // LOAD DATA LOCAL INFILE when the server allows it, else INSERT
  load_data,  // LOAD DATA LOCAL INFILE fed from the archive stream (no temporary files)
  insert,     // multi-row INSERT statements
};

struct RestoreProgress {
  std::string phase;  // "load", "index", "prove", "swap", "objects"
  std::uint64_t chunks_total = 0, chunks_done = 0;
  std::uint64_t rows = 0, raw_bytes = 0, raw_bytes_total = 0;
  double seconds = 0;
};

struct RestoreOptions {
  ConnectionOptions connection;
  // The archive directory; or a stream (docs/archive-format.md section 10): "-" for standard
  // input, or a stream file. A stream is spooled whole into a private directory under
  // `spool_dir` (it needs the archive's size on disk) and verified before anything else.
  std::string archive;
  std::string spool_dir;                    // for a stream: empty = $TMPDIR, else /tmp
  // The key of an encrypted archive. A missing or wrong key, or a key with a plaintext
  // archive, is refused before the server is contacted.
  EncryptionOptions encryption;
  std::vector<std::string> databases;       // restore only these (archive names); empty = all
  std::map<std::string, std::string> rename;  // archive name -> target name (rm_331 -> rm_400)
  // Loader connections; 0 = the number of cores, lowered to what the server accepts (with a
  // warning). More than the server accepts (max_connections less those open) is refused.
  unsigned threads = 0;
  LoadMethod load_method = LoadMethod::automatic;
  // false (default): build each database under a staging name, prove it, then swap it
  // in and drop the old copy. true: the old procedure — DROP DATABASE, CREATE DATABASE,
  // load — for servers where a staging copy is impossible. Either way nothing is
  // dropped before the archive is verified.
  bool in_place = false;
  // A restore replaces whole databases. When the archive was dumped with --include or
  // --exclude and a live target database holds a table those patterns left out, the
  // restore is refused (it would drop that table with the old copy) unless this is set.
  bool drop_excluded = false;
  bool verify = true;       // prove row counts and content digests after loading
  bool skip_binlog = false;  // SET sql_log_bin = 0 (needs privilege)
  bool dry_run = false;      // verify, connect, check and print the plan; change nothing
  bool resume = false;       // continue an interrupted restore from its journal
  std::string journal;       // default: "<archive>.restore-journal"
  std::function<void(const RestoreProgress&)> on_progress;  // optional
  // Optional: a statement has waited a few seconds for a lock another connection holds
  // (called from a watcher thread, again about every 10 s while it waits).
  std::function<void(const LockWait&)> on_lock_wait;
  // Optional. Set, it stops the restore before the first swap (Errc::cancelled; the journal
  // stays for `resume`); a statement waiting for a lock is stopped at once (KILL QUERY), also
  // the swap's RENAME while no database's RENAME has completed. Once one has, the restore
  // finishes instead, with a warning, so that no database is left restored while another is
  // not.
  const std::atomic<bool>* cancel = nullptr;
};

struct RestoreReport {
  std::vector<std::string> databases;  // target names
  std::uint64_t tables = 0, chunks = 0, rows = 0, raw_bytes = 0;
  std::string load_method;             // "load-data" or "insert"
  bool staged = false, verified = false, resumed = false;
  unsigned threads = 0;
  std::vector<std::string> plan;       // what a dry run would do, one line per step
  std::vector<std::string> warnings;   // findings that did not stop the restore
  double seconds = 0;
};

// Verifies the whole archive, then restores its databases and proves every table's
// row count and content digest against the archive. Throws omsbackup::Error on
// failure; a bad archive fails before the server is touched, and with staging (the
// default) the live databases are replaced only after their new copies are proven.
OMSBACKUP_API RestoreReport restore(const RestoreOptions& options);

// `omsrestore ARCHIVE --to-sql FILE|-`: the archive as an SQL script that the plain
// mariadb/mysql client loads, for a host without omsrestore (docs/to-sql.md).
struct ExportSqlOptions {
  // The archive directory, or a stream ("-" for standard input, or a stream file), spooled
  // whole under `spool_dir` (empty = $TMPDIR, else /tmp) and removed when done.
  std::string archive;
  std::string spool_dir;
  EncryptionOptions encryption;               // the key of an encrypted archive
  std::vector<std::string> databases;         // only these (archive names); empty = all
  std::map<std::string, std::string> rename;  // archive name -> name in the script
  // The file to write (mode 0600, written as FILE.partial and renamed when complete; an
  // existing FILE is refused), or "-" for standard output.
  std::string output;
  // The longest multi-row INSERT, in bytes; a row longer than this gets an INSERT of its own.
  std::size_t statement_bytes = 1024 * 1024;
  const std::atomic<bool>* cancel = nullptr;  // optional: stops between statements
};

struct ExportSqlReport {
  std::vector<std::string> databases;  // the names in the script
  std::uint64_t tables = 0, rows = 0, objects = 0;
  std::uint64_t bytes = 0;              // written
  std::uint64_t longest_statement = 0;  // bytes: what max_allowed_packet must take
  std::vector<std::string> warnings;
  double seconds = 0;
};

// Verifies the whole archive (deep: every chunk's rows against its digest) before a byte
// is written, then writes the script: session settings, each database dropped and created
// with its archived options, its tables from their archived SHOW CREATE TABLE and their
// rows as INSERTs of hex literals, then routines, views, triggers and events with their
// own settings. No server is contacted. Throws omsbackup::Error; a failure leaves no
// output file (a partial script may have reached standard output).
OMSBACKUP_API ExportSqlReport export_sql(const ExportSqlOptions& options);

}  // namespace omsbackup

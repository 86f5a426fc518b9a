// omsbackup — compare an archive with the live databases before a rollback: what a restore
// of the archive would undo. Reads only; changes nothing on the server.
#pragma once

#include "omsbackup/export.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "omsbackup/connection.h"
#include "omsbackup/encryption.h"

namespace omsbackup {

struct DiffOptions {
  ConnectionOptions connection;
  // The archive directory, or a stream ("-" for standard input, or a stream file), spooled
  // whole under `spool_dir` (empty = $TMPDIR, else /tmp) and removed when done.
  std::string archive;
  std::string spool_dir;
  // The key of an encrypted archive (its manifest is encrypted too).
  EncryptionOptions encryption;
  // As for restore(): compare only these databases of the archive (archive names), and
  // archive database SRC with live database DST. --rename without --databases compares the
  // renamed databases only, as a restore would restore only them.
  std::vector<std::string> databases;
  std::map<std::string, std::string> rename;
};

// What a table (or a table-like name) looks like on each side.
enum class DiffState {
  same,                // same definition, AUTO_INCREMENT, row count and content digest
  rows_changed,        // same definition; the rows differ (count or content digest)
  definition_changed,  // SHOW CREATE TABLE differs (AUTO_INCREMENT aside); rows maybe too
  counter_changed,     // only the AUTO_INCREMENT counter differs
  only_in_archive,     // the live database has no such table (dropped since, or no database)
  only_live,           // created since the dump: a restore drops it
  excluded,            // live only, and the dump's --include/--exclude left it out
  kind_changed,        // a table on one side, a view (or a SEQUENCE, ...) on the other
};
OMSBACKUP_API const char* diff_state_name(DiffState state) noexcept;

struct TableDiff {
  std::string name;
  DiffState state = DiffState::same;
  std::string archive_kind, live_kind;  // "table", "view", "TABLE_TYPE 'SEQUENCE'", "" (none)
  // Row counts; unset where that side has no rows to count (no table there, or a table
  // archived DDL only, ddl_only).
  std::optional<std::uint64_t> archive_rows, live_rows;
  // Whether the rows are the same (count and content digest); unset when not compared: a
  // table on one side only, DDL only, or a column list that changed (digests not comparable).
  std::optional<bool> rows_same;
  bool definition_differs = false;
  std::optional<std::uint64_t> archive_auto_increment, live_auto_increment;
  bool auto_increment_differs = false;
  std::string ddl_only;  // the archive's ddl_only reason ("merge", "remote", "blackhole")
  std::string detail;    // where the definitions first differ, or why rows were not compared
};

// A view, routine, trigger or event that differs or exists on one side only.
struct ObjectDiff {
  std::string kind;   // "view", "procedure", "function", "package", "trigger", "event", ...
  std::string name;
  std::string state;  // "only in archive", "only live", "changed"
  std::string detail;
};

struct DatabaseDiff {
  std::string archive_name, live_name;  // live_name differs with --rename
  bool live_exists = true;
  bool definition_differs = false;  // SHOW CREATE DATABASE (charset, collation, comment)
  std::string detail;
  std::vector<TableDiff> tables;  // by name
  std::vector<ObjectDiff> objects;
};

struct DiffReport {
  std::vector<DatabaseDiff> databases;
  bool identical = true;        // nothing differs: a restore would change nothing the diff sees
  std::uint64_t tables_compared = 0, tables_differing = 0, objects_differing = 0;
  std::string digest;           // "sha256-sum" (format 1, 2) or "xxh3-128-sum" (format 3)
  bool read_only = false;       // the snapshot was a READ ONLY transaction
  std::vector<std::string> warnings;
  double seconds = 0;
};

// Verifies the archive as a restore does (DONE marker, manifest, every file's size and
// SHA-256; the key first), then reads every live table of the compared databases in one
// consistent snapshot (START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY where the server
// has it) with the restore's proof (the same SELECT list, encoding and content digest), and
// compares definitions, row counts and digests with the archive's. Writes nothing, creates
// nothing, takes no lock but the reads' own. Throws omsbackup::Error on failure.
OMSBACKUP_API DiffReport diff(const DiffOptions& options);

}  // namespace omsbackup

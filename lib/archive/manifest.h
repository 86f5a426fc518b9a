// The archive's manifest: what was dumped, from where, and every file with its
// size and SHA-256. See docs/archive-format.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "catalog/catalog.h"

namespace omsbackup {

// Version 1: a plaintext archive. Version 2: an encrypted one (the same manifest, sealed).
// Version 3: either, with XXH3-128 instead of SHA-256 in the rows' content digest (the DONE
// marker's "encryption" entry says whether it is encrypted). Writers write version 3;
// readers read all three (docs/archive-format.md section 8).
inline constexpr int kPlainFormatVersion1 = 1;
inline constexpr int kEncryptedFormatVersion2 = 2;
inline constexpr int kFormatVersion = 3;
// True for the versions this omsbackup reads.
inline constexpr bool is_readable_format_version(int v) { return v >= 1 && v <= kFormatVersion; }
inline constexpr const char* kFormatName = "omsbackup-archive";
inline constexpr const char* kManifestFile = "manifest.json";
inline constexpr const char* kEncryptedManifestFile = "manifest.json.enc";
inline constexpr const char* kDoneFile = "DONE";

struct ChunkInfo {
  std::string file;             // path relative to the archive root
  std::string lower, upper;     // key range as text, for messages ("" when unbounded)
  // The SQL predicate that selects exactly this chunk's rows (empty: the chunk is one
  // of several files cut by size from a scan of the whole table).
  std::string where;
  std::uint64_t rows = 0;
  std::uint64_t raw_bytes = 0;  // encoded rows, uncompressed
  std::uint64_t stored_bytes = 0;
  std::string sha256;           // of the file as stored
  std::string digest;           // content digest (ContentDigest::sum_hex of the archive's kind)
};

struct TableEntry {
  TableDef def;
  std::vector<std::string> chunk_key;  // columns the chunks are ordered and split by
  std::uint64_t rows = 0;
  std::vector<ChunkInfo> chunks;
  // Rows that break the table's own CHECK constraints (MariaDB stores them for a session
  // with check_constraint_checks=0), counted by the dump: only a server that can load
  // with the checks off restores them.
  std::uint64_t check_violations = 0;
};

struct DatabaseEntry {
  std::string name;
  std::string charset;
  std::string collation;
  std::string create_sql;
  std::vector<TableEntry> tables;
  // Views (in dependency order), routines, triggers (in firing order per table, timing
  // and event) and events: created after every table is loaded, in that order by kind
  // (routines before views, since a view may call a stored function).
  DatabaseObjects objects{};
};

struct FileEntry {
  std::string path;
  std::uint64_t size = 0;
  std::string sha256;
};

struct Manifest {
  int format_version = kFormatVersion;
  std::string tool_version;
  std::string server_flavor, server_version;
  std::string started_at, finished_at;  // UTC, ISO 8601
  std::string consistency;              // what the dump achieved: lock, snapshot, none
  std::map<std::string, std::string> options;  // options used, for the record (no secrets)
  std::vector<DatabaseEntry> databases;
  std::vector<FileEntry> files;  // every data file in the archive

  std::string to_json() const;
  // Parses and validates the structure; throws Error(corrupt_archive) naming the
  // manifest and the offending key.
  static Manifest from_json(std::string_view text);
};

}  // namespace omsbackup

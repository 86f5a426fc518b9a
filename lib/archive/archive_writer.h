// Writes an archive directory: chunk files (zstd, hashed as stored), then the
// manifest, then the DONE marker — each atomically (.partial, fsync, rename,
// directory fsync). Until commit() succeeds the archive is not complete, and a
// writer destroyed before that removes everything it wrote. With an ArchiveCipher, every
// file (chunks and manifest) is encrypted (docs/archive-format.md section 9).
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "archive/archive_stream.h"
#include "archive/atomic_file.h"
#include "archive/encryption.h"
#include "archive/hashing_file.h"
#include "util/env.h"
#include "archive/manifest.h"
#include "archive/zstd_stream.h"

namespace omsbackup {

class ArchiveWriter;

// One finished chunk file: its entry in the manifest's file list (the path as stored, with
// ".enc" when encrypted; the size and SHA-256 of the bytes on disk) and how many bytes were
// written into it before compression.
struct ChunkRecord {
  FileEntry file;
  std::uint64_t raw_bytes = 0;
};

// One chunk file being written, from ArchiveWriter::new_chunk(): rows go through zstd (then,
// with a cipher, the encrypting writer) into a HashingFile over the atomic file, so the one
// size and SHA-256 are those of the bytes stored. Not thread-safe; one per worker. Must not
// outlive its ArchiveWriter. Dropped without finish() (or after a failure), it removes its
// partial file and is never listed.
class ChunkWriter {
 public:
  ChunkWriter(const ChunkWriter&) = delete;
  ChunkWriter& operator=(const ChunkWriter&) = delete;

  void write(std::string_view encoded_rows) { zstd_.write(encoded_rows); }
  std::uint64_t raw_bytes() const { return zstd_.raw_bytes(); }
  const std::string& path() const { return rel_path_; }
  // Ends the stream, commits the file, adds its entry to the archive's file list and
  // returns its record. If it throws, nothing is listed.
  ChunkRecord finish();

 private:
  friend class ArchiveWriter;
  ChunkWriter(ArchiveWriter& archive, std::string rel_path, int level);

  ArchiveWriter& archive_;
  std::string rel_path_;
  AtomicFileWriter file_;
  HashingFile stored_;
  std::unique_ptr<EncryptingWriter> sealer_;  // null: a plaintext archive
  ZstdWriter zstd_;
};

class ArchiveWriter {
 public:
  // Creates `dir` (mode 0700). It must not exist yet, so that nothing of the
  // user's is ever overwritten or removed. With `cipher`, the archive is encrypted.
  // With `stream`, `dir` is only a spool: each finished chunk file is put into the stream
  // and removed, commit() puts the manifest and DONE after them and ends the stream, and
  // the spool is removed whatever happens (docs/archive-format.md section 10).
  ArchiveWriter(Env& env, std::string dir, std::shared_ptr<ArchiveCipher> cipher = nullptr,
                StreamWriter* stream = nullptr);
  ~ArchiveWriter();
  ArchiveWriter(const ArchiveWriter&) = delete;
  ArchiveWriter& operator=(const ArchiveWriter&) = delete;

  // Thread-safe. Starts chunk file `chunk_no` of table `table_no` of database `db_no` (all
  // 1-based, as in the manifest), at chunk_file_path(), creating its directories as needed.
  std::unique_ptr<ChunkWriter> new_chunk(std::size_t db_no, std::size_t table_no,
                                         std::size_t chunk_no, int level);

  // Sets manifest.files and writes the manifest and then the DONE marker.
  void commit(Manifest& manifest);
  // Removes everything written so far (what the destructor does when not committed).
  void abort() noexcept;

  const std::string& dir() const { return dir_; }

 private:
  friend class ChunkWriter;
  // Thread-safe. Records a finished file for the manifest's file list.
  void add_file(FileEntry entry);

  Env& env_;
  std::string dir_;
  std::shared_ptr<ArchiveCipher> cipher_;
  StreamWriter* stream_;
  std::mutex mu_;
  std::set<std::string> made_dirs_;
  std::vector<FileEntry> files_;
  bool committed_ = false;
  bool aborted_ = false;
};

// The path of chunk file `chunk_no` of table `table_no` of database `db_no` (all 1-based)
// in an archive: data/DDDD/TTTTT-CCCCCC.tsv.zst, with ".enc" appended when `encrypted`
// (docs/archive-format.md sections 1 and 9.1).
std::string chunk_file_path(std::size_t db_no, std::size_t table_no, std::size_t chunk_no,
                            bool encrypted);

// Removes a directory tree without following symlinks. Never throws.
void remove_tree(Env& env, const std::string& path) noexcept;

}  // namespace omsbackup

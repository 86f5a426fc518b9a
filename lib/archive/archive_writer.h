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

#include "archive/atomic_file.h"
#include "archive/encryption.h"
#include "archive/env.h"
#include "archive/hashing_file.h"
#include "archive/manifest.h"
#include "archive/zstd_stream.h"

namespace omsbackup {

// One compressed (and, with a cipher, encrypted) chunk file being written: zstd (then the
// encrypting writer) into a HashingFile over the atomic file, so the size and SHA-256 are
// those of the bytes stored. Not thread-safe; one per worker.
class ChunkWriter {
 public:
  ChunkWriter(Env& env, const std::string& root, std::string rel_path, int level,
              ArchiveCipher* cipher = nullptr);
  void write(std::string_view encoded_rows) { zstd_.write(encoded_rows); }
  std::uint64_t raw_bytes() const { return zstd_.raw_bytes(); }
  // Ends the stream and commits the file; returns its entry for the manifest.
  FileEntry finish();

 private:
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
  ArchiveWriter(Env& env, std::string dir, std::shared_ptr<ArchiveCipher> cipher = nullptr);
  ~ArchiveWriter();
  ArchiveWriter(const ArchiveWriter&) = delete;
  ArchiveWriter& operator=(const ArchiveWriter&) = delete;

  // Thread-safe. Creates the file's directories as needed. An encrypted archive's file
  // gets ".enc" appended to `rel_path`.
  std::unique_ptr<ChunkWriter> new_chunk(const std::string& rel_path, int level);
  // Thread-safe. Records a finished file for the manifest's file list.
  void add_file(FileEntry entry);

  // Sets manifest.files and writes the manifest and then the DONE marker.
  void commit(Manifest& manifest);
  // Removes everything written so far (what the destructor does when not committed).
  void abort() noexcept;

  const std::string& dir() const { return dir_; }

 private:
  Env& env_;
  std::string dir_;
  std::shared_ptr<ArchiveCipher> cipher_;
  std::mutex mu_;
  std::set<std::string> made_dirs_;
  std::vector<FileEntry> files_;
  bool committed_ = false;
  bool aborted_ = false;
};

// Removes a directory tree without following symlinks. Never throws.
void remove_tree(Env& env, const std::string& path) noexcept;

}  // namespace omsbackup

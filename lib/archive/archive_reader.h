// Reads and verifies an archive. verify_archive() proves that an archive is complete
// and untouched before a restore changes anything.
#pragma once

#include <memory>
#include <string>

#include "archive/encryption.h"
#include "util/env.h"
#include "archive/manifest.h"
#include "archive/zstd_stream.h"

namespace omsbackup {

struct VerifyOptions {
  // Also decompress every chunk and check its row count and content digest
  // against the manifest (slower; a file hash already proves the bytes).
  bool deep = false;
  // The key: required for an encrypted archive, refused with a plaintext one.
  const SecretKey* key = nullptr;
};

// A verified archive: its manifest, and how to read its files.
struct OpenedArchive {
  Manifest manifest;
  std::string manifest_file;    // manifest.json, or manifest.json.enc when encrypted
  std::string manifest_sha256;  // of that file as stored
  std::shared_ptr<const ArchiveCipher> cipher;  // null: a plaintext archive
};

// Checks the DONE marker (and, first of all, for an encrypted archive, that the key is
// the archive's), the manifest's size and SHA-256 (and its authentication), the format
// version, that every listed path is a safe relative path, that every listed file exists
// with its size and SHA-256, that no unlisted file, symlink or other entry is present,
// and that the manifest's chunks and file list agree. Throws Error(corrupt_archive)
// naming the file and the problem; Error(invalid_argument) for a missing, unneeded or
// wrong key.
OpenedArchive open_archive(Env& env, const std::string& dir, const VerifyOptions& options = {});
// open_archive(), for its manifest.
Manifest verify_archive(Env& env, const std::string& dir, const VerifyOptions& options = {});

// True when `path` is a relative path of plain components (no "..", ".", empty
// component, leading '/', backslash or control character).
bool is_safe_relative_path(const std::string& path);

// Streams the decompressed rows of one chunk file (decrypted first, with a cipher).
class ChunkReader {
 public:
  ChunkReader(Env& env, const std::string& root, const std::string& rel_path,
              const ArchiveCipher* cipher = nullptr);
  std::size_t read(char* buf, std::size_t n) { return zstd_.read(buf, n); }

 private:
  std::unique_ptr<SequentialFile> file_;
  std::unique_ptr<DecryptingReader> opener_;  // null: a plaintext archive
  ZstdReader zstd_;
};

}  // namespace omsbackup

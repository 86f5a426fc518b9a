// HashingFile: a WritableFile layer that passes every byte on to another file and keeps
// their count and SHA-256. An archive file's stack of stream writers (zstd, then
// encryption when the archive is encrypted) sits on one of these over the atomic file, so
// the size and hash recorded in the manifest are those of exactly the bytes stored,
// whichever layers are above.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/env.h"
#include "util/sha256.h"

namespace omsbackup {

class HashingFile final : public WritableFile {
 public:
  // `sink` is not owned and must outlive the layer. `path` names the file in errors.
  HashingFile(WritableFile& sink, std::string path);

  // Appends to the sink, then counts and hashes `data`: bytes the sink refused are not
  // counted, and after a failure the layer can no longer be used.
  void append(std::string_view data) override;
  void sync() override { sink_.sync(); }
  void close() override { sink_.close(); }

  // Bytes appended so far.
  std::uint64_t bytes() const { return bytes_; }
  // Ends the hash: the SHA-256 of every byte appended. Once; no append after it.
  Sha256Digest finish();

 private:
  void check_usable(std::string_view doing) const;

  WritableFile& sink_;
  std::string path_;
  Sha256 hash_;
  std::uint64_t bytes_ = 0;
  bool finished_ = false;
  bool failed_ = false;
};

}  // namespace omsbackup

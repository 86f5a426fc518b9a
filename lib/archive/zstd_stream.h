// Streaming zstd compression into a WritableFile and decompression from a SequentialFile,
// with fixed-size buffers only. The writer stores what it is given and counts it; what it
// stores is measured (size, SHA-256) by the layer below it (HashingFile, hashing_file.h).
// The reader can hash the compressed bytes it reads.
//
// Frames carry a content checksum (ZSTD_c_checksumFlag), so the reader detects corruption.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "util/env.h"
#include "util/sha256.h"

struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s;

namespace omsbackup {

class ZstdWriter {
 public:
  // `sink` is not owned and must outlive the writer; the writer never closes it. `level` is a
  // zstd level (clamped to the library's range); `workers` > 0 compresses on that many threads
  // when libzstd supports it (else single-threaded). `path` names the file in error messages.
  ZstdWriter(WritableFile& sink, int level, int workers = 0, std::string path = {});
  ~ZstdWriter();
  ZstdWriter(const ZstdWriter&) = delete;
  ZstdWriter& operator=(const ZstdWriter&) = delete;

  // Compresses `data`, appending compressed output to the sink as the output buffer fills.
  void write(std::string_view data);
  // Ends the frame and flushes everything to the sink (does not sync or close it).
  void finish();

  // Bytes given to write() so far (before compression).
  std::uint64_t raw_bytes() const { return raw_bytes_; }

 private:
  void check_usable(std::string_view doing) const;
  void emit(std::size_t size);

  WritableFile& sink_;
  std::string path_;
  std::unique_ptr<ZSTD_CCtx_s, std::size_t (*)(ZSTD_CCtx_s*)> cctx_;
  std::unique_ptr<char[]> out_;
  std::size_t out_size_;
  std::uint64_t raw_bytes_ = 0;
  bool finished_ = false;
  bool failed_ = false;
};

class ZstdReader {
 public:
  // `source` is not owned and must outlive the reader. `path` names the file in messages.
  // `hash` false skips the SHA-256 of the compressed bytes (stored_sha256() then throws).
  ZstdReader(SequentialFile& source, std::string path, bool hash = true);
  ~ZstdReader();
  ZstdReader(const ZstdReader&) = delete;
  ZstdReader& operator=(const ZstdReader&) = delete;

  // Decompresses up to n bytes into buf; returns how many (possibly fewer than n), 0 at the end
  // of the data. Throws Errc::corrupt_archive naming the file if the data is not zstd, is
  // truncated (the file ends inside a frame) or fails its checksum. Concatenated frames are
  // read as one stream.
  std::size_t read(char* buf, std::size_t n);

  // Decompressed bytes returned so far.
  std::uint64_t raw_bytes() const { return raw_bytes_; }
  // Compressed bytes read from the file so far.
  std::uint64_t stored_bytes() const { return stored_bytes_; }
  // SHA-256 of all compressed bytes of the file; only after read() returned 0.
  const Sha256Digest& stored_sha256() const;

  const std::string& path() const { return path_; }

 private:
  [[noreturn]] void corrupt(const std::string& message);

  SequentialFile& source_;
  std::string path_;
  bool hash_enabled_;
  std::unique_ptr<ZSTD_DCtx_s, std::size_t (*)(ZSTD_DCtx_s*)> dctx_;
  std::unique_ptr<char[]> in_;
  std::size_t in_capacity_;
  std::size_t in_size_ = 0;
  std::size_t in_pos_ = 0;
  Sha256 hash_;
  Sha256Digest digest_{};
  std::uint64_t raw_bytes_ = 0;
  std::uint64_t stored_bytes_ = 0;
  bool eof_ = false;             // the file returned 0
  bool frame_complete_ = false;  // the last ZSTD_decompressStream call ended a frame
  bool done_ = false;            // read() returned 0
  bool failed_ = false;          // read() threw
};

}  // namespace omsbackup

// Cuts a chunk's rows (the archive's row dialect, as a byte stream) into batches of whole
// rows, each loaded by its own statement and transaction. InnoDB spends much more per row
// on one huge transaction than on several smaller ones (measured: a 1.2M-row LOAD DATA
// cost the server 1.6x the CPU of the same rows in four statements; docs/benchmarks.md),
// and a batch held in memory can be sent again after a deadlock without touching the rest
// of the chunk.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

namespace omsbackup {

class RowBatches {
 public:
  using Source = std::function<std::size_t(char*, std::size_t)>;  // returns 0 at the end

  RowBatches(Source source, std::size_t target_bytes)
      : source_(std::move(source)), target_(target_bytes) {}

  // Replaces `batch` with the next rows: whole rows (every one ending in '\n') of at least
  // target_bytes in all, fewer only at the end of the stream, more when one row is longer.
  // Bytes after the last newline of the stream (a truncated row) come in the final batch
  // as they are, for the loader to refuse. Returns false once the stream is exhausted.
  bool next(std::string& batch);

 private:
  Source source_;
  std::size_t target_;
  std::string carry_;  // read past the previous batch's last row
  bool eof_ = false;
};

}  // namespace omsbackup

// Streaming decoder for the row dialect written by RowEncoder (see row_encoder.h).
// Accepts the escapes \\ \0 \t \n \r \Z and, for compatibility, \b (backspace); \N only as a
// whole field. Other bytes, including raw NUL, CR and 0x1A, are taken verbatim.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "codec/row.h"

namespace omsbackup {

class RowDecoder {
 public:
  // `object` names the data in error messages (a file, a database.table, a chunk).
  explicit RowDecoder(std::string object = "row data") : object_(std::move(object)) {}

  // Appends a piece of the stream; pieces may split rows and escapes anywhere. The bytes are
  // copied. To keep memory at one partial row plus one piece, call next_row() until it
  // returns false before feeding the next piece.
  void feed(std::string_view bytes);
  // Decodes the next complete row into `out`; false when no complete row is buffered.
  // Throws Errc::corrupt_archive on an invalid escape or a misplaced \N, naming the row
  // number (1-based) and the byte offset in the stream.
  bool next_row(Row& out);
  // The encoded bytes of the row returned last by next_row(), without its newline: what
  // ContentDigest hashes. Valid until the next feed() or next_row().
  std::string_view encoded_row() const {
    return std::string_view(buf_).substr(last_begin_, last_end_ - last_begin_);
  }
  // Call at the end of the stream. Throws Errc::corrupt_archive if bytes remain that are not
  // a complete row (truncated data), Errc::internal if complete rows were left unread.
  void finish() const;

  // Rows returned by next_row() so far.
  std::uint64_t rows() const noexcept { return rows_; }
  // Stream bytes consumed by those rows, newlines included.
  std::uint64_t consumed() const noexcept { return base_ + pos_; }
  // Bytes held in memory (unread rows and the partial row).
  std::size_t buffered() const noexcept { return buf_.size(); }

 private:
  void decode(std::size_t begin, std::size_t end, Row& out) const;
  [[noreturn]] void fail(std::size_t at, const std::string& what) const;

  std::string object_;
  std::string buf_;
  std::size_t pos_ = 0;   // start of the unread bytes in buf_
  std::size_t scan_ = 0;  // buf_[pos_, scan_) holds no newline
  std::uint64_t base_ = 0;  // stream offset of buf_[0]
  std::uint64_t rows_ = 0;
  std::size_t last_begin_ = 0;
  std::size_t last_end_ = 0;
};

}  // namespace omsbackup

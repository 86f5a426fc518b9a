// Encodes rows in the escaped tab-separated dialect that MySQL/MariaDB read with
//   LOAD DATA ... CHARACTER SET binary
//   FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n'
// A field is its bytes with \ NUL TAB LF CR 0x1A escaped as \\ \0 \t \n \r \Z; SQL NULL is \N.
// Fields are separated by one tab; a row ends with one newline and has at least one field.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "codec/row.h"

namespace omsbackup {

// Appends `bytes` escaped (no separator, no newline) to `out`.
void append_escaped(std::string& out, std::string_view bytes);

class RowEncoder {
 public:
  RowEncoder() = default;
  explicit RowEncoder(std::size_t reserve_bytes) { buf_.reserve(reserve_bytes); }

  // Appends one field to the current row.
  void field(std::string_view bytes);
  void null_field();
  // Ends the current row with a newline. Throws Errc::internal if the row has no field.
  void end_row();
  // Appends all fields of `row` and ends the row.
  void add_row(const Row& row);

  // The encoded bytes of the row ended last, without its newline: what ContentDigest hashes.
  // Valid until the next call that changes the encoder.
  std::string_view last_row() const {
    return std::string_view(buf_).substr(last_begin_, last_end_ - last_begin_);
  }
  // Everything encoded since clear(), including an unfinished row.
  const std::string& buffer() const noexcept { return buf_; }
  std::size_t size() const noexcept { return buf_.size(); }
  // Rows ended since clear().
  std::size_t rows() const noexcept { return rows_; }
  // True between the first field of a row and its end_row().
  bool in_row() const noexcept { return fields_in_row_ != 0; }
  // Discards everything, including an unfinished row; keeps the capacity.
  void clear() noexcept;

 private:
  void separate() {
    if (fields_in_row_ != 0) buf_.push_back('\t');
    ++fields_in_row_;
  }

  std::string buf_;
  std::size_t row_begin_ = 0;
  std::size_t last_begin_ = 0;
  std::size_t last_end_ = 0;
  std::size_t fields_in_row_ = 0;
  std::size_t rows_ = 0;
};

}  // namespace omsbackup

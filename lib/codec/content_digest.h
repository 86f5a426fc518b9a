// An order-independent digest of a set of rows: the row count and the sum modulo 2^256 of
// SHA-256(encoded row without its newline), each hash read as a big-endian 256-bit integer.
// A sum rather than an XOR, so that duplicate rows do not cancel out. Dump computes it on
// encode (RowEncoder::last_row), restore on decode (RowDecoder::encoded_row).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/sha256.h"

namespace omsbackup {

class ContentDigest {
 public:
  void add_row(std::string_view encoded_row);
  // Adds a row whose SHA-256 is already known.
  void add_hash(const Sha256Digest& row_hash);
  // Adds the rows of `other`: the digest of the union of both row sets.
  void merge(const ContentDigest& other);

  std::uint64_t rows() const noexcept { return rows_; }
  // The sum as 64 lowercase hex digits, big-endian.
  std::string sum_hex() const;
  // Rebuilds a digest from rows() and sum_hex(). Throws Errc::corrupt_archive unless
  // `sum_hex` is 64 lowercase hex digits, and zero when `rows` is zero.
  static ContentDigest from(std::uint64_t rows, std::string_view sum_hex);

  bool operator==(const ContentDigest& other) const = default;

 private:
  std::uint64_t rows_ = 0;
  std::array<std::uint64_t, 4> sum_{};  // little-endian limbs: sum_[0] is the least significant
};

}  // namespace omsbackup

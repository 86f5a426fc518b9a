// An order-independent digest of a set of rows: the row count and the sum of one hash per
// row (the encoded row without its newline), each hash read as a big-endian integer. A sum
// rather than an XOR, so that duplicate rows do not cancel out. Dump computes it on encode
// (RowEncoder::last_row), restore on decode (RowDecoder::encoded_row) and when it reads the
// restored rows back. docs/archive-format.md section 5.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/sha256.h"

namespace omsbackup {

// Which hash the rows are summed by; an archive's format version decides it.
enum class DigestKind : std::uint8_t {
  sha256_sum,    // format versions 1 and 2: SHA-256 per row, the sum modulo 2^256 (64 hex digits)
  xxh3_128_sum,  // format version 3: XXH3-128 per row, the sum modulo 2^128 (32 hex digits)
};

// The digest an archive of `format_version` records (versions 1 and 2: SHA-256 sums; from
// version 3: XXH3-128 sums). The caller has checked that the version is one it reads.
DigestKind digest_kind_of(int format_version);

class ContentDigest {
 public:
  explicit ContentDigest(DigestKind kind) : kind_(kind) {}

  void add_row(std::string_view encoded_row);
  // Adds a row whose SHA-256 is already known (a sha256_sum digest only).
  void add_hash(const Sha256Digest& row_hash);
  // Adds the rows of `other`: the digest of the union of both row sets. Throws
  // Errc::internal if `other` is of another kind.
  void merge(const ContentDigest& other);

  DigestKind kind() const noexcept { return kind_; }
  std::uint64_t rows() const noexcept { return rows_; }
  // The sum as lowercase hex digits, big-endian: 64 for sha256_sum, 32 for xxh3_128_sum.
  std::string sum_hex() const;
  // Rebuilds a digest from rows() and sum_hex(). Throws Errc::corrupt_archive unless
  // `sum_hex` is as many lowercase hex digits as the kind has, and zero when `rows` is zero.
  static ContentDigest from(DigestKind kind, std::uint64_t rows, std::string_view sum_hex);

  bool operator==(const ContentDigest& other) const = default;

 private:
  DigestKind kind_;
  std::uint64_t rows_ = 0;
  std::array<std::uint64_t, 4> sum_{};  // little-endian limbs: sum_[0] is the least significant
};

}  // namespace omsbackup

#include "codec/content_digest.h"

#include <optional>

#include <fmt/format.h>
#include <xxhash.h>

#include "omsbackup/error.h"
#include "util/hex.h"

namespace omsbackup {

namespace {

using Limbs = std::array<std::uint64_t, 4>;

// Limbs a kind's sum has: 256 bits for SHA-256 sums, 128 for XXH3-128 sums.
std::size_t limbs_of(DigestKind kind) { return kind == DigestKind::sha256_sum ? 4 : 2; }

// sum += addend modulo 2^(64 * n), both as little-endian limbs.
void add_limbs(Limbs& sum, const Limbs& addend, std::size_t n) {
  std::uint64_t carry = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t s = sum[i] + carry;
    carry = s < carry ? 1 : 0;
    s += addend[i];
    carry += s < addend[i] ? 1 : 0;
    sum[i] = s;
  }
}

// `n` limbs from 8 * n big-endian bytes.
Limbs to_limbs(const unsigned char* big_endian, std::size_t n) {
  Limbs limbs{};
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t v = 0;
    for (std::size_t j = 0; j < 8; ++j) v = (v << 8) | big_endian[8 * (n - 1 - i) + j];
    limbs[i] = v;
  }
  return limbs;
}

}  // namespace

DigestKind digest_kind_of(int format_version) {
  return format_version >= 3 ? DigestKind::xxh3_128_sum : DigestKind::sha256_sum;
}

void ContentDigest::add_row(std::string_view encoded_row) {
  if (kind_ == DigestKind::xxh3_128_sum) {
    // The 128-bit value high64 * 2^64 + low64 (XXH128_canonicalFromHash prints it big-endian).
    XXH128_hash_t h = XXH3_128bits(encoded_row.data(), encoded_row.size());
    add_limbs(sum_, Limbs{h.low64, h.high64, 0, 0}, 2);
    ++rows_;
    return;
  }
  // One hasher per thread, reset by finish(): no EVP context allocation per row.
  thread_local Sha256 hasher;
  hasher.update(encoded_row);
  add_hash(hasher.finish());
}

void ContentDigest::add_hash(const Sha256Digest& row_hash) {
  if (kind_ != DigestKind::sha256_sum)
    throw Error(Errc::internal, "content digest", "a SHA-256 row hash added to an XXH3-128 digest");
  add_limbs(sum_, to_limbs(row_hash.data(), 4), 4);
  ++rows_;
}

void ContentDigest::merge(const ContentDigest& other) {
  if (other.kind_ != kind_)
    throw Error(Errc::internal, "content digest", "merging digests of two different kinds");
  add_limbs(sum_, other.sum_, limbs_of(kind_));
  rows_ += other.rows_;
}

std::string ContentDigest::sum_hex() const {
  if (kind_ == DigestKind::xxh3_128_sum) return fmt::format("{:016x}{:016x}", sum_[1], sum_[0]);
  return fmt::format("{:016x}{:016x}{:016x}{:016x}", sum_[3], sum_[2], sum_[1], sum_[0]);
}

ContentDigest ContentDigest::from(DigestKind kind, std::uint64_t rows, std::string_view sum_hex) {
  const std::size_t n = limbs_of(kind);
  bool lowercase = sum_hex.find_first_not_of("0123456789abcdef") == std::string_view::npos;
  std::optional<std::string> bytes;
  if (lowercase && sum_hex.size() == 16 * n) bytes = hex_decode(sum_hex);
  if (!bytes) {
    throw Error(Errc::corrupt_archive, "content digest",
                fmt::format("sum must be {} lowercase hex digits, got \"{}\"", 16 * n,
                            sum_hex.substr(0, 80)));
  }
  ContentDigest d(kind);
  d.rows_ = rows;
  d.sum_ = to_limbs(reinterpret_cast<const unsigned char*>(bytes->data()), n);
  if (rows == 0 && d.sum_ != Limbs{}) {
    throw Error(Errc::corrupt_archive, "content digest", "zero rows but a nonzero sum");
  }
  return d;
}

}  // namespace omsbackup

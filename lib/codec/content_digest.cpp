#include "codec/content_digest.h"

#include <fmt/format.h>

#include "omsbackup/error.h"

namespace omsbackup {

namespace {

// sum += addend (mod 2^256), both as little-endian limbs.
void add_limbs(std::array<std::uint64_t, 4>& sum, const std::array<std::uint64_t, 4>& addend) {
  std::uint64_t carry = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    std::uint64_t s = sum[i] + carry;
    carry = s < carry ? 1 : 0;
    s += addend[i];
    carry += s < addend[i] ? 1 : 0;
    sum[i] = s;
  }
}

std::array<std::uint64_t, 4> to_limbs(const Sha256Digest& d) {
  std::array<std::uint64_t, 4> limbs{};
  for (std::size_t i = 0; i < 4; ++i) {
    std::uint64_t v = 0;
    for (std::size_t j = 0; j < 8; ++j) v = (v << 8) | d[8 * (3 - i) + j];
    limbs[i] = v;
  }
  return limbs;
}

}  // namespace

void ContentDigest::add_row(std::string_view encoded_row) {
  // One hasher per thread, reset by finish(): no EVP context allocation per row.
  thread_local Sha256 hasher;
  hasher.update(encoded_row);
  add_hash(hasher.finish());
}

void ContentDigest::add_hash(const Sha256Digest& row_hash) {
  add_limbs(sum_, to_limbs(row_hash));
  ++rows_;
}

void ContentDigest::merge(const ContentDigest& other) {
  add_limbs(sum_, other.sum_);
  rows_ += other.rows_;
}

std::string ContentDigest::sum_hex() const {
  return fmt::format("{:016x}{:016x}{:016x}{:016x}", sum_[3], sum_[2], sum_[1], sum_[0]);
}

ContentDigest ContentDigest::from(std::uint64_t rows, std::string_view sum_hex) {
  Sha256Digest bytes{};
  bool lowercase = sum_hex.find_first_not_of("0123456789abcdef") == std::string_view::npos;
  if (!lowercase || !from_hex(sum_hex, bytes)) {
    throw Error(Errc::corrupt_archive, "content digest",
                fmt::format("sum must be 64 lowercase hex digits, got \"{}\"",
                            sum_hex.substr(0, 80)));
  }
  ContentDigest d;
  d.rows_ = rows;
  d.sum_ = to_limbs(bytes);
  if (rows == 0 && d.sum_ != std::array<std::uint64_t, 4>{}) {
    throw Error(Errc::corrupt_archive, "content digest", "zero rows but a nonzero sum");
  }
  return d;
}

}  // namespace omsbackup

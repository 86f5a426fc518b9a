#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "codec/content_digest.h"
#include "omsbackup/error.h"
#include "util/sha256.h"

using namespace omsbackup;

namespace {

ContentDigest digest_of(const std::vector<std::string>& rows,
                        DigestKind kind = DigestKind::xxh3_128_sum) {
  ContentDigest d(kind);
  for (const auto& r : rows) d.add_row(r);
  return d;
}

// Both kinds, for the properties every digest must have.
DigestKind any_kind() { return GENERATE(DigestKind::sha256_sum, DigestKind::xxh3_128_sum); }

std::string zero_of(DigestKind kind) {
  return std::string(kind == DigestKind::sha256_sum ? 64 : 32, '0');
}

std::vector<std::string> sample_rows() {
  std::vector<std::string> rows;
  for (int i = 0; i < 200; ++i) rows.push_back("row\t" + std::to_string(i) + "\t\\N");
  rows.push_back("");
  return rows;
}

const std::string kZero(64, '0');
const std::string kZero128(32, '0');

}  // namespace

TEST_CASE("digest: empty and single rows (SHA-256 sums, format versions 1 and 2)", "[digest]") {
  ContentDigest empty(DigestKind::sha256_sum);
  CHECK(empty.rows() == 0);
  CHECK(empty.sum_hex() == kZero);

  ContentDigest one = digest_of({"abc"}, DigestKind::sha256_sum);
  CHECK(one.rows() == 1);
  CHECK(one.sum_hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

  ContentDigest by_hash(DigestKind::sha256_sum);
  by_hash.add_hash(Sha256::of("abc"));
  CHECK(by_hash == one);
}

TEST_CASE("digest: empty and single rows (XXH3-128 sums, format version 3)", "[digest]") {
  ContentDigest empty(DigestKind::xxh3_128_sum);
  CHECK(empty.rows() == 0);
  CHECK(empty.sum_hex() == kZero128);

  // XXH3-128 of "abc" as `xxh128sum` prints it (big-endian).
  ContentDigest one = digest_of({"abc"}, DigestKind::xxh3_128_sum);
  CHECK(one.rows() == 1);
  CHECK(one.sum_hex() == "06b05ab6733a618578af5f94892f3950");
  // And of "", the empty row a one-column table of '' encodes to.
  CHECK(digest_of({""}, DigestKind::xxh3_128_sum).sum_hex() == "99aa06d3014798d86001c324468d497f");

  // The kind goes with the format version; kinds never mix.
  CHECK(digest_kind_of(1) == DigestKind::sha256_sum);
  CHECK(digest_kind_of(2) == DigestKind::sha256_sum);
  CHECK(digest_kind_of(3) == DigestKind::xxh3_128_sum);
  ContentDigest sha(DigestKind::sha256_sum);
  CHECK_THROWS_AS(one.merge(sha), Error);
  CHECK_THROWS_AS(one.add_hash(Sha256::of("abc")), Error);
  CHECK_FALSE(ContentDigest(DigestKind::sha256_sum) == ContentDigest(DigestKind::xxh3_128_sum));
}

TEST_CASE("digest: independent of row order", "[digest]") {
  const DigestKind kind = any_kind();
  auto rows = sample_rows();
  ContentDigest d = digest_of(rows, kind);
  std::mt19937 rng(7);
  for (int i = 0; i < 5; ++i) {
    std::shuffle(rows.begin(), rows.end(), rng);
    CHECK(digest_of(rows, kind) == d);
    CHECK(digest_of(rows, kind).sum_hex() == d.sum_hex());
  }
}

TEST_CASE("digest: sensitive to duplicates and changed bytes", "[digest]") {
  const DigestKind kind = any_kind();
  auto rows = sample_rows();
  ContentDigest d = digest_of(rows, kind);

  auto dup = rows;
  dup.push_back(rows[5]);
  CHECK_FALSE(digest_of(dup, kind) == d);
  CHECK(digest_of(dup, kind).sum_hex() != d.sum_hex());

  // Duplicates do not cancel out as they would with XOR.
  ContentDigest twice = digest_of({"a", "a", "b"}, kind);
  CHECK(twice.sum_hex() != digest_of({"b"}, kind).sum_hex());
  CHECK(twice.sum_hex() != zero_of(kind));

  auto changed = rows;
  changed[17][3] ^= 0x01;
  CHECK(digest_of(changed, kind).rows() == d.rows());
  CHECK(digest_of(changed, kind).sum_hex() != d.sum_hex());

  // A NULL (\N) and the two characters \N escaped (\\N) are different rows.
  CHECK(digest_of({"\\N"}, kind).sum_hex() != digest_of({"\\\\N"}, kind).sum_hex());
}

TEST_CASE("digest: merge of two halves equals the whole", "[digest]") {
  const DigestKind kind = any_kind();
  auto rows = sample_rows();
  ContentDigest whole = digest_of(rows, kind);
  auto mid = rows.begin() + static_cast<long>(rows.size() / 3);
  ContentDigest a = digest_of({rows.begin(), mid}, kind);
  ContentDigest b = digest_of({mid, rows.end()}, kind);
  ContentDigest ab = a;
  ab.merge(b);
  CHECK(ab == whole);
  ContentDigest ba = b;
  ba.merge(a);
  CHECK(ba == whole);
  ContentDigest none(kind);
  none.merge(whole);
  CHECK(none == whole);
}

TEST_CASE("digest: sums wrap modulo 2^bits with carries across limbs", "[digest]") {
  // Each kind's sum is one big integer of `width` hex digits; all-ones + 1 wraps to zero, a
  // carry out of the low limb lands in the next one, and 2^(bits-1) doubled wraps to zero.
  const DigestKind k = GENERATE(DigestKind::sha256_sum, DigestKind::xxh3_128_sum);
  const std::size_t width = k == DigestKind::sha256_sum ? 64 : 32;
  const std::string zero(width, '0'), one = std::string(width - 1, '0') + "1";
  CAPTURE(width);

  ContentDigest d = ContentDigest::from(k, 1, std::string(width, 'f'));
  d.merge(ContentDigest::from(k, 1, one));
  CHECK(d.rows() == 2);
  CHECK(d.sum_hex() == zero);

  ContentDigest e = ContentDigest::from(k, 1, std::string(width - 16, '0') + std::string(16, 'f'));
  e.merge(ContentDigest::from(k, 1, one));
  CHECK(e.sum_hex() == std::string(width - 17, '0') + "1" + std::string(16, '0'));

  ContentDigest f = ContentDigest::from(k, 1, "8" + std::string(width - 1, '0'));
  f.merge(f);
  CHECK(f.sum_hex() == zero);
  CHECK(f.rows() == 2);
}

TEST_CASE("digest: XXH3-128 row hashes add up as integers", "[digest]") {
  const DigestKind k = DigestKind::xxh3_128_sum;
  // Row hashes add up as integers: two rows' sum is the sum of their hashes.
  ContentDigest abc = digest_of({"abc"}, k), empty = digest_of({""}, k);
  ContentDigest both = digest_of({"abc", ""}, k);
  // 0x06b05ab6733a618578af5f94892f3950 + 0x99aa06d3014798d86001c324468d497f
  CHECK(both.sum_hex() == "a05a61897481fa5dd8b122b8cfbc82cf");
  abc.merge(empty);
  CHECK(abc == both);
}

TEST_CASE("digest: from() round trips and validates", "[digest]") {
  const DigestKind kind = any_kind();
  const std::size_t digits = kind == DigestKind::sha256_sum ? 64 : 32;
  ContentDigest d = digest_of(sample_rows(), kind);
  CHECK(ContentDigest::from(kind, d.rows(), d.sum_hex()) == d);
  CHECK(ContentDigest::from(kind, 0, zero_of(kind)) == ContentDigest(kind));

  auto code_of = [&](std::uint64_t rows, const std::string& hex) {
    try {
      ContentDigest::from(kind, rows, hex);
    } catch (const Error& e) {
      return e.code();
    }
    return Errc::internal;
  };
  std::string upper = d.sum_hex();
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  REQUIRE(upper != d.sum_hex());
  CHECK(code_of(1, upper) == Errc::corrupt_archive);
  CHECK(code_of(1, "abc") == Errc::corrupt_archive);
  CHECK(code_of(1, std::string(digits + 1, '0')) == Errc::corrupt_archive);
  CHECK(code_of(1, std::string(digits, 'g')) == Errc::corrupt_archive);
  CHECK(code_of(1, "") == Errc::corrupt_archive);
  CHECK(code_of(0, std::string(digits - 1, '0') + "1") == Errc::corrupt_archive);
  // The other kind's length is refused: a version-1 digest in a version-3 archive and back.
  CHECK(code_of(1, std::string(digits == 64 ? 32 : 64, '1')) == Errc::corrupt_archive);
}

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

ContentDigest digest_of(const std::vector<std::string>& rows) {
  ContentDigest d;
  for (const auto& r : rows) d.add_row(r);
  return d;
}

std::vector<std::string> sample_rows() {
  std::vector<std::string> rows;
  for (int i = 0; i < 200; ++i) rows.push_back("row\t" + std::to_string(i) + "\t\\N");
  rows.push_back("");
  return rows;
}

const std::string kZero(64, '0');

}  // namespace

TEST_CASE("digest: empty and single rows", "[digest]") {
  ContentDigest empty;
  CHECK(empty.rows() == 0);
  CHECK(empty.sum_hex() == kZero);

  ContentDigest one = digest_of({"abc"});
  CHECK(one.rows() == 1);
  CHECK(one.sum_hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

  ContentDigest by_hash;
  by_hash.add_hash(Sha256::of("abc"));
  CHECK(by_hash == one);
}

TEST_CASE("digest: independent of row order", "[digest]") {
  auto rows = sample_rows();
  ContentDigest d = digest_of(rows);
  std::mt19937 rng(7);
  for (int i = 0; i < 5; ++i) {
    std::shuffle(rows.begin(), rows.end(), rng);
    CHECK(digest_of(rows) == d);
    CHECK(digest_of(rows).sum_hex() == d.sum_hex());
  }
}

TEST_CASE("digest: sensitive to duplicates and changed bytes", "[digest]") {
  auto rows = sample_rows();
  ContentDigest d = digest_of(rows);

  auto dup = rows;
  dup.push_back(rows[5]);
  CHECK_FALSE(digest_of(dup) == d);
  CHECK(digest_of(dup).sum_hex() != d.sum_hex());

  // Duplicates do not cancel out as they would with XOR.
  ContentDigest twice = digest_of({"a", "a", "b"});
  CHECK(twice.sum_hex() != digest_of({"b"}).sum_hex());
  CHECK(twice.sum_hex() != kZero);

  auto changed = rows;
  changed[17][3] ^= 0x01;
  CHECK(digest_of(changed).rows() == d.rows());
  CHECK(digest_of(changed).sum_hex() != d.sum_hex());
}

TEST_CASE("digest: merge of two halves equals the whole", "[digest]") {
  auto rows = sample_rows();
  ContentDigest whole = digest_of(rows);
  auto mid = rows.begin() + static_cast<long>(rows.size() / 3);
  ContentDigest a = digest_of({rows.begin(), mid});
  ContentDigest b = digest_of({mid, rows.end()});
  ContentDigest ab = a;
  ab.merge(b);
  CHECK(ab == whole);
  ContentDigest ba = b;
  ba.merge(a);
  CHECK(ba == whole);
  ContentDigest none;
  none.merge(whole);
  CHECK(none == whole);
}

TEST_CASE("digest: sum is modulo 2^256 with carries across limbs", "[digest]") {
  ContentDigest d = ContentDigest::from(1, std::string(64, 'f'));
  d.merge(ContentDigest::from(1, std::string(63, '0') + "1"));
  CHECK(d.rows() == 2);
  CHECK(d.sum_hex() == kZero);

  ContentDigest e = ContentDigest::from(1, std::string(48, '0') + std::string(16, 'f'));
  e.merge(ContentDigest::from(1, std::string(63, '0') + "1"));
  CHECK(e.sum_hex() == std::string(47, '0') + "1" + std::string(16, '0'));

  ContentDigest f = ContentDigest::from(1, "8" + std::string(63, '0'));
  f.merge(f);
  CHECK(f.sum_hex() == kZero);
  CHECK(f.rows() == 2);
}

TEST_CASE("digest: from() round trips and validates", "[digest]") {
  ContentDigest d = digest_of(sample_rows());
  CHECK(ContentDigest::from(d.rows(), d.sum_hex()) == d);
  CHECK(ContentDigest::from(0, kZero) == ContentDigest{});

  auto code_of = [](std::uint64_t rows, const std::string& hex) {
    try {
      ContentDigest::from(rows, hex);
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
  CHECK(code_of(1, std::string(65, '0')) == Errc::corrupt_archive);
  CHECK(code_of(1, std::string(64, 'g')) == Errc::corrupt_archive);
  CHECK(code_of(1, "") == Errc::corrupt_archive);
  CHECK(code_of(0, std::string(63, '0') + "1") == Errc::corrupt_archive);
}

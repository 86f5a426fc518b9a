#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "restore/row_batches.h"

using namespace omsbackup;

namespace {

// Feeds `data` in reads of at most `piece` bytes.
RowBatches::Source feed(const std::string& data, std::size_t piece) {
  auto pos = std::make_shared<std::size_t>(0);
  return [&data, piece, pos](char* buf, std::size_t n) {
    std::size_t k = std::min({n, piece, data.size() - *pos});
    std::copy_n(data.data() + *pos, k, buf);
    *pos += k;
    return k;
  };
}

std::vector<std::string> all_batches(const std::string& data, std::size_t target, std::size_t piece) {
  RowBatches b(feed(data, piece), target);
  std::vector<std::string> out;
  std::string batch;
  while (b.next(batch)) out.push_back(batch);
  return out;
}

}  // namespace

TEST_CASE("row batches: whole rows of at least the target, in order", "[restore][batches]") {
  std::mt19937 rng(7);
  std::string data;
  for (int i = 0; i < 5000; ++i) {
    data += std::string(rng() % 300, static_cast<char>('a' + i % 26));
    data += '\n';
  }
  for (std::size_t target : {1u, 50u, 1000u, 65536u, 100000u, 10000000u}) {
    for (std::size_t piece : {1u, 7u, 4096u, 1u << 20}) {
      if (piece == 1 && target > 100000) continue;  // slow, and covered by the others
      INFO("target " << target << ", reads of " << piece);
      std::vector<std::string> batches = all_batches(data, target, piece);
      std::string joined;
      for (std::size_t i = 0; i < batches.size(); ++i) {
        const std::string& b = batches[i];
        REQUIRE(!b.empty());
        REQUIRE(b.back() == '\n');  // whole rows only
        if (i + 1 < batches.size()) {
          REQUIRE(b.size() >= target);
          // ... and no more than needed: the cut is at the first newline past the target.
          REQUIRE(b.find('\n', target - 1) == b.size() - 1);
        }
        joined += b;
      }
      REQUIRE(joined == data);
    }
  }
}

TEST_CASE("row batches: a row longer than the target is one batch", "[restore][batches]") {
  std::string data = "short\n" + std::string(10000, 'x') + "\nend\n";
  std::vector<std::string> batches = all_batches(data, 8, 100);
  REQUIRE(batches.size() == 2);
  CHECK(batches[0] == "short\n" + std::string(10000, 'x') + "\n");
  CHECK(batches[1] == "end\n");
}

TEST_CASE("row batches: an empty stream has no batch; a truncated row comes last as is",
          "[restore][batches]") {
  CHECK(all_batches("", 10, 10).empty());
  std::vector<std::string> batches = all_batches("a\nb\ntrunc", 2, 3);
  REQUIRE(batches.size() == 3);
  CHECK(batches[0] == "a\n");
  CHECK(batches[1] == "b\n");
  CHECK(batches[2] == "trunc");
}

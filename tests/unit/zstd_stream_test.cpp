#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>

#include "archive/atomic_file.h"
#include "archive/hashing_file.h"
#include "util/env.h"
#include "util/fault_env.h"
#include "archive/zstd_stream.h"
#include "archive_test_support.h"
#include "omsbackup/error.h"
#include "util/sha256.h"

using namespace omsbackup;
using omsbackup::test::TempDir;

namespace {

std::string random_bytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t v = rng();
    for (int b = 0; b < 8; ++b) s[i + b] = static_cast<char>(v >> (8 * b));
  }
  for (; i < n; ++i) s[i] = static_cast<char>(rng());
  return s;
}

// Compresses `data` into `path` through a HashingFile, written in pieces cycling through
// `pieces` sizes.
struct Written {
  std::uint64_t raw = 0;
  std::uint64_t stored = 0;
  Sha256Digest sha{};
};

Written compress_to(const std::string& path, std::string_view data,
                    std::initializer_list<std::size_t> pieces = {1 << 20}, int level = 3,
                    int workers = 0) {
  auto file = Env::posix().new_writable_file(path);
  HashingFile stored(*file, path);
  ZstdWriter w(stored, level, workers, path);
  auto piece = pieces.begin();
  while (!data.empty()) {
    std::size_t n = std::min(*piece, data.size());
    w.write(data.substr(0, n));
    data.remove_prefix(n);
    if (++piece == pieces.end()) piece = pieces.begin();
  }
  w.finish();
  file->close();
  return {w.raw_bytes(), stored.bytes(), stored.finish()};
}

struct Read {
  std::string data;
  std::uint64_t stored = 0;
  Sha256Digest sha{};
};

Read decompress_from(const std::string& path, std::size_t buf_size = 65536) {
  auto file = Env::posix().new_sequential_file(path);
  ZstdReader r(*file, path);
  Read out;
  std::string buf(buf_size, '\0');
  while (std::size_t n = r.read(buf.data(), buf.size())) out.data.append(buf.data(), n);
  CHECK(r.read(buf.data(), buf.size()) == 0);  // stays at the end
  CHECK(r.raw_bytes() == out.data.size());
  out.stored = r.stored_bytes();
  out.sha = r.stored_sha256();
  return out;
}

void check_round_trip(const std::string& path, const std::string& data, const Written& w,
                      std::size_t read_buf = 65536) {
  CHECK(w.raw == data.size());
  std::string stored_file = test::read_whole_file(path);
  CHECK(w.stored == stored_file.size());
  CHECK(to_hex(w.sha) == to_hex(Sha256::of(stored_file)));
  Read r = decompress_from(path, read_buf);
  CHECK(r.data.size() == data.size());
  CHECK(r.data == data);
  CHECK(r.stored == stored_file.size());
  CHECK(to_hex(r.sha) == to_hex(w.sha));
}

// Expects reading `path` to fail with corrupt_archive naming the file; returns the message.
std::string corrupt_message(const std::string& path) {
  auto file = Env::posix().new_sequential_file(path);
  ZstdReader r(*file, path);
  char buf[4096];
  try {
    while (r.read(buf, sizeof buf) != 0) {
    }
  } catch (const Error& e) {
    CHECK(e.code() == Errc::corrupt_archive);
    CHECK(e.object() == path);
    CHECK_THAT(e.what(), Catch::Contains(path));
    CHECK_THROWS_AS(r.read(buf, sizeof buf), Error);  // stays failed
    return e.message();
  }
  FAIL("reading " << path << " did not throw");
  return {};
}

}  // namespace

TEST_CASE("zstd round trip of empty and one-byte input", "[archive][zstd]") {
  TempDir dir;
  Written empty = compress_to(dir / "empty.zst", "");
  CHECK(empty.stored > 0);  // still a frame
  check_round_trip(dir / "empty.zst", "", empty);

  Written one = compress_to(dir / "one.zst", "x");
  check_round_trip(dir / "one.zst", "x", one, 1);
}

TEST_CASE("zstd round trip of 10 MB of random bytes in odd pieces", "[archive][zstd]") {
  TempDir dir;
  std::string data = random_bytes(10 * 1000 * 1000 + 7, 42);
  Written w = compress_to(dir / "random.zst", data, {1, 4093, 131073, 7, 65537, 999983});
  CHECK(w.stored >= data.size());  // incompressible: stored as raw blocks plus framing
  CHECK(w.stored < data.size() + data.size() / 100);
  check_round_trip(dir / "random.zst", data, w, 12345);
}

TEST_CASE("zstd compresses compressible data and supports workers", "[archive][zstd]") {
  TempDir dir;
  std::string data;
  for (int i = 0; data.size() < 8 * 1000 * 1000; ++i) {
    data += "INSERT INTO `rm`.`cluster_info` VALUES (" + std::to_string(i) + ",'demo');\n";
  }
  Written w = compress_to(dir / "text.zst", data, {100003});
  CHECK(w.stored * 20 < data.size());
  check_round_trip(dir / "text.zst", data, w);

  Written mt = compress_to(dir / "mt.zst", data, {1 << 20}, 1, 2);
  check_round_trip(dir / "mt.zst", data, mt, 3);

  std::string zeros(5 * 1000 * 1000, '\0');
  Written z = compress_to(dir / "zeros.zst", zeros, {1000000}, 19);
  CHECK(z.stored < 2000);
  check_round_trip(dir / "zeros.zst", zeros, z);
}

TEST_CASE("zstd writer over a hashing atomic file gives the file's size and hash",
          "[archive][zstd]") {
  TempDir dir;
  std::string path = dir / "chunk-0001.zst";
  std::string data = random_bytes(300000, 7) + std::string(300000, 'a');
  AtomicFileWriter file(Env::posix(), path);
  HashingFile stored(file.sink(), path);
  ZstdWriter w(stored, 3, 0, path);
  w.write(data);
  w.finish();
  Written written{w.raw_bytes(), stored.bytes(), stored.finish()};
  file.commit();
  CHECK(to_hex(written.sha) == to_hex(Sha256::of(test::read_whole_file(path))));
  check_round_trip(path, data, written);
}

TEST_CASE("zstd reader reads concatenated frames as one stream", "[archive][zstd]") {
  TempDir dir;
  compress_to(dir / "a.zst", "first,");
  compress_to(dir / "b.zst", "second");
  test::write_whole_file(dir / "ab.zst", test::read_whole_file(dir / "a.zst") +
                                             test::read_whole_file(dir / "b.zst"));
  CHECK(decompress_from(dir / "ab.zst").data == "first,second");
}

TEST_CASE("zstd reader rejects corrupt files, naming them", "[archive][zstd]") {
  TempDir dir;
  std::string data = random_bytes(200000, 1) + std::string(200000, 'q');
  compress_to(dir / "good.zst", data);
  std::string good = test::read_whole_file(dir / "good.zst");
  REQUIRE(good.size() > 100);

  SECTION("truncated in the middle") {
    test::write_whole_file(dir / "bad.zst", good.substr(0, good.size() / 2));
    CHECK_THAT(corrupt_message(dir / "bad.zst"), Catch::Contains("truncated"));
  }
  SECTION("missing only the checksum") {
    test::write_whole_file(dir / "bad.zst", good.substr(0, good.size() - 4));
    CHECK_THAT(corrupt_message(dir / "bad.zst"), Catch::Contains("truncated"));
  }
  SECTION("a flipped byte in the data") {
    std::string bad = good;
    bad[bad.size() / 3] = static_cast<char>(bad[bad.size() / 3] ^ 0x10);
    test::write_whole_file(dir / "bad.zst", bad);
    corrupt_message(dir / "bad.zst");
  }
  SECTION("a flipped byte in the checksum") {
    std::string bad = good;
    bad[bad.size() - 1] = static_cast<char>(bad[bad.size() - 1] ^ 0x01);
    test::write_whole_file(dir / "bad.zst", bad);
    CHECK_THAT(corrupt_message(dir / "bad.zst"), Catch::Contains("checksum"));
  }
  SECTION("not zstd at all") {
    test::write_whole_file(dir / "bad.zst", "INSERT INTO t VALUES (1);\n");
    corrupt_message(dir / "bad.zst");
  }
  SECTION("empty file") {
    test::write_whole_file(dir / "bad.zst", "");
    CHECK_THAT(corrupt_message(dir / "bad.zst"), Catch::Contains("empty"));
  }
  SECTION("trailing garbage after a valid frame") {
    test::write_whole_file(dir / "bad.zst", good + "junk");
    corrupt_message(dir / "bad.zst");
  }
}

TEST_CASE("zstd writer surfaces a full disk", "[archive][zstd][fault]") {
  TempDir dir;
  FaultEnv env(Env::posix());
  env.set_disk_full_after(100000);
  std::string path = dir / "full.zst";
  auto file = env.new_writable_file(path);
  ZstdWriter w(*file, 3, 0, path);
  std::string data = random_bytes(1 << 20, 3);
  try {
    w.write(data);
    w.finish();
    FAIL("no error on a full disk");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::io);
    CHECK(e.object() == path);
    CHECK_THAT(e.message(), Catch::Contains("No space left on device"));
  }
  CHECK_THROWS_AS(w.write("more"), Error);  // unusable after a failure
  CHECK_THROWS_AS(w.finish(), Error);
}

TEST_CASE("zstd writer surfaces a full disk while finishing", "[archive][zstd][fault]") {
  TempDir dir;
  FaultEnv env(Env::posix());
  env.set_disk_full_after(10);
  std::string path = dir / "small.zst";
  auto file = env.new_writable_file(path);
  HashingFile stored(*file, path);
  ZstdWriter w(stored, 3, 0, path);
  w.write("small input that stays in zstd's buffers until the frame ends");
  CHECK(stored.bytes() == 0);
  CHECK_THROWS_WITH(w.finish(), Catch::Contains("No space left on device"));
}

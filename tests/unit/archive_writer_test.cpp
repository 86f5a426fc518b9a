// The archive writer's chunk files: the writer names them, the hashing layer under the
// stream writers measures exactly what is stored, finish() returns the one record that the
// manifest lists, and a chunk that fails is never listed and is cleaned up.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "archive/archive_reader.h"
#include "archive/archive_writer.h"
#include "util/fault_env.h"
#include "archive/hashing_file.h"
#include "archive_test_support.h"
#include "omsbackup/error.h"
#include "util/parallel.h"
#include "util/sha256.h"

using namespace omsbackup;
using omsbackup::test::read_whole_file;
using omsbackup::test::TempDir;

namespace {

const std::string kHexKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

// Incompressible bytes followed by compressible ones: several zstd output buffers and
// several encryption segments.
std::string chunk_data(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, 'a');
  for (std::size_t i = 0; i < n / 2; ++i) s[i] = static_cast<char>(rng());
  return s;
}

std::string read_chunk(const std::string& dir, const std::string& path, const ArchiveCipher* cipher) {
  ChunkReader r(Env::posix(), dir, path, cipher);
  std::string out;
  std::vector<char> buf(1 << 16);
  while (std::size_t n = r.read(buf.data(), buf.size())) out.append(buf.data(), n);
  return out;
}

// Where a test's archive goes, and its key (when `encrypted`), kept for the test.
struct Setup {
  explicit Setup(bool encrypted)
      : key(parse_key(kHexKey, "test key")),
        cipher(encrypted ? ArchiveCipher::create(key) : nullptr) {}
  TempDir tmp;
  const std::string dir = tmp / "a.omsdump";
  SecretKey key;
  std::shared_ptr<ArchiveCipher> cipher;
  VerifyOptions verify() const { return VerifyOptions{false, cipher ? &key : nullptr}; }
};

// Names of the regular files below `dir`, relative to it.
std::vector<std::string> files_below(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out.push_back(std::filesystem::relative(e.path(), dir).string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("the hashing file measures exactly what its sink stores", "[archive][writer]") {
  TempDir dir;
  const std::string path = dir / "f";
  SECTION("every byte, counted and hashed") {
    auto file = Env::posix().new_writable_file(path);
    HashingFile h(*file, path);
    h.append("abc");
    h.append("");
    h.append(std::string(100000, 'x'));
    CHECK(h.bytes() == 100003);
    Sha256Digest d = h.finish();
    h.close();
    const std::string disk = read_whole_file(path);
    CHECK(disk.size() == 100003);
    CHECK(to_hex(d) == to_hex(Sha256::of(disk)));
    CHECK_THROWS_AS(h.append("more"), Error);
    CHECK_THROWS_AS(h.finish(), Error);
  }
  SECTION("bytes its sink refused are not counted, and it stays failed") {
    FaultEnv env(Env::posix());
    auto file = env.new_writable_file(path);
    HashingFile h(*file, path);
    h.append("stored");
    env.fail_append(1);
    CHECK_THROWS_AS(h.append("refused"), Error);
    CHECK(h.bytes() == 6);
    CHECK_THROWS_AS(h.append("later"), Error);
    CHECK_THROWS_AS(h.finish(), Error);
  }
}

TEST_CASE("chunk file names come from the writer", "[archive][writer]") {
  CHECK(chunk_file_path(1, 1, 1, false) == "data/0001/00001-000001.tsv.zst");
  CHECK(chunk_file_path(12, 345, 6789, false) == "data/0012/00345-006789.tsv.zst");
  CHECK(chunk_file_path(12, 345, 6789, true) == "data/0012/00345-006789.tsv.zst.enc");
  CHECK_THROWS_AS(chunk_file_path(0, 1, 1, false), Error);
  CHECK_THROWS_AS(chunk_file_path(1, 0, 1, false), Error);
  CHECK_THROWS_AS(chunk_file_path(1, 1, 0, false), Error);

  const bool encrypted = GENERATE(false, true);
  CAPTURE(encrypted);
  const Setup k(encrypted);
  const std::string& dir = k.dir;
  ArchiveWriter w(Env::posix(), dir, k.cipher);
  auto chunk = w.new_chunk(3, 17, 250, 3);
  const std::string want =
      encrypted ? "data/0003/00017-000250.tsv.zst.enc" : "data/0003/00017-000250.tsv.zst";
  CHECK(chunk->path() == want);
  chunk->write("1\tx\n");
  CHECK(chunk->finish().file.path == want);
  CHECK(test::exists(dir + "/" + want));
}

TEST_CASE("finish() returns the record the manifest lists, that of the file on disk",
          "[archive][writer]") {
  const bool encrypted = GENERATE(false, true);
  CAPTURE(encrypted);
  const Setup k(encrypted);
  const std::string& dir = k.dir;
  // Several reader threads write their chunks at once, as a dump does.
  constexpr std::size_t kChunks = 6;
  std::vector<ChunkRecord> records(kChunks);
  std::vector<std::string> data(kChunks);
  std::vector<std::uint64_t> raw_before_finish(kChunks);
  {
    ArchiveWriter w(Env::posix(), dir, k.cipher);
    std::atomic<bool> stop{false};
    run_on_workers(3, kChunks, [&](std::size_t, std::size_t i) {
      data[i] = chunk_data(i == 0 ? 0 : 150000 * i, static_cast<unsigned>(i));
      auto chunk = w.new_chunk(1 + i % 2, 1 + i / 2, 1, 3);
      for (std::size_t at = 0; at < data[i].size(); at += 40000)
        chunk->write(std::string_view(data[i]).substr(at, 40000));
      raw_before_finish[i] = chunk->raw_bytes();  // Catch2 checks are not for threads
      records[i] = chunk->finish();
    }, stop);
    Manifest m = test::test_manifest();
    w.commit(m);
  }
  OpenedArchive a = open_archive(Env::posix(), dir, k.verify());  // sizes and SHA-256 agree
  std::map<std::string, FileEntry> listed;
  for (const FileEntry& f : a.manifest.files) listed[f.path] = f;
  REQUIRE(listed.size() == kChunks);
  for (std::size_t i = 0; i < kChunks; ++i) {
    const ChunkRecord& r = records[i];
    CAPTURE(i, r.file.path);
    CHECK(r.file.path == chunk_file_path(1 + i % 2, 1 + i / 2, 1, encrypted));
    REQUIRE(listed.count(r.file.path) == 1);
    CHECK(listed[r.file.path].size == r.file.size);
    CHECK(listed[r.file.path].sha256 == r.file.sha256);
    const std::string disk = read_whole_file(dir + "/" + r.file.path);
    CHECK(r.file.size == disk.size());
    CHECK(r.file.sha256 == to_hex(Sha256::of(disk)));
    CHECK(r.raw_bytes == data[i].size());
    CHECK(raw_before_finish[i] == data[i].size());
    CHECK(read_chunk(dir, r.file.path, a.cipher.get()) == data[i]);
  }
}

TEST_CASE("a chunk that fails is never listed, and the archive is still cleaned up",
          "[archive][writer][fault]") {
  const bool encrypted = GENERATE(false, true);
  CAPTURE(encrypted);
  const Setup k(encrypted);
  const std::string& dir = k.dir;
  FaultEnv env(Env::posix());
  const std::string data = chunk_data(1 << 20, 5);
  SECTION("an append fails in the middle of a chunk; the archive is committed without it") {
    ChunkRecord good;
    {
      ArchiveWriter w(env, dir, k.cipher);
      good = w.new_chunk(1, 1, 1, 3)->finish();
      auto bad = w.new_chunk(1, 1, 2, 3);
      const std::uint64_t before = env.bytes_appended();
      env.fail_append(3);
      CHECK_THROWS_AS(bad->write(data), Error);
      CHECK(env.bytes_appended() > before);  // the failure came after some of the chunk
      CHECK_THROWS_AS(bad->finish(), Error);
      bad.reset();
      CHECK(files_below(dir) == std::vector<std::string>{good.file.path});
      Manifest m = test::test_manifest();
      w.commit(m);
      REQUIRE(m.files.size() == 1);
      CHECK(m.files[0].path == good.file.path);
    }
    // Nothing unlisted is left: the verifier refuses any file the manifest does not list.
    OpenedArchive a = open_archive(Env::posix(), dir, k.verify());
    REQUIRE(a.manifest.files.size() == 1);
    CHECK(a.manifest.files[0].path == good.file.path);
  }
  SECTION("the chunk's rename fails in finish(); the writer then removes the archive") {
    {
      ArchiveWriter w(env, dir, k.cipher);
      auto bad = w.new_chunk(1, 1, 1, 3);
      bad->write(data);
      env.fail_rename(1);
      CHECK_THROWS_AS(bad->finish(), Error);
      bad.reset();
      CHECK(files_below(dir).empty());
    }
    CHECK_FALSE(std::filesystem::exists(dir));
  }
  SECTION("an append fails in a chunk of an unfinished archive: nothing is left") {
    {
      ArchiveWriter w(env, dir, k.cipher);
      w.new_chunk(1, 1, 1, 3)->finish();
      auto bad = w.new_chunk(2, 1, 1, 3);
      env.fail_append(2);
      CHECK_THROWS_AS(bad->write(data), Error);
    }
    CHECK_FALSE(std::filesystem::exists(dir));
  }
}

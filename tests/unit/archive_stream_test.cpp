// The stream form of an archive (docs/archive-format.md section 10): a directory packed and
// unpacked is the same directory byte for byte; a dump writing through a stream leaves no
// spool and its stream unpacks into an archive that verifies; a stream cut or altered
// anywhere is never accepted as an archive (the frame refuses it, or the archive's own
// checksums do), and a refused unpack leaves nothing behind.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>

#include "archive/archive_reader.h"
#include "archive/archive_stream.h"
#include "archive/archive_writer.h"
#include "archive_test_support.h"
#include "omsbackup/error.h"
#include "util/fault_env.h"

using namespace omsbackup;
using omsbackup::test::read_whole_file;
using omsbackup::test::TempDir;

namespace {

const std::string kHexKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

// A SequentialFile over a string, read in pieces of at most `step` bytes.
class StringFile final : public SequentialFile {
 public:
  explicit StringFile(std::string data, std::size_t step = 7)
      : data_(std::move(data)), step_(step) {}
  std::size_t read(char* buf, std::size_t n) override {
    std::size_t take = std::min({n, step_, data_.size() - pos_});
    std::copy_n(data_.data() + pos_, take, buf);
    pos_ += take;
    return take;
  }

 private:
  std::string data_;
  std::size_t step_;
  std::size_t pos_ = 0;
};

// Every regular file below `dir`, by relative path, with its bytes.
std::map<std::string, std::string> contents(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file())
      out[std::filesystem::relative(e.path(), dir).string()] = read_whole_file(e.path().string());
  return out;
}

std::string pack_to_string(const std::string& dir, const SecretKey* key, bool* verified = nullptr) {
  std::string out;
  StringWritableFile sink(out);
  PackResult r = pack_archive(Env::posix(), dir, sink, key);
  if (verified) *verified = r.verified;
  CHECK(r.bytes == out.size());
  return out;
}

// True when the stream is accepted as a valid archive: it unpacks and the result verifies.
bool accepted(const std::string& stream, const std::string& dir, const SecretKey* key) {
  StringFile in(stream, 4096);
  try {
    unpack_archive(Env::posix(), in, dir);
  } catch (const Error&) {
    REQUIRE_FALSE(test::exists(dir));  // a refused unpack leaves nothing
    return false;
  }
  try {
    (void)open_archive(Env::posix(), dir, VerifyOptions{true, key});
  } catch (const Error&) {
    std::filesystem::remove_all(dir);
    return false;
  }
  std::filesystem::remove_all(dir);
  return true;
}

}  // namespace

TEST_CASE("a directory packed and unpacked is the same directory, byte for byte", "[archive][stream]") {
  const bool encrypted = GENERATE(false, true);
  CAPTURE(encrypted);
  TempDir tmp;
  SecretKey key = parse_key(kHexKey, "test key");
  test::make_archive(Env::posix(), tmp / "a", encrypted ? ArchiveCipher::create(key) : nullptr);
  const SecretKey* k = encrypted ? &key : nullptr;

  bool verified = false;
  const std::string stream = pack_to_string(tmp / "a", k, &verified);
  CHECK(verified);
  CHECK(stream.rfind("{\"format\":\"omsbackup-stream\",\"stream_version\":1}\n", 0) == 0);
  StringFile in(stream);
  UnpackResult u = unpack_archive(Env::posix(), in, tmp / "b");
  CHECK(u.files == contents(tmp / "a").size());
  CHECK(contents(tmp / "b") == contents(tmp / "a"));
  CHECK(test::mode_of(tmp / "b") == 0700);
  CHECK(test::mode_of(tmp / "b/DONE") == 0600);
  (void)open_archive(Env::posix(), tmp / "b", VerifyOptions{true, k});
  // Packing the copy gives the same stream again.
  CHECK(pack_to_string(tmp / "b", k) == stream);
  if (encrypted) {
    // Without its key an encrypted archive is packed as it is, unverified.
    CHECK(pack_to_string(tmp / "a", nullptr, &verified) == stream);
    CHECK_FALSE(verified);
  }
}

TEST_CASE("a writer with a stream leaves no spool and streams an archive that verifies",
          "[archive][stream]") {
  const bool encrypted = GENERATE(false, true);
  CAPTURE(encrypted);
  TempDir tmp;
  SecretKey key = parse_key(kHexKey, "test key");
  test::make_archive(Env::posix(), tmp / "dir", encrypted ? ArchiveCipher::create(key) : nullptr);
  std::string out;
  StringWritableFile sink(out);
  {
    StreamWriter stream(sink);
    // make_archive's writer, in stream mode.
    ArchiveWriter w(Env::posix(), tmp / "spool", encrypted ? ArchiveCipher::create(key) : nullptr,
                    &stream);
    Manifest m = test::test_manifest();
    DatabaseEntry db{"db1", "utf8mb4", "utf8mb4_general_ci", "CREATE DATABASE x", {}};
    TableEntry t;
    t.def.name = "t1";
    t.def.create_sql = "CREATE TABLE t1 (id INT, v BLOB)";
    t.def.columns = {{"id", "int", "int(11)", false, false}, {"v", "blob", "blob", false, false}};
    for (int c = 0; c < 3; ++c) {
      t.chunks.push_back(test::write_chunk(w, 1, 1, c + 1, c * 100, 40));
      t.rows += t.chunks.back().rows;
      // Each finished chunk went into the stream and off the spool at once.
      CHECK(std::filesystem::is_empty(tmp / "spool/data/0001"));
    }
    db.tables.push_back(t);
    m.databases.push_back(db);
    w.commit(m);
  }
  CHECK_FALSE(test::exists(tmp / "spool"));
  StringFile in(out);
  unpack_archive(Env::posix(), in, tmp / "got");
  Manifest got = open_archive(Env::posix(), tmp / "got", VerifyOptions{true, encrypted ? &key : nullptr}).manifest;
  REQUIRE(got.databases.size() == 1);
  CHECK(got.databases[0].tables[0].rows == 120);
  CHECK(got.files.size() == 3);
}

TEST_CASE("a stream cut or altered anywhere is never accepted", "[archive][stream]") {
  TempDir tmp;
  test::make_archive(Env::posix(), tmp / "a");
  const std::string stream = pack_to_string(tmp / "a", nullptr);
  REQUIRE(accepted(stream, tmp / "x", nullptr));
  // Cut at every length short of the whole.
  for (std::size_t n = 0; n < stream.size(); ++n) {
    CAPTURE(n);
    StringFile in(stream.substr(0, n));
    CHECK_THROWS_AS(unpack_archive(Env::posix(), in, tmp / "cut"), Error);
    REQUIRE_FALSE(test::exists(tmp / "cut"));
  }
  // One byte changed anywhere: refused by the frame, or by the archive's checksums.
  for (std::size_t i = 0; i < stream.size(); i += 3) {
    std::string bad = stream;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    CAPTURE(i);
    CHECK_FALSE(accepted(bad, tmp / "x", nullptr));
  }
  // Anything after the end record.
  CHECK_FALSE(accepted(stream + "\n", tmp / "x", nullptr));
  CHECK_FALSE(accepted(stream + stream, tmp / "x", nullptr));
}

TEST_CASE("a stream's paths cannot leave its directory or repeat", "[archive][stream]") {
  TempDir tmp;
  const std::string head = "{\"format\":\"omsbackup-stream\",\"stream_version\":1}\n";
  auto entry = [](const std::string& path, const std::string& bytes) {
    return "{\"path\":\"" + path + "\",\"size\":" + std::to_string(bytes.size()) + "}\n" + bytes +
           "{\"sha256\":\"" + to_hex(Sha256::of(bytes)) + "\"}\n";
  };
  const std::string done = entry("DONE", "{}\n");
  for (const char* path : {"../evil", "/tmp/evil", "data/../../evil", "data//x", "a\\\\b",
                                  "x.partial", "data/ x", ""}) {
    CAPTURE(path);
    StringFile in(head + entry(path, "x") + done + "{\"end\":true,\"files\":2}\n");
    CHECK_THROWS_AS(unpack_archive(Env::posix(), in, tmp / "u"), Error);
    CHECK_FALSE(test::exists(tmp / "u"));
  }
  CHECK_FALSE(test::exists(tmp.path() + "/../evil"));
  {
    StringFile in(head + entry("data/a", "1") + entry("data/a", "2") + done +
                  "{\"end\":true,\"files\":3}\n");
    CHECK_THROWS_AS(unpack_archive(Env::posix(), in, tmp / "u"), Error);
  }
  {
    StringFile in(head + entry("data/a", "1") + "{\"end\":true,\"files\":1}\n");
    CHECK_THROWS_WITH(unpack_archive(Env::posix(), in, tmp / "u"), Catch::Contains("no DONE"));
  }
  {
    StringFile in("{\"format\":\"omsbackup-stream\",\"stream_version\":2}\n");
    CHECK_THROWS_WITH(unpack_archive(Env::posix(), in, tmp / "u"), Catch::Contains("version 2"));
  }
  {
    StringFile in(head + done + "{\"end\":true,\"files\":1}\n");
    unpack_archive(Env::posix(), in, tmp / "u");
    StringFile again(head + done + "{\"end\":true,\"files\":1}\n");
    CHECK_THROWS_WITH(unpack_archive(Env::posix(), again, tmp / "u"), Catch::Contains("already exists"));
  }
  CHECK_FALSE(test::exists(tmp / "u/../evil"));
}

TEST_CASE("an unpack that fails on the disk leaves nothing", "[archive][stream]") {
  TempDir tmp;
  test::make_archive(Env::posix(), tmp / "a");
  const std::string stream = pack_to_string(tmp / "a", nullptr);
  FaultEnv env(Env::posix());
  env.set_disk_full_after(stream.size() / 2);
  StringFile in(stream);
  CHECK_THROWS_WITH(unpack_archive(env, in, tmp / "b"), Catch::Contains("No space left"));
  CHECK_FALSE(test::exists(tmp / "b"));
}

// The archive writer and verifier: a whole archive is accepted; every kind of damage
// is refused with a message naming the file.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "archive/archive_reader.h"
#include "archive/archive_writer.h"
#include "util/fault_env.h"
#include "archive_test_support.h"
#include "codec/content_digest.h"
#include "codec/row_encoder.h"
#include "omsbackup/error.h"
#include "util/sha256.h"

using namespace omsbackup;
using omsbackup::test::make_archive;
using omsbackup::test::read_whole_file;
using omsbackup::test::TempDir;
using omsbackup::test::write_chunk;
using omsbackup::test::write_whole_file;

namespace {

std::string refusal(const std::string& dir, bool deep = false) {
  try {
    verify_archive(Env::posix(), dir, VerifyOptions{deep});
  } catch (const Error& e) {
    CHECK((e.code() == Errc::corrupt_archive || e.code() == Errc::unsupported));
    return e.what();
  }
  return "";
}

bool has(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

void flip_byte(const std::string& path, std::size_t at) {
  std::string s = read_whole_file(path);
  REQUIRE(at < s.size());
  s[at] = static_cast<char>(s[at] ^ 0x01);
  write_whole_file(path, s);
}

// Rewrites the manifest with `edit` applied and the DONE marker recomputed, so that
// only the checks after the marker can catch the change.
template <class Edit>
void rewrite_manifest(const std::string& dir, Edit edit) {
  auto j = nlohmann::ordered_json::parse(read_whole_file(dir + "/manifest.json"));
  edit(j);
  std::string text = j.dump(1, '\t') + "\n";
  write_whole_file(dir + "/manifest.json", text);
  auto done = nlohmann::ordered_json::parse(read_whole_file(dir + "/DONE"));
  done["manifest_size"] = text.size();
  done["manifest_sha256"] = to_hex(Sha256::of(text));
  write_whole_file(dir + "/DONE", done.dump() + "\n");
}

const std::string kChunk = "data/0001/00001-000001.tsv.zst";
const std::string kChunk2 = "data/0001/00001-000002.tsv.zst";

}  // namespace

TEST_CASE("a complete archive verifies, deep too, with private modes", "[archive][verify]") {
  TempDir t;
  std::string dir = t / "a.omsdump";
  make_archive(Env::posix(), dir);
  Manifest m = verify_archive(Env::posix(), dir, VerifyOptions{true});
  CHECK(m.databases.size() == 2);
  CHECK(m.files.size() == 3);
  CHECK(m.databases[0].tables[0].rows == 101);
  struct stat st {};
  REQUIRE(::stat(dir.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0700);
  REQUIRE(::stat((dir + "/data/0001").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0700);
  for (const char* f : {"/manifest.json", "/DONE", "/data/0001/00001-000001.tsv.zst"}) {
    REQUIRE(::stat((dir + f).c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
  }
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    CHECK_FALSE(has(e.path().string(), ".partial"));
}

TEST_CASE("every kind of damage is refused, naming the file", "[archive][verify]") {
  TempDir t;
  std::string dir = t / "a.omsdump";
  make_archive(Env::posix(), dir);
  REQUIRE(refusal(dir).empty());
  // Catch2 runs the test case once per SECTION: each damages a fresh archive.

  SECTION("a flipped byte in a chunk file") {
    flip_byte(dir + "/" + kChunk, 20);
    std::string why = refusal(dir);
    CHECK(has(why, kChunk));
    CHECK(has(why, "SHA-256"));
  }
  SECTION("a flipped byte in the manifest") {
    flip_byte(dir + "/manifest.json", 30);
    std::string why = refusal(dir);
    CHECK(has(why, "manifest.json"));
  }
  SECTION("a flipped byte in the DONE marker") {
    std::string done = read_whole_file(dir + "/DONE");
    flip_byte(dir + "/DONE", done.find("manifest_sha256") + 20);
    std::string why = refusal(dir);
    CHECK((has(why, "DONE") || has(why, "manifest.json")));
  }
  SECTION("a truncated chunk file") {
    std::filesystem::resize_file(dir + "/" + kChunk2, 10);
    std::string why = refusal(dir);
    CHECK(has(why, kChunk2));
    CHECK(has(why, "bytes"));
  }
  SECTION("a deleted chunk file") {
    std::filesystem::remove(dir + "/" + kChunk);
    std::string why = refusal(dir);
    CHECK(has(why, kChunk));
    CHECK(has(why, "missing"));
  }
  SECTION("an unlisted file") {
    write_whole_file(dir + "/data/0001/extra.tsv.zst", "x");
    std::string why = refusal(dir);
    CHECK(has(why, "data/0001/extra.tsv.zst"));
    CHECK(has(why, "not listed"));
  }
  SECTION("two chunk files swapped") {
    std::filesystem::rename(dir + "/" + kChunk, dir + "/tmp");
    std::filesystem::rename(dir + "/" + kChunk2, dir + "/" + kChunk);
    std::filesystem::rename(dir + "/tmp", dir + "/" + kChunk2);
    std::string why = refusal(dir);
    CHECK((has(why, kChunk) || has(why, kChunk2)));
  }
  SECTION("an edited manifest (row count) without a new marker") {
    std::string s = read_whole_file(dir + "/manifest.json");
    auto pos = s.find("\"rows\": 101");
    REQUIRE(pos != std::string::npos);
    s.replace(pos, 11, "\"rows\": 102");
    write_whole_file(dir + "/manifest.json", s);
    std::string why = refusal(dir);
    CHECK(has(why, "manifest.json"));
    CHECK(has(why, "DONE"));
  }
  SECTION("the marker removed") {
    std::filesystem::remove(dir + "/DONE");
    std::string why = refusal(dir);
    CHECK(has(why, "DONE"));
    CHECK(has(why, "incomplete"));
  }
  SECTION("a manifest entry with ../") {
    rewrite_manifest(dir, [](auto& j) { j["files"][0]["path"] = "../outside.tsv.zst"; });
    std::string why = refusal(dir);
    CHECK(has(why, "../outside.tsv.zst"));
    CHECK(has(why, "unsafe"));
  }
  SECTION("a manifest entry with an absolute path") {
    rewrite_manifest(dir, [](auto& j) { j["files"][0]["path"] = "/etc/passwd"; });
    std::string why = refusal(dir);
    CHECK(has(why, "/etc/passwd"));
    CHECK(has(why, "unsafe"));
  }
  SECTION("a symlink in the archive") {
    std::filesystem::create_symlink("/etc/passwd", dir + "/data/link");
    std::string why = refusal(dir);
    CHECK(has(why, "data/link"));
    CHECK(has(why, "symbolic link"));
  }
  SECTION("a listed chunk file replaced by a symlink") {
    std::filesystem::rename(dir + "/" + kChunk, t / "moved");
    std::filesystem::create_symlink(t / "moved", dir + "/" + kChunk);
    std::string why = refusal(dir);
    CHECK(has(why, kChunk));
  }
  SECTION("a newer format version") {
    rewrite_manifest(dir, [](auto& j) { j["format_version"] = 4; });
    std::string why = refusal(dir);
    CHECK(has(why, "version 4"));
  }
  SECTION("a manifest whose format version is not the DONE marker's") {
    rewrite_manifest(dir, [](auto& j) { j["format_version"] = 2; });
    std::string why = refusal(dir);
    CHECK(has(why, "format version 2"));
    CHECK(has(why, "manifest.json"));
  }
  SECTION("a DONE marker of an unknown format version") {
    auto done = nlohmann::ordered_json::parse(read_whole_file(dir + "/DONE"));
    done["format_version"] = 4;
    write_whole_file(dir + "/DONE", done.dump() + "\n");
    std::string why = refusal(dir);
    CHECK(has(why, "DONE"));
    CHECK(has(why, "version 4"));
  }
  SECTION("a manifest whose chunk rows disagree with the data (deep check)") {
    rewrite_manifest(dir, [](auto& j) { j["databases"][1]["tables"][0]["chunks"][0]["rows"] = 49; });
    CHECK(refusal(dir, false).empty());  // the file hashes alone cannot see it
    std::string why = refusal(dir, true);
    CHECK(has(why, "data/0002/00001-000001.tsv.zst"));
    CHECK(has(why, "rows"));
  }
  SECTION("a chunk whose content digest disagrees (deep check)") {
    rewrite_manifest(dir, [](auto& j) {
      j["databases"][1]["tables"][0]["chunks"][0]["digest"] = std::string(64, '0');
    });
    std::string why = refusal(dir, true);
    CHECK(has(why, "data/0002/00001-000001.tsv.zst"));
    CHECK(has(why, "digest"));
  }
}

TEST_CASE("a manifest that is not JSON is refused, naming it", "[archive][verify]") {
  TempDir t;
  std::string dir = t / "a.omsdump";
  make_archive(Env::posix(), dir);
  std::string text = "{ not json";
  write_whole_file(dir + "/manifest.json", text);
  auto done = nlohmann::ordered_json::parse(read_whole_file(dir + "/DONE"));
  done["manifest_size"] = text.size();
  done["manifest_sha256"] = to_hex(Sha256::of(text));
  write_whole_file(dir + "/DONE", done.dump());
  std::string why = refusal(dir);
  CHECK(has(why, "manifest.json"));
  CHECK(has(why, "JSON"));
}

TEST_CASE("the writer never writes into an existing directory", "[archive][writer]") {
  TempDir t;
  REQUIRE_THROWS_AS(ArchiveWriter(Env::posix(), t.path()), Error);
}

TEST_CASE("a writer that fails or is abandoned leaves nothing behind", "[archive][writer]") {
  TempDir t;
  std::string dir = t / "a.omsdump";
  SECTION("abandoned before commit") {
    {
      ArchiveWriter w(Env::posix(), dir);
      write_chunk(w, 1, 1, 1, 0, 10);
    }
    CHECK_FALSE(std::filesystem::exists(dir));
  }
  SECTION("the disk fills up while a chunk is written") {
    FaultEnv env(Env::posix());
    env.set_disk_full_after(200);
    CHECK_THROWS_AS(make_archive(env, dir), Error);
    CHECK_FALSE(std::filesystem::exists(dir));
  }
  SECTION("the manifest rename fails") {
    FaultEnv env(Env::posix());
    env.fail_rename(4);  // three chunk files, then the manifest
    CHECK_THROWS_AS(make_archive(env, dir), Error);
    CHECK_FALSE(std::filesystem::exists(dir));
  }
  SECTION("the marker rename fails: no DONE, nothing left") {
    FaultEnv env(Env::posix());
    env.fail_rename(5);
    CHECK_THROWS_AS(make_archive(env, dir), Error);
    CHECK_FALSE(std::filesystem::exists(dir));
  }
}

TEST_CASE("safe relative paths", "[archive][verify]") {
  CHECK(is_safe_relative_path("data/0001/00001-000001.tsv.zst"));
  CHECK(is_safe_relative_path("a"));
  CHECK_FALSE(is_safe_relative_path(""));
  CHECK_FALSE(is_safe_relative_path("/abs"));
  CHECK_FALSE(is_safe_relative_path("../x"));
  CHECK_FALSE(is_safe_relative_path("a/../b"));
  CHECK_FALSE(is_safe_relative_path("a/./b"));
  CHECK_FALSE(is_safe_relative_path("a//b"));
  CHECK_FALSE(is_safe_relative_path("a/"));
  CHECK_FALSE(is_safe_relative_path("a\\b"));
  CHECK_FALSE(is_safe_relative_path(std::string("a\nb")));
}

TEST_CASE("manifest text that is not UTF-8 survives as hex", "[archive][manifest]") {
  Manifest m;
  m.tool_version = "t";
  m.server_flavor = "MariaDB";
  m.server_version = "10.11";
  m.consistency = "lock";
  DatabaseEntry d{"db", "utf8mb4", "utf8mb4_bin", "CREATE DATABASE db", {}};
  TableEntry t;
  t.def.name = "b";
  t.def.create_sql = std::string("CREATE TABLE `b` (`id` binary(2) DEFAULT '\xff\0', `x` int)", 55);  // 55: the literal without its terminating NUL
  t.def.columns = {{"id", "binary", "binary(2)", false, false}};
  ChunkInfo c;
  c.file = "data/0001/00001-000001.tsv.zst";
  c.lower = "\xfe\x01";
  c.sha256 = std::string(64, '0');
  c.digest = std::string(32, '0');
  t.chunks.push_back(c);
  d.tables.push_back(t);
  m.databases.push_back(d);
  std::string text = m.to_json();
  CHECK(text.find("\"hex\"") != std::string::npos);
  Manifest back = Manifest::from_json(text);
  CHECK(back.databases[0].tables[0].def.create_sql == t.def.create_sql);
  CHECK(back.databases[0].tables[0].chunks[0].lower == "\xfe\x01");
  CHECK(back.databases[0].tables[0].def.name == "b");
}

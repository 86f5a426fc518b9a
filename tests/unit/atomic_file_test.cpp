#include <catch2/catch.hpp>
#include <string>

#include "archive/atomic_file.h"
#include "util/env.h"
#include "util/fault_env.h"
#include "archive_test_support.h"
#include "omsbackup/error.h"

using namespace omsbackup;
using omsbackup::test::exists;
using omsbackup::test::TempDir;

namespace {

// Only the names in `dir`, for checking that nothing (e.g. a .partial file) was left behind.
std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> names;
  for (const FileInfo& info : Env::posix().list_dir(dir)) names.push_back(info.name);
  return names;
}

}  // namespace

TEST_CASE("atomic writer publishes the file on commit only", "[archive][atomic]") {
  TempDir dir;
  test::UmaskScope umask_scope(022);
  std::string path = dir / "manifest.json";
  {
    AtomicFileWriter w(Env::posix(), path);
    CHECK(w.partial_path() == path + ".partial");
    w.append("{\"a\":");
    w.sink().append("1}");
    CHECK(exists(path + ".partial"));
    CHECK_FALSE(exists(path));
    w.commit();
    CHECK(w.committed());
  }
  CHECK(test::read_whole_file(path) == "{\"a\":1}");
  CHECK(test::mode_of(path) == 0600);
  CHECK(names_in(dir.path()) == std::vector<std::string>{"manifest.json"});
}

TEST_CASE("atomic writer removes the partial file when dropped without commit",
          "[archive][atomic]") {
  TempDir dir;
  std::string path = dir / "f";
  test::write_whole_file(path, "old");
  {
    AtomicFileWriter w(Env::posix(), path);
    w.append("new content");
  }
  CHECK(names_in(dir.path()) == std::vector<std::string>{"f"});
  CHECK(test::read_whole_file(path) == "old");  // the previous version is untouched

  {
    AtomicFileWriter w(Env::posix(), path);
    w.abandon();
    CHECK_FALSE(exists(path + ".partial"));
    CHECK_THROWS_AS(w.append("x"), Error);
  }
}

TEST_CASE("atomic writer replaces an existing file", "[archive][atomic]") {
  TempDir dir;
  std::string path = dir / "f";
  write_file_atomically(Env::posix(), path, "first");
  write_file_atomically(Env::posix(), path, "second", 0640);
  CHECK(test::read_whole_file(path) == "second");
  CHECK(test::mode_of(path) == 0640);
  write_file_atomically(Env::posix(), path, "");
  CHECK(test::read_whole_file(path).empty());
  CHECK(names_in(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE("atomic writer cleans up on every failure", "[archive][atomic][fault]") {
  TempDir dir;
  FaultEnv env(Env::posix());
  std::string path = dir / "chunk.zst";

  SECTION("sync fails") {
    AtomicFileWriter w(env, path);
    w.append("data");
    env.fail_sync();
    REQUIRE_THROWS_AS(w.commit(), Error);
    CHECK_FALSE(w.committed());
    CHECK(names_in(dir.path()).empty());
    CHECK_THROWS_AS(w.commit(), Error);  // unusable after a failure
  }
  SECTION("rename fails") {
    AtomicFileWriter w(env, path);
    w.append("data");
    env.fail_rename();
    try {
      w.commit();
      FAIL("commit did not throw");
    } catch (const Error& e) {
      CHECK(e.code() == Errc::io);
      CHECK_THAT(e.message(), Catch::Contains("injected"));
    }
    CHECK(names_in(dir.path()).empty());
  }
  SECTION("append hits a full disk") {
    env.set_disk_full_after(3);
    AtomicFileWriter w(env, path);
    REQUIRE_THROWS_AS(w.append("too much data"), Error);
    CHECK(names_in(dir.path()).empty());  // removed at once, not only at destruction
    CHECK_THROWS_AS(w.append("x"), Error);
  }
  SECTION("sink sync fails") {
    AtomicFileWriter w(env, path);
    env.fail_sync();
    REQUIRE_THROWS_AS(w.sink().sync(), Error);
    CHECK(names_in(dir.path()).empty());
  }
  SECTION("create fails") {
    env.fail_create();
    REQUIRE_THROWS_AS(write_file_atomically(env, path, "x"), Error);
    CHECK(names_in(dir.path()).empty());
  }
  SECTION("the final directory sync fails after the rename") {
    AtomicFileWriter w(env, path);
    w.append("data");
    env.fail_nth(FaultEnv::Op::sync_dir, 1);
    REQUIRE_THROWS_AS(w.commit(), Error);
    CHECK(names_in(dir.path()) == std::vector<std::string>{"chunk.zst"});
  }
  CHECK(env.calls(FaultEnv::Op::remove_file) <= 1);
}

TEST_CASE("atomic sink refuses close", "[archive][atomic]") {
  TempDir dir;
  AtomicFileWriter w(Env::posix(), dir / "f");
  CHECK_THROWS_AS(w.sink().close(), Error);
  w.commit();
  CHECK(test::read_whole_file(dir / "f").empty());
}

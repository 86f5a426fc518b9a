#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "util/env.h"
#include "util/fault_env.h"
#include "archive_test_support.h"
#include "omsbackup/error.h"

using namespace omsbackup;
using omsbackup::test::TempDir;
using omsbackup::test::UmaskScope;

namespace {

std::string read_all(Env& env, const std::string& path) {
  auto file = env.new_sequential_file(path);
  std::string out;
  char buf[7];  // odd-sized on purpose
  while (std::size_t n = file->read(buf, sizeof buf)) out.append(buf, n);
  return out;
}

// Runs `fn`, requires it to throw Error with `code`, and returns the error.
template <typename Fn>
Error expect_error(Errc code, Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    CHECK(e.code() == code);
    return e;
  }
  FAIL("no omsbackup::Error thrown");
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("posix env writes, reads back and lists files", "[archive][env]") {
  TempDir dir;
  Env& env = Env::posix();
  auto file = env.new_writable_file(dir / "a.txt");
  file->append("hello ");
  file->append("");
  file->append("world");
  file->sync();
  file->close();
  file->close();  // idempotent
  CHECK(read_all(env, dir / "a.txt") == "hello world");

  auto info = env.stat(dir / "a.txt");
  REQUIRE(info);
  CHECK(info->name == "a.txt");
  CHECK(info->type == FileInfo::Type::regular);
  CHECK(info->size == 11);
  CHECK_FALSE(env.stat(dir / "missing"));
  CHECK_FALSE(env.stat(dir / "missing/below"));

  // Truncates an existing file.
  auto again = env.new_writable_file(dir / "a.txt");
  again->append("x");
  again.reset();  // the destructor closes
  CHECK(read_all(env, dir / "a.txt") == "x");
}

TEST_CASE("file and directory modes are exact whatever the umask", "[archive][env]") {
  TempDir dir;
  Env& env = Env::posix();
  for (mode_t mask : {mode_t{022}, mode_t{0}, mode_t{077}}) {
    UmaskScope umask_scope(mask);
    std::string tag = std::to_string(mask);
    env.new_writable_file(dir / ("f600-" + tag))->close();
    env.new_writable_file(dir / ("f644-" + tag), 0644)->close();
    env.create_dir(dir / ("d700-" + tag));
    env.create_dir(dir / ("d755-" + tag), 0755);
    CHECK(test::mode_of(dir / ("f600-" + tag)) == 0600);
    CHECK(test::mode_of(dir / ("f644-" + tag)) == 0644);
    CHECK(test::mode_of(dir / ("d700-" + tag)) == 0700);
    CHECK(test::mode_of(dir / ("d755-" + tag)) == 0755);
  }
  // Re-truncating a file applies the requested mode again.
  ::chmod((dir / "f600-0").c_str(), 0666);
  env.new_writable_file(dir / "f600-0")->close();
  CHECK(test::mode_of(dir / "f600-0") == 0600);
}

TEST_CASE("create_dir accepts an existing directory only", "[archive][env]") {
  TempDir dir;
  Env& env = Env::posix();
  env.create_dir(dir / "d");
  env.create_dir(dir / "d");  // exists: fine
  env.new_writable_file(dir / "file")->close();
  Error e = expect_error(Errc::io, [&] { env.create_dir(dir / "file"); });
  CHECK(e.object() == dir / "file");
  CHECK_THAT(e.what(), Catch::Contains("File exists"));

  REQUIRE(::symlink((dir / "d").c_str(), (dir / "link").c_str()) == 0);
  expect_error(Errc::io, [&] { env.create_dir(dir / "link"); });
  expect_error(Errc::io, [&] { env.create_dir(dir / "no/such/parent"); });
}

TEST_CASE("list_dir is sorted, lstat based and skips . and ..", "[archive][env]") {
  TempDir dir;
  Env& env = Env::posix();
  env.create_dir(dir / "sub", 0750);
  auto f = env.new_writable_file(dir / "b.dat", 0640);
  f->append("12345");
  f->close();
  REQUIRE(::symlink("b.dat", (dir / "a-link").c_str()) == 0);
  REQUIRE(::symlink("sub", (dir / "c-dirlink").c_str()) == 0);
  REQUIRE(::mkfifo((dir / "d-fifo").c_str(), 0600) == 0);

  auto list = env.list_dir(dir.path());
  REQUIRE(list.size() == 5);
  CHECK(list[0].name == "a-link");
  CHECK(list[0].type == FileInfo::Type::symlink);
  CHECK(list[1].name == "b.dat");
  CHECK(list[1].type == FileInfo::Type::regular);
  CHECK(list[1].size == 5);
  CHECK(list[1].mode == 0640);
  CHECK(list[2].name == "c-dirlink");
  CHECK(list[2].type == FileInfo::Type::symlink);
  CHECK(list[3].name == "d-fifo");
  CHECK(list[3].type == FileInfo::Type::other);
  CHECK(list[4].name == "sub");
  CHECK(list[4].type == FileInfo::Type::directory);
  CHECK(list[4].mode == 0750);

  auto link = env.stat(dir / "c-dirlink");
  REQUIRE(link);
  CHECK(link->type == FileInfo::Type::symlink);
  CHECK(env.list_dir(dir / "sub").empty());

  Error e = expect_error(Errc::io, [&] { env.list_dir(dir / "missing"); });
  CHECK(e.object() == dir / "missing");
}

TEST_CASE("files are never opened through a symlink", "[archive][env]") {
  TempDir dir;
  Env& env = Env::posix();
  test::write_whole_file(dir / "target", "keep me");
  REQUIRE(::symlink("target", (dir / "link").c_str()) == 0);

  Error w = expect_error(Errc::io, [&] { env.new_writable_file(dir / "link"); });
  CHECK(w.object() == dir / "link");
  CHECK(test::read_whole_file(dir / "target") == "keep me");
  Error r = expect_error(Errc::io, [&] { env.new_sequential_file(dir / "link"); });
  CHECK(r.object() == dir / "link");
}

TEST_CASE("rename, remove and sync_dir", "[archive][env]") {
  TempDir dir;
  Env& env = Env::posix();
  env.new_writable_file(dir / "a")->close();
  env.rename(dir / "a", dir / "b");
  CHECK_FALSE(env.stat(dir / "a"));
  CHECK(env.stat(dir / "b"));
  env.sync_dir(dir.path());
  env.remove_file(dir / "b");
  CHECK_FALSE(env.stat(dir / "b"));

  env.create_dir(dir / "d");
  env.new_writable_file(dir / "d/x")->close();
  Error not_empty = expect_error(Errc::io, [&] { env.remove_dir(dir / "d"); });
  CHECK(not_empty.object() == dir / "d");
  env.remove_file(dir / "d/x");
  env.remove_dir(dir / "d");
  CHECK_FALSE(env.stat(dir / "d"));

  Error missing = expect_error(Errc::io, [&] { env.remove_file(dir / "nope"); });
  CHECK(missing.object() == dir / "nope");
  CHECK_THAT(missing.what(), Catch::Contains("No such file or directory"));
  expect_error(Errc::io, [&] { env.rename(dir / "nope", dir / "other"); });
  expect_error(Errc::io, [&] { env.sync_dir(dir / "nope"); });
}

TEST_CASE("errors name the path and carry strerror", "[archive][env]") {
  TempDir dir;
  Env& env = Env::posix();
  Error e = expect_error(Errc::io, [&] { env.new_sequential_file(dir / "missing"); });
  CHECK(e.object() == dir / "missing");
  CHECK_THAT(e.message(), Catch::Contains("open for reading failed"));
  CHECK_THAT(e.message(), Catch::Contains("No such file or directory"));
  CHECK_THAT(e.what(), Catch::StartsWith(dir / "missing"));

  auto f = env.new_writable_file(dir / "closed");
  f->close();
  expect_error(Errc::io, [&] { f->append("x"); });
  expect_error(Errc::io, [&] { f->sync(); });
}

TEST_CASE("fault env fails the nth call and counts calls", "[archive][env][fault]") {
  TempDir dir;
  FaultEnv env(Env::posix());

  SECTION("append") {
    auto f = env.new_writable_file(dir / "f");
    env.fail_append(2);
    f->append("one");
    Error e = expect_error(Errc::io, [&] { f->append("two"); });
    CHECK(e.object() == dir / "f");
    CHECK_THAT(e.message(), Catch::Contains("injected"));
    CHECK_THAT(e.message(), Catch::Contains("No space left on device"));
    f->append("three");  // only the nth call fails
    f->close();
    CHECK(test::read_whole_file(dir / "f") == "onethree");
    CHECK(env.calls(FaultEnv::Op::append) == 3);
    CHECK(env.faults_injected() == 1);
  }
  SECTION("sync, create, rename with a chosen errno") {
    env.fail_sync();
    env.fail_create(2);
    env.fail_nth(FaultEnv::Op::rename, 1, EIO);
    auto f = env.new_writable_file(dir / "f");
    Error sync = expect_error(Errc::io, [&] { f->sync(); });
    CHECK_THAT(sync.message(), Catch::Contains("fsync failed (injected fault)"));
    f->sync();
    f->close();
    Error create = expect_error(Errc::io, [&] { env.new_writable_file(dir / "g"); });
    CHECK(create.object() == dir / "g");
    CHECK_FALSE(test::exists(dir / "g"));  // failed before reaching the real env
    Error rename = expect_error(Errc::io, [&] { env.rename(dir / "f", dir / "h"); });
    CHECK_THAT(rename.message(), Catch::Contains("Input/output error"));
    CHECK(test::exists(dir / "f"));
    env.rename(dir / "f", dir / "h");
    CHECK(env.calls(FaultEnv::Op::create) == 2);
    CHECK(env.calls(FaultEnv::Op::sync) == 2);
    CHECK(env.calls(FaultEnv::Op::rename) == 2);
    CHECK(env.faults_injected() == 3);
  }
  SECTION("clear_faults removes pending faults") {
    env.fail_sync();
    env.set_disk_full_after(0);
    env.clear_faults();
    auto f = env.new_writable_file(dir / "f");
    f->append("data");
    f->sync();
    CHECK(env.faults_injected() == 0);
  }
}

TEST_CASE("fault env behaves as a full disk after N bytes", "[archive][env][fault]") {
  TempDir dir;
  FaultEnv env(Env::posix());
  env.set_disk_full_after(10);
  auto a = env.new_writable_file(dir / "a");
  auto b = env.new_writable_file(dir / "b");
  a->append("123456");
  Error e = expect_error(Errc::io, [&] { b->append("abcdefgh"); });
  CHECK(e.object() == dir / "b");
  CHECK_THAT(e.message(), Catch::Contains("No space left on device"));
  expect_error(Errc::io, [&] { a->append("z"); });
  a->append("");  // an empty write still succeeds
  a->close();
  b->close();
  CHECK(test::read_whole_file(dir / "a") == "123456");
  CHECK(test::read_whole_file(dir / "b") == "abcd");  // the part that fit
  CHECK(env.bytes_appended() == 10);
}

TEST_CASE("try_lock_file: one holder at a time, its info for the others, removed on release",
          "[archive][env][lock]") {
  TempDir dir;
  Env& env = Env::posix();
  const std::string path = dir.path() + "/journal.lock";
  std::string holder = "unchanged";
  auto first = env.try_lock_file(path, "first holder\n", &holder);
  REQUIRE(first);
  CHECK(holder == "unchanged");
  CHECK(env.stat(path)->mode == 0600);
  CHECK(read_all(env, path) == "first holder\n");
  // flock locks conflict between open files, also within one process.
  CHECK(env.try_lock_file(path, "second\n", &holder) == nullptr);
  CHECK(holder == "first holder\n");
  CHECK(read_all(env, path) == "first holder\n");  // the refused one wrote nothing
  first.reset();
  CHECK_FALSE(env.stat(path).has_value());
  // A file left by a process that died (the kernel dropped its lock) is taken over.
  { auto f = env.new_writable_file(path); f->append("stale holder, much longer than the new info\n"); f->close(); }
  auto again = env.try_lock_file(path, "new\n", &holder);
  REQUIRE(again);
  CHECK(read_all(env, path) == "new\n");
  // Never through a symlink.
  again.reset();
  REQUIRE(::symlink("elsewhere", path.c_str()) == 0);
  expect_error(Errc::io, [&] { env.try_lock_file(path, "x", &holder); });
}

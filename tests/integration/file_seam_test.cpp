// The whole dump and restore pipelines through the file seam (issue #17): a FaultEnv fails
// the disk under them at every step it can, without root or a real full disk. A dump that
// fails leaves no archive; a restore whose journal cannot be written fails with the live
// database as it was, or in a state that --resume finishes to the archive's data.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <filesystem>

#include "dump/dump_pipeline.h"
#include "omsbackup/omsbackup.h"
#include "restore/restore_pipeline.h"
#include "server.h"
#include "util/fault_env.h"

using namespace omsbackup;
using namespace omsbackup::testing;
namespace fs = std::filesystem;

namespace {

const char* kDb = "seam_src";

void make_source(Session& s) {
  s.execute(fmt::format("DROP DATABASE IF EXISTS {}", kDb));
  s.execute(fmt::format("CREATE DATABASE {}", kDb));
  s.execute(fmt::format("CREATE TABLE {}.t (id INT PRIMARY KEY, b VARBINARY(64), KEY kb (b))", kDb));
  // Rows that do not compress: 64 random-looking bytes each, ~200 KiB in all.
  s.execute(fmt::format("INSERT INTO {0}.t SELECT seq, UNHEX(SHA2(seq, 512)) FROM {0}.seq_1_to_3000", kDb));
  s.execute(fmt::format("CREATE TABLE {}.nokey (a INT, s TEXT)", kDb));
  s.execute(fmt::format("INSERT INTO {0}.nokey SELECT seq % 7, REPEAT('x', seq % 90) FROM {0}.seq_1_to_800", kDb));
  s.execute(fmt::format("ANALYZE TABLE {0}.t, {0}.nokey", kDb));
}

DumpOptions dump_options(const std::string& output) {
  DumpOptions d;
  d.connection = sandbox_connection();
  d.databases = {kDb};
  d.output = output;
  d.threads = 2;
  d.chunk_bytes = 32 * 1024;  // several chunk files per table
  d.compress_level = 1;
  return d;
}

// Nothing of the archive is left in `parent`: no directory, no .partial file.
void require_nothing_left(const std::string& parent) {
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(parent)) left.push_back(e.path().filename());
  INFO("left behind: " << fmt::format("{}", fmt::join(left, ", ")));
  CHECK(left.empty());
}

}  // namespace

TEST_CASE("a dump through a full disk fails naming the chunk file and leaves no archive",
          "[seam][dump]") {
  auto s = sandbox_session();
  make_source(*s);
  std::string parent = temp_dir("seam-full");
  std::string archive = parent + "/archive";
  for (std::uint64_t limit : {std::uint64_t{0}, std::uint64_t{40000}, std::uint64_t{150000}}) {
    CAPTURE(limit);
    FaultEnv env(Env::posix());
    env.set_disk_full_after(limit);
    try {
      run_dump(env, dump_options(archive), PruneInput{});
      FAIL("the dump did not fail on a full disk");
    } catch (const Error& e) {
      std::string what = e.what();
      INFO(what);
      CHECK(e.code() == Errc::io);
      CHECK(what.find("No space left on device") != std::string::npos);
      CHECK(what.find(archive + "/data/0001/") != std::string::npos);  // the file it was writing
      CHECK(what.find("No archive was written") != std::string::npos);
    }
    CHECK(env.faults_injected() >= 1);
    require_nothing_left(parent);
  }
  s->execute(fmt::format("DROP DATABASE {}", kDb));
}

TEST_CASE("a dump fails cleanly at every rename, sync and create the file seam sees", "[seam][dump]") {
  auto s = sandbox_session();
  make_source(*s);
  std::string parent = temp_dir("seam-sweep");
  std::string archive = parent + "/archive";
  // A dump that succeeds, counting the operations it makes.
  FaultEnv counting(Env::posix());
  DumpReport ok = run_dump(counting, dump_options(archive), PruneInput{});
  REQUIRE(ok.total_rows() == 3800);
  CHECK(verify(archive).tables.size() == 2);
  fs::remove_all(archive);
  for (FaultEnv::Op op : {FaultEnv::Op::rename, FaultEnv::Op::sync, FaultEnv::Op::create,
                          FaultEnv::Op::create_dir, FaultEnv::Op::sync_dir}) {
    const std::uint64_t calls = counting.calls(op);
    REQUIRE(calls >= 1);
    for (std::uint64_t n = 1; n <= calls; ++n) {
      CAPTURE(static_cast<int>(op), n, calls);
      FaultEnv env(Env::posix());
      env.fail_nth(op, n, EIO);
      try {
        run_dump(env, dump_options(archive), PruneInput{});
        FAIL("the dump did not fail");
      } catch (const Error& e) {
        INFO(e.what());
        CHECK(std::string(e.what()).find("injected fault") != std::string::npos);
      }
      CHECK(env.faults_injected() == 1);
      require_nothing_left(parent);
    }
  }
  s->execute(fmt::format("DROP DATABASE {}", kDb));
}

TEST_CASE("a restore whose journal cannot be written keeps the live data or resumes to the archive's",
          "[seam][restore]") {
  auto s = sandbox_session();
  make_source(*s);
  std::string archive = fresh_path("seam-restore");
  run_dump(Env::posix(), dump_options(archive), PruneInput{});
  const DatabaseState archived = capture(*s, kDb);
  // The live database after "an upgrade": the restore is to bring back `archived`.
  s->execute(fmt::format("DELETE FROM {}.t WHERE id > 2500", kDb));
  s->execute(fmt::format("CREATE TABLE {}.added (x INT)", kDb));
  const DatabaseState live = capture(*s, kDb);
  auto reset_live = [&] {
    s->execute(fmt::format("DROP DATABASE IF EXISTS {}", kDb));
    make_source(*s);
    s->execute(fmt::format("DELETE FROM {}.t WHERE id > 2500", kDb));
    s->execute(fmt::format("CREATE TABLE {}.added (x INT)", kDb));
  };
  RestoreOptions r;
  r.connection = sandbox_connection();
  r.archive = archive;
  r.threads = 2;
  // How many journal lines a whole restore writes (the journal is the only file it writes).
  FaultEnv counting(Env::posix());
  run_restore(counting, r);
  require_same(archived, capture(*s, kDb));
  const std::uint64_t appends = counting.calls(FaultEnv::Op::append);
  REQUIRE(appends >= 4);
  for (std::uint64_t n = 1; n <= appends; ++n) {
    CAPTURE(n, appends);
    reset_live();
    FaultEnv env(Env::posix());
    env.fail_nth(FaultEnv::Op::append, n, ENOSPC);
    RestoreOptions attempt = r;
    std::string message;
    try {
      run_restore(env, attempt);
      FAIL("the restore did not fail");
    } catch (const Error& e) {
      message = e.what();
    }
    INFO(message);
    CHECK(message.find("No space left on device") != std::string::npos);
    CHECK(message.find(".restore-journal") != std::string::npos);  // names the journal
    const bool journal_left = fs::exists(archive + ".restore-journal");
    if (message.find("Nothing was changed on the server") != std::string::npos) {
      // Nothing to resume, and no journal to trip over: the live database is as it was.
      CHECK_FALSE(journal_left);
      require_same(live, capture(*s, kDb));
      continue;
    }
    REQUIRE(journal_left);
    CHECK(message.find("--resume") != std::string::npos);
    // Before the swap the live database is untouched; in any case --resume finishes.
    if (message.find("No live database was changed") != std::string::npos)
      require_same(live, capture(*s, kDb));
    RestoreOptions resume = r;
    resume.resume = true;
    RestoreReport done = run_restore(Env::posix(), resume);
    CHECK(done.resumed);
    require_same(archived, capture(*s, kDb));
    CHECK_FALSE(fs::exists(archive + ".restore-journal"));
  }
  s->execute(fmt::format("DROP DATABASE {}", kDb));
}

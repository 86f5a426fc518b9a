// The restore journal's typed API over its file format (JSON lines, docs/restore.md): the
// phase names on disk stay the ones every earlier release wrote, so --resume reads them.
#include <catch2/catch.hpp>

#include "archive_test_support.h"
#include "omsbackup/error.h"
#include "restore/journal.h"
#include "util/fault_env.h"

using namespace omsbackup;
using omsbackup::test::read_whole_file;
using omsbackup::test::TempDir;

TEST_CASE("journal: phases, indexed tables, chunks and foreign keys read back", "[journal]") {
  TempDir t;
  const std::string path = t / "j";
  {
    Journal j(Env::posix(), path);
    j.begin({{"manifest_sha256", "ab"}, {"mode", "staging"}});
    j.phase(0, Phase::created);
    j.chunk(0, 2, 5);
    j.indexed(0, 2);
    j.phase(1, Phase::swapping);
    j.foreign_key(1, {{"schema", "s"}, {"table", "t"}, {"name", "fk"}, {"add_sql", "ALTER ..."}});
  }
  // The file format: one JSON object per line, phases by their historical names.
  CHECK(read_whole_file(path) ==
        "{\"event\":\"begin\",\"manifest_sha256\":\"ab\",\"mode\":\"staging\"}\n"
        "{\"db\":0,\"event\":\"phase\",\"phase\":\"created\"}\n"
        "{\"chunk\":5,\"db\":0,\"event\":\"chunk\",\"table\":2}\n"
        "{\"db\":0,\"event\":\"phase\",\"phase\":\"indexed:2\"}\n"
        "{\"db\":1,\"event\":\"phase\",\"phase\":\"swapping\"}\n"
        "{\"add_sql\":\"ALTER ...\",\"db\":1,\"event\":\"foreign-key\",\"name\":\"fk\",\"schema\":\"s\","
        "\"table\":\"t\"}\n");
  JournalState st = Journal::read(Env::posix(), path);
  CHECK(st.begun);
  CHECK(st.begin.value("mode", "") == "staging");
  CHECK(st.has(0, Phase::created));
  CHECK_FALSE(st.has(0, Phase::proven));
  CHECK_FALSE(st.has(1, Phase::created));
  CHECK(st.has(1, Phase::swapping));
  CHECK_FALSE(st.has(1, Phase::swapped));
  CHECK(st.indexed(0, 2));
  CHECK_FALSE(st.indexed(0, 1));
  CHECK_FALSE(st.indexed(1, 2));
  CHECK(st.chunks.count({0, 2, 5}) == 1);
  CHECK(st.chunks.size() == 1);
  REQUIRE(st.foreign_keys.size() == 1);
  CHECK(st.foreign_keys[0].first == 1);
  CHECK(st.foreign_keys[0].second.value("add_sql", "") == "ALTER ...");
}

TEST_CASE("journal: every phase has its own name, and a torn last line is ignored", "[journal]") {
  std::set<std::string> names;
  for (Phase p : {Phase::created, Phase::proven, Phase::swapping, Phase::swapped, Phase::objects,
                  Phase::finished})
    names.insert(phase_name(p));
  CHECK(names == std::set<std::string>{"created", "proven", "swapping", "swapped", "objects", "finished"});

  TempDir t;
  const std::string path = t / "j";
  {
    Journal j(Env::posix(), path);
    j.phase(3, Phase::finished);
  }
  {
    auto f = Env::posix().new_appendable_file(path);
    f->append("{\"db\":3,\"event\":\"phase\",\"pha");  // a crash in mid-line
    f->close();
  }
  JournalState st = Journal::read(Env::posix(), path);
  CHECK(st.has(3, Phase::finished));
  CHECK(st.phases.at(3).size() == 1);
  CHECK_FALSE(st.begun);
}

TEST_CASE("journal: a line that cannot be written is an error naming the journal", "[journal]") {
  TempDir t;
  FaultEnv env(Env::posix());
  Journal j(env, t / "j");
  env.fail_nth(FaultEnv::Op::sync, 1, EIO);
  try {
    j.phase(0, Phase::created);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::io);
    CHECK(e.object() == t / "j");
  }
}

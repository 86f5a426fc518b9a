// OMS specifics against the sandbox server: heartbeat pruning in its three modes, and
// the refusal of an archive missing a database's tables.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <filesystem>

#include "omsbackup/omsbackup.h"
#include "server.h"

using namespace omsbackup;
using namespace omsbackup::testing;

namespace {

const char* kHb = "oms_hb_t";

// A heartbeat database shaped like OMS's, with 50,000 rows and an AUTO_INCREMENT
// counter above MAX(id).
void make_heartbeat(Session& s) {
  s.execute(fmt::format("DROP DATABASE IF EXISTS {}", kHb));
  s.execute(fmt::format("CREATE DATABASE {} DEFAULT CHARACTER SET utf8", kHb));
  s.execute(fmt::format(
      "CREATE TABLE {}.heatbeat_sequence (id bigint(20) NOT NULL AUTO_INCREMENT COMMENT 'PK', "
      "gmt_created datetime NOT NULL, gmt_modified datetime NOT NULL, PRIMARY KEY (id)) "
      "DEFAULT CHARSET=utf8 COMMENT='心跳 sequence 表'",
      kHb));
  s.execute(fmt::format("INSERT INTO {0}.heatbeat_sequence (gmt_created, gmt_modified) SELECT "
                        "'2026-11-01' + INTERVAL seq SECOND, '2026-11-01' + INTERVAL seq SECOND "
                        "FROM {0}.seq_1_to_50000",
                        kHb));
  s.execute(fmt::format("DELETE FROM {}.heatbeat_sequence WHERE id > 49990", kHb));
  s.execute(fmt::format("CREATE TABLE {}.other (k INT PRIMARY KEY, v VARCHAR(10))", kHb));
  s.execute(fmt::format("INSERT INTO {}.other VALUES (1, 'a'), (2, 'b')", kHb));
}

std::string count(Session& s, const std::string& table) {
  return s.scalar(fmt::format("SELECT COUNT(*) FROM {}.{}", kHb, table)).value_or("?");
}

std::string auto_increment(Session& s) {
  return s.scalar(fmt::format("SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE "
                              "TABLE_SCHEMA = '{}' AND TABLE_NAME = 'heatbeat_sequence'",
                              kHb))
      .value_or("?");
}

DumpOptions hb_dump(const std::string& tag, PruneMode mode) {
  DumpOptions d;
  d.connection = sandbox_connection();
  d.databases = {kHb};
  d.output = fresh_path(tag);
  d.threads = 2;
  d.prune.mode = mode;
  return d;
}

void restore_fresh(Session& s, const std::string& archive) {
  s.execute(fmt::format("DROP DATABASE {}", kHb));
  RestoreOptions r;
  r.connection = sandbox_connection();
  r.archive = archive;
  restore(r);
}

}  // namespace

TEST_CASE("filter pruning keeps only the newest heartbeat, the counter and the source",
          "[oms][prune]") {
  auto s = sandbox_session();
  make_heartbeat(*s);
  std::string ai = auto_increment(*s);
  CHECK(std::stoull(ai) > 49990);  // the counter is above MAX(id)
  DumpReport r = dump(hb_dump("prune-filter", PruneMode::filter));
  for (const auto& t : r.tables) {
    if (t.table == "heatbeat_sequence") {
      CHECK(t.pruned);
      CHECK(t.rows == 1);
    } else {
      CHECK_FALSE(t.pruned);
      CHECK(t.rows == 2);
    }
  }
  CHECK(count(*s, "heatbeat_sequence") == "49990");  // the source is untouched
  restore_fresh(*s, r.archive);
  CHECK(count(*s, "heatbeat_sequence") == "1");
  CHECK(s->scalar(fmt::format("SELECT id FROM {}.heatbeat_sequence", kHb)) ==
        std::optional<std::string>("49990"));
  CHECK(auto_increment(*s) == ai);
  CHECK(count(*s, "other") == "2");
}

TEST_CASE("keep the last N rows", "[oms][prune]") {
  auto s = sandbox_session();
  make_heartbeat(*s);
  DumpOptions d = hb_dump("prune-keep", PruneMode::filter);
  d.prune.keep_rows = 5;
  DumpReport r = dump(d);
  restore_fresh(*s, r.archive);
  CHECK(s->scalar(fmt::format("SELECT CONCAT(COUNT(*), ':', MIN(id), ':', MAX(id)) FROM "
                              "{}.heatbeat_sequence",
                              kHb)) == std::optional<std::string>("5:49986:49990"));
}

TEST_CASE("delete pruning deletes in batches on the source, resumably", "[oms][prune]") {
  auto s = sandbox_session();
  make_heartbeat(*s);
  std::string ai = auto_increment(*s);
  PruneOptions p;
  p.mode = PruneMode::remove;
  p.batch_rows = 5000;

  SECTION("interrupted, then run again") {
    std::atomic<bool> cancel{false};
    std::uint64_t seen = 0;
    CHECK_THROWS_AS(prune(sandbox_connection(), {kHb}, p,
                          [&](const PruneProgress& pp) {
                            seen = pp.deleted;
                            if (pp.deleted >= 10000) cancel = true;
                          },
                          &cancel),
                    Error);
    CHECK(seen == 10000);
    CHECK(count(*s, "heatbeat_sequence") == "39990");
    PruneReport again = prune(sandbox_connection(), {kHb}, p);
    REQUIRE(again.tables.size() == 1);
    CHECK(again.tables[0].deleted == 39989);
    CHECK(again.tables[0].kept == 1);
    CHECK(auto_increment(*s) == ai);
  }
  SECTION("as part of the dump") {
    DumpReport r = dump(hb_dump("prune-delete", PruneMode::remove));
    CHECK(count(*s, "heatbeat_sequence") == "1");
    CHECK(auto_increment(*s) == ai);
    bool found = false;
    for (const auto& t : r.tables)
      if (t.table == "heatbeat_sequence") {
        found = true;
        CHECK(t.pruned_deleted == 49989);
        CHECK(t.rows == 1);
      }
    CHECK(found);
    restore_fresh(*s, r.archive);
    CHECK(auto_increment(*s) == ai);
    CHECK(count(*s, "heatbeat_sequence") == "1");
  }
}

TEST_CASE("an archive missing a database's tables is refused unless allowed", "[oms]") {
  auto s = sandbox_session();
  s->execute("DROP DATABASE IF EXISTS oms_empty_db");
  s->execute("CREATE DATABASE oms_empty_db");
  DumpOptions d;
  d.connection = sandbox_connection();
  d.databases = {"oms_empty_db"};
  d.output = fresh_path("empty");
  CHECK_THROWS_WITH(dump(d), Catch::Contains("oms_empty_db") && Catch::Contains("--allow-empty"));
  CHECK_FALSE(std::filesystem::exists(d.output));
  d.allow_empty = true;
  DumpReport r = dump(d);
  CHECK(r.tables.empty());
  s->execute("DROP DATABASE oms_empty_db");
}

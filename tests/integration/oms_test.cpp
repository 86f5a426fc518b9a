// OMS specifics against the sandbox server: heartbeat pruning in its three modes, and
// the refusal of an archive missing a database's tables.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

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

TEST_CASE("one-command backup and rollback from two regions' config.yaml", "[oms][cli]") {
  std::string root = std::getenv("OMSB_SOURCE_ROOT") ? std::getenv("OMSB_SOURCE_ROOT") : ".";
  load_sql_file(root + "/tests/data/oms_sample.sql");
  auto s = sandbox_session();
  const std::vector<std::string> dbs = {"rm", "cm", "cm_hb1", "cm_hb2"};
  std::vector<DatabaseState> before;
  for (const auto& db : dbs) before.push_back(capture(*s, db));
  std::string dir = temp_dir("omsconf");
  std::string r1 = write_oms_config(dir, "region1.yaml", "cm_hb1", 1, true);
  std::string r2 = write_oms_config(dir, "region2.yaml", "cm_hb2", 2, false);
  std::string password = *sandbox_connection().password;
  std::string archive = dir + "/backup";

  // The backup: everything from the config files, nothing else on the command line.
  CommandResult d = run_command(fmt::format("env -u MYSQL_PWD {} --oms-config {} --oms-config {} "
                                            "-o {} --json",
                                            tool_path("OMSDUMP"), r1, r2, archive));
  INFO(d.output);
  REQUIRE(d.status == 0);
  for (const auto& db : dbs) CHECK(d.output.find("\"" + db + "\"") != std::string::npos);
  CHECK(d.output.find(password) == std::string::npos);
  CHECK(read_file(archive + "/manifest.json").find(password) == std::string::npos);
  // The heartbeat tables were pruned to their newest row (the default).
  CHECK(d.output.find("\"pruned\": true") != std::string::npos);

  for (const auto& db : dbs) s->execute("DROP DATABASE IF EXISTS " + db);
  s->execute("CREATE DATABASE cm");  // a half-upgraded state
  s->execute("CREATE TABLE cm.new_table (x INT)");

  CommandResult r = run_command(fmt::format("env -u MYSQL_PWD {} --oms-config {} --oms-config {} {}",
                                            tool_path("OMSRESTORE"), r1, r2, archive));
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(r.output.find(password) == std::string::npos);
  for (std::size_t i = 0; i < dbs.size(); ++i) {
    INFO("database " << dbs[i]);
    DatabaseState after = capture(*s, dbs[i]);
    if (dbs[i].rfind("cm_hb", 0) == 0) {
      // Pruned: only the newest heartbeat row, and the same AUTO_INCREMENT counter.
      const TableState& b = before[i].tables.at("heatbeat_sequence");
      const TableState& a = after.tables.at("heatbeat_sequence");
      CHECK(a.create_sql == b.create_sql);
      CHECK(a.auto_increment == b.auto_increment);
      REQUIRE(a.rows.size() == 1);
      auto newest = std::max_element(b.rows.begin(), b.rows.end(), [](const auto& x, const auto& y) {
        return std::stoull(x[0].value_or("0")) < std::stoull(y[0].value_or("0"));
      });
      CHECK(a.rows.front() == *newest);
    } else {
      require_same(before[i], after);
    }
  }
}

TEST_CASE("a bad config.yaml is refused naming the file and key", "[oms][cli]") {
  std::string dir = temp_dir("badconf");
  std::string path = dir + "/config.yaml";
  {
    std::ofstream out(path);
    out << "oms_meta_host: 127.0.0.1\noms_meta_port: 3306\noms_meta_user: root\n"
        << "oms_meta_password: \"s3cret-value\"\ndrc_rm_db: rm\ndrc_cm_db: cm\n";
  }
  CommandResult d = run_command(fmt::format("{} --oms-config {} -o {}/x", tool_path("OMSDUMP"), path, dir));
  CHECK(d.status != 0);
  CHECK(d.output.find(path) != std::string::npos);
  CHECK(d.output.find("drc_cm_heartbeat_db") != std::string::npos);
  CHECK(d.output.find("s3cret-value") == std::string::npos);
}

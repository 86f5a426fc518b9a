// What the tools report while they work and when they end: the counts match what was
// written, the remaining estimate does not jump up, and the last line is the final state.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <vector>

#include "omsbackup/dump.h"
#include "omsbackup/restore.h"
#include "server.h"

using namespace omsbackup;
using namespace omsbackup::testing;

namespace {

void make_tables(Session& s) {
  for (const char* sql : {
           "DROP DATABASE IF EXISTS prog_db",
           "CREATE DATABASE prog_db",
           // Keyless: one scan cut into files by size, more files than planned tasks.
           "CREATE TABLE prog_db.keyless (a INT, pad VARCHAR(200))",
           "INSERT INTO prog_db.keyless SELECT seq, REPEAT('k', 200) FROM prog_db.seq_1_to_3000",
           "CREATE TABLE prog_db.keyed (id INT PRIMARY KEY, pad VARCHAR(200))",
           "INSERT INTO prog_db.keyed SELECT seq, REPEAT('x', 150) FROM prog_db.seq_1_to_2000",
           // Grows after its statistics were taken: bigger than the planner's estimate.
           "CREATE TABLE prog_db.grown (id INT PRIMARY KEY, pad VARCHAR(250))",
           "INSERT INTO prog_db.grown VALUES (1, 'a')",
           "ANALYZE TABLE prog_db.grown",
           "INSERT INTO prog_db.grown SELECT seq + 1, REPEAT('g', 250) FROM prog_db.seq_1_to_3000",
       })
    s.execute(sql);
}

}  // namespace

TEST_CASE("dump progress: chunk counts match the files written, the remaining estimate never "
          "grows when a table completes",
          "[progress][dump]") {
  auto s = sandbox_session();
  make_tables(*s);
  std::vector<DumpProgress> seen;
  DumpOptions d;
  d.connection = sandbox_connection();
  d.databases = {"prog_db"};
  d.output = fresh_path("progress-dump");
  d.chunk_bytes = 64 * 1024;
  d.threads = 1;
  d.on_progress = [&](const DumpProgress& p) { seen.push_back(p); };
  DumpReport r = dump(d);
  REQUIRE_FALSE(seen.empty());
  std::uint64_t files = 0;
  for (const auto& t : r.tables) files += t.chunks;
  const DumpProgress& last = seen.back();
  CHECK(last.chunks_done == files);
  CHECK(last.chunks_total == files);
  CHECK(last.tables_done == 3);
  CHECK(last.raw_bytes == r.total_raw_bytes());
  CHECK(last.estimated_bytes == last.raw_bytes);  // nothing left
  for (std::size_t i = 1; i < seen.size(); ++i) {
    if (seen[i].tables_done == seen[i - 1].tables_done) continue;
    INFO("progress report " << i << " of " << seen.size());
    CHECK(seen[i].estimated_bytes - seen[i].raw_bytes <=
          seen[i - 1].estimated_bytes - seen[i - 1].raw_bytes);
  }

  SECTION("the restore's last report is the final state") {
    std::vector<RestoreProgress> rs;
    RestoreOptions o;
    o.connection = sandbox_connection();
    o.archive = d.output;
    o.on_progress = [&](const RestoreProgress& p) { rs.push_back(p); };
    RestoreReport rr = restore(o);
    REQUIRE_FALSE(rs.empty());
    CHECK(rs.back().phase == "done");
    CHECK(rs.back().chunks_done == files);
    CHECK(rs.back().chunks_total == files);
    CHECK(rs.back().rows == r.total_rows());
    CHECK(rs.back().raw_bytes == r.total_raw_bytes());
    CHECK(rs.back().raw_bytes_total == r.total_raw_bytes());
    CHECK(rr.rows == r.total_rows());
    CHECK(rr.chunks == files);
  }
  s->execute("DROP DATABASE prog_db");
}

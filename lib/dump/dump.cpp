// The dump pipeline (single-threaded walking skeleton): catalog -> read -> encode
// -> compress+hash -> archive writer.
#include "omsbackup/dump.h"

#include <fmt/format.h>

#include <chrono>

#include "archive/archive_writer.h"
#include "catalog/catalog.h"
#include "dump/table_reader.h"
#include "omsbackup/error.h"
#include "omsbackup/omsbackup.h"
#include "sql/session.h"
#include "util/clock.h"

namespace omsbackup {

std::uint64_t DumpReport::total_rows() const {
  std::uint64_t n = 0;
  for (const auto& t : tables) n += t.rows;
  return n;
}

std::uint64_t DumpReport::total_stored_bytes() const {
  std::uint64_t n = 0;
  for (const auto& t : tables) n += t.stored_bytes;
  return n;
}

namespace {

void check_options(const DumpOptions& o) {
  if (o.databases.empty())
    throw Error(Errc::invalid_argument, "--databases", "name at least one database to dump");
  if (o.output.empty()) throw Error(Errc::invalid_argument, "-o", "name the archive directory");
  if (o.compress_level < 1 || o.compress_level > 19)
    throw Error(Errc::invalid_argument, "--compress-level", "must be between 1 and 19");
}

// Pins what the rows look like: raw stored bytes, and one consistent snapshot.
void begin_snapshot(Session& s) {
  s.execute("SET SESSION character_set_results = binary", "pinning the result character set");
  s.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
            "setting REPEATABLE READ for the snapshot");
  s.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT", "starting the snapshot");
}

}  // namespace

DumpReport dump(const DumpOptions& options) {
  check_options(options);
  auto t0 = std::chrono::steady_clock::now();
  Session session(options.connection);
  Env& env = Env::posix();
  ArchiveWriter writer(env, options.output);

  Manifest m;
  m.tool_version = version();
  m.server_flavor = flavor_name(session.server().flavor);
  m.server_version = session.server().version;
  m.started_at = utc_now_iso8601();
  m.consistency = "snapshot";
  m.options["compress_level"] = std::to_string(options.compress_level);
  m.options["threads"] = "1";

  begin_snapshot(session);
  DumpReport report;
  report.archive = options.output;
  report.consistency = m.consistency;
  for (std::size_t di = 0; di < options.databases.size(); ++di) {
    DatabaseDef db = read_database(session, options.databases[di]);
    DatabaseEntry de{db.name, db.charset, db.collation, db.create_sql, {}};
    for (std::size_t ti = 0; ti < db.tables.size(); ++ti) {
      TableEntry te;
      te.def = db.tables[ti];
      std::string rel = fmt::format("data/{:04}/{:05}-{:06}.tsv.zst", di + 1, ti + 1, 1);
      auto chunk = writer.new_chunk(rel, options.compress_level);
      ReadResult r = read_table(session, db.name, te.def, "",
                                [&](std::string_view rows) { chunk->write(rows); });
      FileEntry fe = chunk->finish();
      writer.add_file(fe);
      te.chunks.push_back(ChunkInfo{rel, "", "", "", r.digest.rows(), r.raw_bytes, fe.size,
                                    fe.sha256, r.digest.sum_hex()});
      te.rows = r.digest.rows();
      report.tables.push_back(
          TableReport{db.name, te.def.name, te.rows, 1, r.raw_bytes, fe.size});
      de.tables.push_back(std::move(te));
    }
    m.databases.push_back(std::move(de));
  }
  session.execute("COMMIT", "ending the snapshot");
  m.finished_at = utc_now_iso8601();
  writer.commit(m);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

}  // namespace omsbackup

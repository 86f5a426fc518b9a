// The restore pipeline (single-threaded walking skeleton): verify the archive ->
// drop and recreate -> load -> prove.
#include "omsbackup/restore.h"

#include <fmt/format.h>

#include <chrono>

#include "archive/archive_reader.h"
#include "codec/column_codec.h"
#include "codec/content_digest.h"
#include "dump/table_reader.h"
#include "omsbackup/error.h"
#include "sql/quote.h"
#include "sql/session.h"

namespace omsbackup {

namespace {

void load_table(Session& s, Env& env, const std::string& root, const DatabaseEntry& db,
                const TableEntry& t) {
  std::string stmt = load_data_statement(db.name, t.def.name, t.def.columns);
  for (const ChunkInfo& c : t.chunks) {
    ChunkReader reader(env, root, c.file);
    s.load_data_local(stmt, [&](char* buf, std::size_t n) { return reader.read(buf, n); },
                      fmt::format("loading {}.{} from {}", db.name, t.def.name, c.file));
  }
}

// Proof after the load: the table's rows, re-read from the server and encoded the
// same way, must give the archive's row count and content digest.
void prove_table(Session& s, const DatabaseEntry& db, const TableEntry& t) {
  ContentDigest expected;
  for (const ChunkInfo& c : t.chunks) expected.merge(ContentDigest::from(c.rows, c.digest));
  ReadResult got = read_table(s, db.name, t.def, "", [](std::string_view) {});
  if (got.digest.rows() != expected.rows()) {
    throw Error(Errc::verify_failed, fmt::format("{}.{}", db.name, t.def.name),
                fmt::format("restored {} rows, the archive holds {}", got.digest.rows(),
                            expected.rows()));
  }
  if (!(got.digest == expected)) {
    throw Error(Errc::verify_failed, fmt::format("{}.{}", db.name, t.def.name),
                "the restored rows differ from the archive's (content digest mismatch)");
  }
}

}  // namespace

RestoreReport restore(const RestoreOptions& options) {
  if (options.archive.empty())
    throw Error(Errc::invalid_argument, "ARCHIVE", "name the archive directory to restore");
  auto t0 = std::chrono::steady_clock::now();
  Env& env = Env::posix();
  // Nothing on the server changes before the whole archive is proven intact.
  Manifest m = verify_archive(env, options.archive);

  Session s(options.connection);
  s.execute("SET SESSION character_set_results = binary", "pinning the result character set");
  s.execute("SET SESSION foreign_key_checks = 0, unique_checks = 0",
            "turning off key checks for the load");
  RestoreReport report;
  for (const DatabaseEntry& db : m.databases) {
    std::string q = quote_identifier(db.name);
    s.execute(fmt::format("DROP DATABASE IF EXISTS {}", q),
              fmt::format("dropping database {}", db.name));
    s.execute(db.create_sql, fmt::format("creating database {}", db.name));
    s.execute(fmt::format("USE {}", q), fmt::format("using database {}", db.name));
    for (const TableEntry& t : db.tables) {
      s.execute(t.def.create_sql, fmt::format("creating table {}.{}", db.name, t.def.name));
      load_table(s, env, options.archive, db, t);
      report.rows += t.rows;
      ++report.tables;
    }
    for (const TableEntry& t : db.tables) prove_table(s, db, t);
    report.databases.push_back(db.name);
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

}  // namespace omsbackup

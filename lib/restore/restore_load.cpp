#include "restore/restore_load.h"

#include <fmt/format.h>

#include <cstring>
#include <thread>

#include "codec/column_codec.h"
#include "codec/content_digest.h"
#include "omsbackup/error.h"
#include "restore/ddl_proof.h"
#include "restore/deferred_indexes.h"
#include "restore/objects.h"
#include "restore/row_batches.h"
#include "scan/reader_session.h"
#include "scan/table_reader.h"
#include "sql/quote.h"
#include "util/parallel.h"
#include "util/test_hook.h"

namespace omsbackup {

namespace {

constexpr int kLoadAttempts = 5;
// Rows per load statement (and transaction), in bytes of the archive's rows: see
// restore/row_batches.h. Each loader holds one batch in memory.
constexpr std::size_t kLoadBatchBytes = 4 << 20;

}  // namespace

void RestoreLoader::build_and_prove(Session& s) {
  // One task graph over every database still to build, so that no stage waits for a
  // whole database (or a whole stage) to end: a table's indexes are added as soon as its
  // last chunk is loaded, its chunks are proven as soon as it is indexed, and a database
  // is marked proven as soon as its last table is. Indexes first (one long statement per
  // table, best started early), then loads (largest first), then proofs.
  constexpr int kIndexPriority = 2, kLoadPriority = 1, kProvePriority = 0;
  struct TableWork {
    std::size_t id = 0, target = 0, table = 0;  // id: its place in `tables`
    std::vector<Unit> units;
    std::atomic<std::size_t> loads_left{0}, proofs_left{0};
  };
  struct DatabaseWork {
    std::atomic<std::size_t> tables_left{0};
  };
  std::vector<std::unique_ptr<TableWork>> tables;
  std::vector<DatabaseWork> databases(st_.targets.size());
  std::vector<std::pair<const Unit*, TableWork*>> loads;
  std::vector<const Unit*> to_clear;
  for (std::size_t ti = 0; ti < st_.targets.size(); ++ti) {
    Target& t = st_.targets[ti];
    if (st_.resumed.has(t.index, Phase::finished) || st_.resumed.has(t.index, Phase::proven)) continue;
    bool resuming = st_.report.resumed && st_.resumed.has(t.index, Phase::created);
    if (resuming) wait_for_orphans(s, t);
    else create_tables(s, t);
    databases[ti].tables_left = t.entry->tables.size();
    std::vector<Unit> units = units_for(t);
    for (std::size_t table = 0; table < t.entry->tables.size(); ++table) {
      auto tw = std::make_unique<TableWork>();
      tw->id = tables.size();
      tw->target = ti;
      tw->table = table;
      for (const Unit& u : units)
        if (u.table == table) {
          tw->units.push_back(u);
          tw->units.back().target = ti;
        }
      tw->loads_left = tw->units.size();
      tw->proofs_left = tw->units.size();
      if (resuming)
        for (const Unit& u : tw->units) to_clear.push_back(&u);
      tables.push_back(std::move(tw));
    }
    if (t.entry->tables.empty()) mark_proven(s, t);
  }
  // A resumed run clears every unjournaled chunk before it loads any (restore.md).
  st_.parallel(to_clear.size(), [&](Session& w, std::size_t i) { clear_unit(w, *to_clear[i]); });
  for (auto& tw : tables)
    for (const Unit& u : tw->units) loads.emplace_back(&u, tw.get());
  std::stable_sort(loads.begin(), loads.end(),
                   [](const auto& a, const auto& b) { return a.first->bytes > b.first->bytes; });

  TaskGraph graph;
  auto table_proven = [&](Session& w, TableWork* tw) {
    if (--databases[tw->target].tables_left == 0) mark_proven(w, st_.targets[tw->target]);
  };
  auto table_loaded = [&](TableWork* tw) {
    graph.add(kIndexPriority, [&, tw](std::size_t w) {
      add_indexes(*st_.workers[w], st_.targets[tw->target], tw->table);
      if (!st_.o.verify || tw->units.empty()) return table_proven(*st_.workers[w], tw);
      for (const Unit& u : tw->units)
        graph.add(kProvePriority, [&, tw, u = &u](std::size_t pw) {
          prove_unit(*st_.workers[pw], *u);
          if (--tw->proofs_left == 0) table_proven(*st_.workers[pw], tw);
        });
    });
  };
  for (auto& tw : tables)
    if (tw->units.empty()) table_loaded(tw.get());
  for (auto& [u, tw] : loads)
    // Grouped by table: a free loader takes another table's chunk if there is one.
    graph.add(
        kLoadPriority,
        [&, u = u, tw = tw](std::size_t w) {
          load_unit(*st_.workers[w], *u);
          if (--tw->loads_left == 0) table_loaded(tw);
        },
        tw->id);
  graph.run(st_.workers.size(), st_.stop);
}

std::vector<Unit> RestoreLoader::units_for(const Target& t) const {
  std::vector<Unit> units;
  for (std::size_t ti = 0; ti < t.entry->tables.size(); ++ti) {
    const TableEntry& te = t.entry->tables[ti];
    if (te.chunks.empty()) continue;  // DDL only (ddl_only): nothing to load, clear or prove
    bool keyed = !te.chunks.empty() && !te.chunks.front().where.empty();
    if (keyed) {
      for (std::size_t ci = 0; ci < te.chunks.size(); ++ci)
        units.push_back(Unit{0, ti, {ci}, te.chunks[ci].stored_bytes});
    } else {
      Unit u{0, ti, {}, 0};
      for (std::size_t ci = 0; ci < te.chunks.size(); ++ci) {
        u.chunks.push_back(ci);
        u.bytes += te.chunks[ci].stored_bytes;
      }
      units.push_back(u);
    }
  }
  return units;
}

void RestoreLoader::create_tables(Session& s, const Target& t) {
  const std::string& work = t.names.work;
  if (st_.o.in_place || !st_.resumed.has(t.index, Phase::created)) {
    s.execute(fmt::format("DROP DATABASE IF EXISTS {}", quote_identifier(work)),
              st_.o.in_place ? fmt::format("dropping database {} (--in-place)", work)
                          : fmt::format("clearing the staging database {}", work));
    if (st_.o.in_place) st_.live_changed(t);
    test_point("restore.work-dropped");
  }
  s.execute(create_database_sql(work, *t.entry, s.server(), st_.m.server_flavor),
            fmt::format("creating database {}", work));
  st_.staged = true;
  s.execute(fmt::format("USE {}", quote_identifier(work)), fmt::format("using {}", work));
  for (const TableEntry& te : t.entry->tables) {
    SplitDdl ddl = split_secondary_indexes(te.def.create_sql, quote_qualified(work, te.def.name));
    s.execute(ddl.create_sql, fmt::format("creating table {}.{}", work, te.def.name));
  }
  st_.journal->phase(t.index, Phase::created);
  test_point("restore.created");
}

// A resumed run first waits for statements the interrupted run left running on the
// server (a client killed mid-statement leaves its statement to finish or roll back
// there): LOCK TABLES ... WRITE waits for every other statement on those tables.
void RestoreLoader::wait_for_orphans(Session& s, const Target& t) {
  std::vector<std::string> tables = base_tables(s, t.names.work);
  if (tables.empty()) return;
  std::string sql = "LOCK TABLES ";
  for (std::size_t i = 0; i < tables.size(); ++i)
    sql += (i ? ", " : "") + quote_qualified(t.names.work, tables[i]) + " WRITE";
  s.execute(sql, fmt::format("waiting for statements of the interrupted restore on {} to end",
                             t.names.work));
  s.execute("UNLOCK TABLES", "releasing the table locks");
}

bool RestoreLoader::unit_done(const Target& t, const Unit& u) const {
  for (std::size_t ci : u.chunks)
    if (!st_.resumed.chunks.count({t.index, u.table, ci})) return false;
  return true;
}

// A resumed run clears what an unjournaled chunk may have committed before any chunk
// is loaded: a DELETE running beside a LOAD DATA into the same empty table can hang
// MariaDB 10.11 (both threads stuck inside InnoDB; see docs/restore.md).
void RestoreLoader::clear_unit(Session& s, const Unit& u) {
  st_.check_cancel();
  const Target& t = st_.targets[u.target];
  if (unit_done(t, u)) return;
  const TableEntry& te = t.entry->tables[u.table];
  std::string qt = quote_qualified(t.names.work, te.def.name);
  bool keyed = u.chunks.size() == 1 && !te.chunks[u.chunks[0]].where.empty();
  if (keyed) {
    // A chunk committed just before a crash, but not yet journaled, is loaded again.
    std::size_t ci = u.chunks[0];
    s.execute(fmt::format("DELETE FROM {} WHERE {}", qt, te.chunks[ci].where),
              fmt::format("clearing {}.{} chunk {} before loading it again", t.names.work,
                          te.def.name, ci + 1));
  } else {
    // Chunks cut by size have no predicate: the table is loaded again as a whole.
    s.execute(fmt::format("DELETE FROM {}", qt),
              fmt::format("clearing {}.{} before loading it again", t.names.work, te.def.name));
  }
}

void RestoreLoader::load_unit(Session& s, const Unit& u) {
  st_.check_cancel();
  const Target& t = st_.targets[u.target];
  const TableEntry& te = t.entry->tables[u.table];
  if (unit_done(t, u)) {
    for (std::size_t ci : u.chunks) st_.progress("load", 1, te.chunks[ci].rows, te.chunks[ci].raw_bytes);
    return;
  }
  for (std::size_t ci : u.chunks) load_chunk(s, t, te, ci);
}

void RestoreLoader::load_chunk(Session& s, const Target& t, const TableEntry& te, std::size_t ci) {
  const ChunkInfo& c = te.chunks[ci];
  std::string label = fmt::format("{}.{} chunk {} ({})", t.entry->name, te.def.name, ci + 1,
                                  c.where.empty() ? c.file : c.where);
  try {
    ChunkReader reader(st_.env, st_.o.archive, c.file, st_.archive.cipher.get());
    RowBatches batches([&](char* buf, std::size_t n) { return reader.read(buf, n); },
                       kLoadBatchBytes);
    std::string batch;
    std::uint64_t loaded = 0, raw = 0;
    bool under_way = false;  // test point: once a first buffer of the chunk reached the server
    const std::string statement =
        st_.use_insert ? std::string() : load_data_statement(t.names.work, te.def.name, te.def.columns);
    while (batches.next(batch)) {
      st_.check_cancel();
      loaded += load_batch(s, t, te, statement, batch, label, loaded, under_way);
      raw += batch.size();
      test_point("restore.batch-committed");
    }
    if (loaded != c.rows)
      throw Error(Errc::verify_failed, label,
                  fmt::format("the server took {} rows, the archive holds {} (duplicate keys or "
                              "values the table refused?)",
                              loaded, c.rows));
    test_point("restore.chunk-committed");
    st_.journal->chunk(t.index, &te - t.entry->tables.data(), ci);
    test_point("restore.chunk");
    st_.progress("load", 1, c.rows, raw);
  } catch (const Error& e) {
    if (e.code() == Errc::cancelled) throw;
    st_.check_cancel();  // the source stopped the LOAD DATA because of a cancel
    throw e.object().rfind(label, 0) == 0 ? e : e.with_context(label);
  }
}

std::uint64_t RestoreLoader::load_batch(Session& s, const Target& t, const TableEntry& te,
                                     const std::string& statement, std::string_view batch,
                                     const std::string& label, std::uint64_t rows_before,
                                     bool& under_way) {
  // A batch is one transaction: a deadlock or lock wait timeout rolls it back (the
  // INSERT path rolls back itself, since a lock wait timeout undoes only the statement),
  // and it is sent again; the batches before it stay committed.
  for (int attempt = 1;; ++attempt) {
    std::size_t pos = 0;
    auto source = [&](char* buf, std::size_t n) {
      if (pos > 0 && !under_way) {  // the chunk's first statement is under way
        under_way = true;
        test_point("restore.loading");
      }
      std::size_t k = std::min(n, batch.size() - pos);
      std::memcpy(buf, batch.data() + pos, k);
      pos += k;
      return k;
    };
    try {
      if (!st_.use_insert)
        return s.load_data_local(statement, source, fmt::format("loading {}", label));
      s.execute("START TRANSACTION", fmt::format("starting a transaction for {}", label));
      std::uint64_t n = insert_chunk(s, t.names.work, te.def, source, st_.insert_limits, label,
                                     rows_before);
      s.execute("COMMIT", fmt::format("committing {}", label));
      return n;
    } catch (const Error& e) {
      if (st_.use_insert) {
        try {
          s.execute("ROLLBACK", fmt::format("rolling back {}", label));
        } catch (const Error&) {
          throw e;  // the connection is gone: report the first error
        }
      }
      if (attempt >= kLoadAttempts || !is_retryable_read_error(e.server_errno())) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(50 * attempt));
    }
  }
}

void RestoreLoader::add_indexes(Session& s, const Target& t, std::size_t ti) {
  const TableEntry& te = t.entry->tables[ti];
  if (st_.resumed.indexed(t.index, ti)) return;
  const std::string qt = quote_qualified(t.names.work, te.def.name);
  SplitDdl ddl = split_secondary_indexes(te.def.create_sql, qt);
  // An interrupted run may have added them (the ALTER committed, its journal line not
  // written): the table then already reads back as the archive's.
  auto added_already = [&] {
    ResultSet r = s.query("SHOW CREATE TABLE " + qt,
                          fmt::format("reading back {}.{}", t.names.work, te.def.name));
    return !r.rows.empty() && r.rows[0].size() > 1 && r.rows[0][1] == te.def.create_sql;
  };
  if (!ddl.add_indexes_sql.empty() && !(st_.report.resumed && added_already())) {
    test_point("restore.indexing");
    try {
      s.execute(ddl.add_indexes_sql,
                fmt::format("adding the secondary indexes of {}.{}", t.entry->name, te.def.name));
    } catch (const Error& e) {
      // ER_DUP_KEYNAME: an ALTER the interrupted run left running has just finished.
      if (!(st_.report.resumed && e.server_errno() == 1061 && added_already())) throw;
    }
    test_point("restore.index-added");
  }
  st_.journal->indexed(t.index, ti);
  test_point("restore.indexed");
}

void RestoreLoader::prove_unit(Session& s, const Unit& u) {
  st_.check_cancel();
  const Target& t = st_.targets[u.target];
  const TableEntry& te = t.entry->tables[u.table];
  const DigestKind kind = digest_kind_of(st_.m.format_version);
  ContentDigest expected(kind);
  for (std::size_t ci : u.chunks)
    expected.merge(ContentDigest::from(kind, te.chunks[ci].rows, te.chunks[ci].digest));
  const ChunkInfo& first = te.chunks[u.chunks.front()];
  bool keyed = u.chunks.size() == 1 && !first.where.empty();
  std::string what = keyed ? fmt::format("{}.{} rows {} (chunk {}: {} .. {})", t.entry->name,
                                         te.def.name, first.where, u.chunks[0] + 1, first.lower,
                                         first.upper)
                           : fmt::format("{}.{}", t.entry->name, te.def.name);
  test_point("restore.proving");
  ReadResult got = read_table(s, t.names.work, te.def, keyed ? "WHERE " + first.where : "", what,
                              kind, [&](std::string_view, const ContentDigest&) { st_.check_cancel(); });
  if (got.digest.rows() != expected.rows())
    throw Error(Errc::verify_failed, what,
                fmt::format("the restored copy has {} rows, the archive {}", got.digest.rows(),
                            expected.rows()));
  if (!(got.digest == expected))
    throw Error(Errc::verify_failed, what,
                "the restored rows differ from the archive's (content digest mismatch)");
  st_.progress("prove", 1, got.digest.rows(), got.raw_bytes);
  test_point("restore.proved");
}

void RestoreLoader::mark_proven(Session& s, const Target& t) {
  if (st_.o.verify) check_ddl(st_, s, t, t.names.work, false);
  st_.journal->phase(t.index, Phase::proven);
  test_point("restore.proven");
}

}  // namespace omsbackup

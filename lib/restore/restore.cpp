// The restore pipeline:
//   verify the archive -> preflight -> create every database under a staging name ->
//   one task graph on N connections: load chunks (LOAD DATA LOCAL fed from the zstd
//   stream, or INSERT), add a table's deferred indexes once its chunks are in, prove its
//   chunks once it is indexed -> with every database proven: swap each in atomically ->
//   create views, routines, triggers, events -> drop the old copy.
// Every step that completes is written to the journal (fsynced), so --resume can
// continue after a crash without loading a chunk twice. docs/restore.md says what a
// crash at each step leaves behind.
#include "restore/restore_pipeline.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "archive/archive_reader.h"
#include "catalog/table_filter.h"
#include "codec/column_codec.h"
#include "codec/content_digest.h"
#include "scan/reader_session.h"
#include "scan/table_reader.h"
#include "omsbackup/error.h"
#include "restore/deferred_indexes.h"
#include "restore/insert_loader.h"
#include "restore/journal.h"
#include "restore/objects.h"
#include "restore/privileges.h"
#include "restore/row_batches.h"
#include "restore/run_lock.h"
#include "restore/staging.h"
#include "sql/connection_room.h"
#include "sql/lock_watch.h"
#include "sql/quote.h"
#include "sql/session.h"
#include "util/cancel.h"
#include "util/parallel.h"
#include "util/shell_quote.h"
#include "util/test_hook.h"

namespace omsbackup {

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kLoadAttempts = 5;
// Rows per load statement (and transaction), in bytes of the archive's rows: see
// restore/row_batches.h. Each loader holds one batch in memory.
constexpr std::size_t kLoadBatchBytes = 4 << 20;

struct Target {
  std::size_t index = 0;  // in the manifest
  const DatabaseEntry* entry = nullptr;
  TargetNames names;
};

// One unit of load or proof work: a chunk, or every chunk of a table that was cut by
// size (such chunks have no predicate of their own).
struct Unit {
  std::size_t target = 0, table = 0;
  std::vector<std::size_t> chunks;
  std::uint64_t bytes = 0;
};

class RestoreRun {
 public:
  RestoreRun(const RestoreOptions& o, OpenedArchive& a, Env& env)
      : o_(o), archive_(a), m_(a.manifest), env_(env), started_(Clock::now()) {}

  RestoreReport run();

 private:
  void choose_targets();
  void preflight(Session& s);
  void check_left_out(Session& s);
  void check_privileges(Session& s);
  void open_workers();
  void pin_worker(Session& s);
  void start_journal();
  std::vector<Unit> units_for(const Target& t) const;
  void create_tables(Session& s, const Target& t);
  void wait_for_orphans(Session& s, const Target& t);
  bool unit_done(const Target& t, const Unit& u) const;
  void clear_unit(Session& s, const Unit& u);
  void load_unit(Session& s, const Unit& u);
  void load_chunk(Session& s, const Target& t, const TableEntry& te, std::size_t ci);
  std::uint64_t load_batch(Session& s, const Target& t, const TableEntry& te,
                           const std::string& statement, std::string_view batch,
                           const std::string& label, std::uint64_t rows_before,
                           bool& under_way);
  void add_indexes(Session& s, const Target& t, std::size_t ti);
  void prove_unit(Session& s, const Unit& u);
  void check_ddl(Session& s, const Target& t, const std::string& db, bool database);
  void repair_foreign_keys(Session& s, const Target& t);
  void build_and_prove(Session& s);
  void mark_proven(Session& s, const Target& t);
  void finish_database(Session& s, const Target& t);
  void run_steps(Session& s);
  void guard_run(Session& s);
  void wait_before_swaps(Session& s);
  std::string interruption_note() const;
  void live_changed(const Target& t) {
    std::lock_guard lock(mu_);
    changed_.insert(t.index);
  }
  void parallel(std::size_t n, const std::function<void(Session&, std::size_t)>& fn);
  void progress(const std::string& phase, std::uint64_t chunks, std::uint64_t rows,
                std::uint64_t bytes, bool force = false);
  // Beside the archive, never inside it (the archive must hold only its own files).
  std::string journal_path() const {
    if (!o_.journal.empty()) return o_.journal;
    std::string dir = o_.archive;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    return dir + ".restore-journal";
  }
  void check_cancel() const {
    if (cancel_requested(o_.cancel))
      throw Error(Errc::cancelled, "restore", "cancelled by the caller");
  }

  const RestoreOptions& o_;
  OpenedArchive& archive_;
  Manifest& m_;
  Env& env_;
  Clock::time_point started_;
  std::vector<Target> targets_;
  std::vector<std::unique_ptr<Session>> workers_;
  std::unique_ptr<Journal> journal_;
  JournalState resumed_;
  bool use_insert_ = false;
  std::atomic<bool> staged_{false};  // this run created a database on the server
  InsertLimits insert_limits_;
  unsigned threads_ = 1;  // loader connections, checked against the server in preflight
  std::atomic<bool> stop_{false};
  RestoreReport report_;
  std::mutex mu_;
  std::set<std::size_t> changed_, finished_;  // targets (manifest index) by what happened to them
  RestoreProgress progress_;
  struct Tally {
    std::uint64_t chunks = 0, rows = 0, bytes = 0;
  };
  std::map<std::string, Tally> tallies_;  // per phase
  Clock::time_point last_report_{};
  // One restore at a time; lock waits bounded, reported and cancellable (guard_run).
  std::unique_ptr<RestoreLocks> locks_;
  std::unique_ptr<LockWatch> watch_;
  std::atomic<bool> renamed_{false};  // a database's tables are swapped in: no more cancels
};

void RestoreRun::choose_targets() {
  std::set<std::string> wanted(o_.databases.begin(), o_.databases.end());
  // --rename without --databases restores the renamed databases only: a restore under
  // another name (to compare before switching) must not replace the others as well.
  if (wanted.empty() && !o_.rename.empty()) {
    for (const auto& [from, to] : o_.rename) wanted.insert(from);
    std::vector<std::string> left;
    for (const auto& d : m_.databases)
      if (!wanted.count(d.name)) left.push_back(d.name);
    if (!left.empty())
      report_.warnings.push_back(fmt::format(
          "--rename without --databases restores only the renamed database(s); not restored: "
          "{} (name them with --databases to restore them too)",
          fmt::join(left, ", ")));
  }
  for (const auto& [from, to] : o_.rename) {
    (void)to;
    bool found = false;
    for (const auto& d : m_.databases) found = found || d.name == from;
    if (!found)
      throw Error(Errc::invalid_argument, "--rename " + from,
                  "the archive holds no database of that name (see omsrestore --check)");
  }
  for (const auto& name : wanted) {
    bool found = false;
    for (const auto& d : m_.databases) found = found || d.name == name;
    if (!found)
      throw Error(Errc::invalid_argument, name,
                  "the archive holds no database of that name (see omsrestore --check)");
  }
  std::set<std::string> seen;
  for (std::size_t i = 0; i < m_.databases.size(); ++i) {
    const DatabaseEntry& d = m_.databases[i];
    if (!wanted.empty() && !wanted.count(d.name)) continue;
    auto it = o_.rename.find(d.name);
    std::string target = it == o_.rename.end() ? d.name : it->second;
    if (target.empty() || target.size() > 64 * 4)
      throw Error(Errc::invalid_argument, "--rename " + d.name, "invalid target database name");
    if (!seen.insert(target).second)
      throw Error(Errc::invalid_argument, target, "two databases would be restored into it");
    targets_.push_back(Target{i, &d, staging_names(target, o_.in_place)});
  }
  // A staging or old name must not be another target: building one would overwrite it.
  for (const Target& t : targets_)
    for (const Target& u : targets_)
      if (&t != &u && (t.names.work == u.names.name || t.names.old == u.names.name))
        throw Error(Errc::invalid_argument, u.names.name,
                    fmt::format("cannot be restored together with {}: it is the name the "
                                "restore of {} uses for its staging or old copy; restore one "
                                "of them under another name (--rename) or use --in-place",
                                t.names.name, t.names.name));
}

void RestoreRun::preflight(Session& s) {
  const ServerInfo& srv = s.server();
  if (std::string(flavor_name(srv.flavor)) != m_.server_flavor) {
    report_.warnings.push_back(fmt::format(
        "the archive comes from {} {} and the target is {} {}: DDL written by one may not apply "
        "on the other",
        m_.server_flavor, m_.server_version, flavor_name(srv.flavor), srv.version));
  }
  std::string local_infile = s.scalar("SELECT @@local_infile", "checking local_infile").value_or("0");
  bool can_load_data = local_infile == "1" || local_infile == "ON";
  switch (o_.load_method) {
    case LoadMethod::load_data:
      if (!can_load_data)
        throw Error(Errc::unsupported, "--load-method=load-data",
                    "the server has local_infile=OFF; use --load-method=insert, or ask the DBA to "
                    "SET GLOBAL local_infile=1");
      use_insert_ = false;
      break;
    case LoadMethod::insert: use_insert_ = true; break;
    case LoadMethod::automatic: use_insert_ = !can_load_data; break;
  }
  report_.load_method = use_insert_ ? "insert" : "load-data";
  // What the target cannot hold exactly is refused here, before anything changes.
  for (const auto& t : targets_) {
    for (const auto& te : t.entry->tables)
      if (te.check_violations != 0 && srv.flavor != ServerFlavor::mariadb)
        throw Error(Errc::unsupported, t.entry->name + "." + te.def.name,
                    fmt::format("the archive holds {} row(s) of this table that break its CHECK "
                                "constraints (stored on MariaDB with check_constraint_checks=0), "
                                "and {} {} enforces CHECK constraints on every load: they cannot "
                                "be restored exactly. Restore to MariaDB, or fix those rows at the "
                                "source and dump again",
                                te.check_violations, flavor_name(srv.flavor), srv.version));
    if (!supports_database_comment(srv) && !database_comment_literal(*t.entry).empty())
      throw Error(Errc::unsupported, t.entry->name,
                  fmt::format("the archived database has a COMMENT ({}), and {} {} keeps no "
                              "comment per database: the restored database would lose it. "
                              "Restore it to MariaDB 10.5 or later",
                              database_comment_literal(*t.entry), flavor_name(srv.flavor),
                              srv.version));
  }
  insert_limits_ = server_insert_limits(s);
  check_privileges(s);
  check_left_out(s);
  threads_ = fit_threads(s, o_.threads, report_.warnings);
  report_.threads = threads_;
}

// The privileges each database of the restore needs, named before anything changes. Only
// when SHOW GRANTS tells the whole story (no role, every line understood) is a missing one
// a refusal; otherwise a warning.
void RestoreRun::check_privileges(Session& s) {
  const Grants grants = read_grants(s);
  std::vector<std::string> lacking, lacking_in_place;
  auto need = [&](std::vector<std::string>& out, const std::string& db,
                  const std::vector<std::string>& privileges) {
    std::vector<std::string> m = missing_privileges(grants, db, privileges);
    if (!m.empty()) out.push_back(fmt::format("{} on {}", fmt::join(m, ", "), quote_identifier(db)));
  };
  for (const Target& t : targets_) {
    const DatabaseObjects& obj = t.entry->objects;
    // Loading, indexing, proving and (for --resume) clearing and waiting for the tables.
    std::vector<std::string> build = {"CREATE", "DROP", "ALTER", "INDEX", "INSERT", "SELECT",
                                      "DELETE", "LOCK TABLES"};
    // Creating and reading back the objects in the target.
    std::vector<std::string> objects = {"SELECT"};
    if (!obj.views.empty()) objects.insert(objects.end(), {"CREATE VIEW", "SHOW VIEW", "DROP"});
    if (!obj.routines.empty()) objects.insert(objects.end(), {"CREATE ROUTINE", "ALTER ROUTINE"});
    if (!obj.triggers.empty()) objects.push_back("TRIGGER");
    if (!obj.events.empty()) objects.push_back("EVENT");
    // --in-place: everything in the target itself.
    std::vector<std::string> in_place = build;
    in_place.insert(in_place.end(), objects.begin(), objects.end());
    need(lacking_in_place, t.names.name, in_place);
    if (o_.in_place) continue;
    need(lacking, t.names.work, build);
    need(lacking, t.names.old, {"CREATE", "DROP", "ALTER", "INSERT"});  // RENAME TABLE into it
    std::vector<std::string> swap = {"CREATE", "DROP", "ALTER", "INSERT"};  // RENAME, ALTER DATABASE
    swap.insert(swap.end(), objects.begin(), objects.end());
    need(lacking, t.names.name, swap);
  }
  if (o_.in_place) lacking = lacking_in_place;
  if (lacking.empty()) return;
  std::string what = fmt::format("the user lacks privileges the restore needs: {}", fmt::join(lacking, "; "));
  if (!grants.complete) {
    report_.warnings.push_back(what + " (as far as SHOW GRANTS shows: privileges may also come "
                                      "from a role; the restore stops at the first refusal, "
                                      "before any swap)");
    return;
  }
  throw Error(Errc::unsupported, s.endpoint(),
              fmt::format("{}. Grant them, {}; nothing was changed", what,
                          !o_.in_place && lacking_in_place.empty()
                              ? "or restore with --in-place (DROP DATABASE, then load in place: "
                                "it needs privileges on the target databases only, but drops "
                                "them before the new copy is proven)"
                              : "then run omsrestore again"));
}

// A table the dump left out on purpose is not in the archive, and the swap (which moves
// every base table of the live database to the old copy) or the in-place DROP DATABASE
// (which takes everything) would take it away. Tables that are merely missing from the
// archive (created after the dump, e.g. by an upgrade being rolled back) are dropped as
// intended: only the recorded --include/--exclude patterns decide.
void RestoreRun::check_left_out(Session& s) {
  const TableFilter filter = TableFilter::from_recorded(m_.options);
  if (filter.empty() || o_.drop_excluded) return;
  for (const auto& t : targets_) {
    std::set<std::string> archived;
    for (const auto& te : t.entry->tables) archived.insert(te.def.name);
    // Exactly what each mode would take away: the swap moves base tables (the same list
    // it moves), DROP DATABASE takes everything.
    for (const auto& table : o_.in_place ? non_view_tables(s, t.names.name)
                                         : base_tables(s, t.names.name)) {
      if (archived.count(table) != 0 || filter.selects(t.entry->name, table)) continue;
      throw Error(Errc::invalid_argument, t.names.name + "." + table,
                  fmt::format("exists in the live database but the dump left it out "
                              "(--include/--exclude), and the restore replaces the whole "
                              "database: it would be dropped. Stopped before changing anything "
                              "in this run. To keep it, dump it on its own first (omsdump "
                              "--include {}); then, or to let it go, pass --drop-excluded",
                              shell_quote(TableFilter::literal_pattern(t.names.name, table))));
    }
  }
}

void RestoreRun::pin_worker(Session& s) {
  pin_reader_session(s);  // binary results and long timeouts, for the proof reads
  // Loads into disjoint key ranges of one table need no gap locks.
  s.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
            "setting READ COMMITTED for the load");
  s.execute("SET SESSION foreign_key_checks = 0, unique_checks = 0",
            "turning off key checks for the load");
  // Rows are loaded as the source holds them, also those that break a CHECK constraint
  // (MariaDB lets a session insert such rows with check_constraint_checks=0; preflight
  // refuses an archive holding some for a server that cannot).
  if (s.server().flavor == ServerFlavor::mariadb)
    s.execute("SET SESSION check_constraint_checks = 0", "turning off CHECK constraints for the load");
  if (o_.skip_binlog) {
    try {
      s.execute("SET SESSION sql_log_bin = 0", "turning off the binary log (--skip-binlog)");
    } catch (const Error& e) {
      throw e.with_context("--skip-binlog needs the SUPER (or BINLOG ADMIN) privilege");
    }
  }
}

void RestoreRun::open_workers() {
  for (unsigned i = 0; i < threads_; ++i) {
    workers_.push_back(std::make_unique<Session>(o_.connection, [this](Session& w) { pin_worker(w); }));
    watch_->add(*workers_.back());
  }
}

void RestoreRun::start_journal() {
  std::string path = journal_path();
  const std::string& sha = archive_.manifest_sha256;
  nlohmann::json targets = nlohmann::json::array();
  for (const auto& t : targets_)
    targets.push_back({{"index", t.index}, {"name", t.names.name}, {"work", t.names.work},
                       {"old", t.names.old}});
  nlohmann::json begin = {{"manifest_sha256", sha},
                          {"mode", o_.in_place ? "in-place" : "staging"},
                          {"targets", targets},
                          {"verify", o_.verify}};
  JournalState st = Journal::read(env_, path);
  if (o_.resume) {
    if (!st.begun)
      throw Error(Errc::invalid_argument, path,
                  "no restore journal to resume from; run omsrestore without --resume");
    if (st.begin.value("manifest_sha256", "") != sha || st.begin.value("mode", "") != begin["mode"] ||
        st.begin.value("targets", nlohmann::json()) != targets)
      throw Error(Errc::invalid_argument, path,
                  "the journal belongs to a restore of another archive or with other options "
                  "(--rename, --databases, --in-place); resume with the same ones, or remove the "
                  "journal to start over");
    resumed_ = st;
    report_.resumed = true;
  } else if (st.begun) {
    throw Error(Errc::invalid_argument, path,
                "a previous restore of this archive was interrupted; continue it with --resume, "
                "or remove this journal to start over");
  }
  if (o_.resume) {
    journal_ = std::make_unique<Journal>(env_, path);
    return;
  }
  try {
    journal_ = std::make_unique<Journal>(env_, path);
    journal_->begin(begin);
  } catch (const Error& e) {
    // A journal that cannot be begun (a full disk) begins nothing: no file to trip over.
    journal_.reset();
    try {
      if (env_.stat(path)) env_.remove_file(path);
    } catch (const Error&) {
    }
    throw e.with_note("Nothing was changed on the server; run omsrestore again once this is fixed");
  }
  test_point("restore.begun");
}

std::vector<Unit> RestoreRun::units_for(const Target& t) const {
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

void RestoreRun::create_tables(Session& s, const Target& t) {
  const std::string& work = t.names.work;
  if (o_.in_place || !resumed_.has(t.index, "created")) {
    s.execute(fmt::format("DROP DATABASE IF EXISTS {}", quote_identifier(work)),
              o_.in_place ? fmt::format("dropping database {} (--in-place)", work)
                          : fmt::format("clearing the staging database {}", work));
    if (o_.in_place) live_changed(t);
    test_point("restore.work-dropped");
  }
  s.execute(create_database_sql(work, *t.entry, s.server(), m_.server_flavor),
            fmt::format("creating database {}", work));
  staged_ = true;
  s.execute(fmt::format("USE {}", quote_identifier(work)), fmt::format("using {}", work));
  for (const TableEntry& te : t.entry->tables) {
    SplitDdl ddl = split_secondary_indexes(te.def.create_sql, quote_qualified(work, te.def.name));
    s.execute(ddl.create_sql, fmt::format("creating table {}.{}", work, te.def.name));
  }
  journal_->phase(t.index, "created");
  test_point("restore.created");
}

void RestoreRun::load_chunk(Session& s, const Target& t, const TableEntry& te, std::size_t ci) {
  const ChunkInfo& c = te.chunks[ci];
  std::string label = fmt::format("{}.{} chunk {} ({})", t.entry->name, te.def.name, ci + 1,
                                  c.where.empty() ? c.file : c.where);
  try {
    ChunkReader reader(env_, o_.archive, c.file, archive_.cipher.get());
    RowBatches batches([&](char* buf, std::size_t n) { return reader.read(buf, n); },
                       kLoadBatchBytes);
    std::string batch;
    std::uint64_t loaded = 0, raw = 0;
    bool under_way = false;  // test point: once a first buffer of the chunk reached the server
    const std::string statement =
        use_insert_ ? std::string() : load_data_statement(t.names.work, te.def.name, te.def.columns);
    while (batches.next(batch)) {
      check_cancel();
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
    journal_->chunk(t.index, &te - t.entry->tables.data(), ci);
    test_point("restore.chunk");
    progress("load", 1, c.rows, raw);
  } catch (const Error& e) {
    if (e.code() == Errc::cancelled) throw;
    check_cancel();  // the source stopped the LOAD DATA because of a cancel
    throw e.object().rfind(label, 0) == 0 ? e : e.with_context(label);
  }
}

std::uint64_t RestoreRun::load_batch(Session& s, const Target& t, const TableEntry& te,
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
      if (!use_insert_)
        return s.load_data_local(statement, source, fmt::format("loading {}", label));
      s.execute("START TRANSACTION", fmt::format("starting a transaction for {}", label));
      std::uint64_t n = insert_chunk(s, t.names.work, te.def, source, insert_limits_, label,
                                     rows_before);
      s.execute("COMMIT", fmt::format("committing {}", label));
      return n;
    } catch (const Error& e) {
      if (use_insert_) {
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

// A resumed run first waits for statements the interrupted run left running on the
// server (a client killed mid-statement leaves its statement to finish or roll back
// there): LOCK TABLES ... WRITE waits for every other statement on those tables.
void RestoreRun::wait_for_orphans(Session& s, const Target& t) {
  std::vector<std::string> tables = base_tables(s, t.names.work);
  if (tables.empty()) return;
  std::string sql = "LOCK TABLES ";
  for (std::size_t i = 0; i < tables.size(); ++i)
    sql += (i ? ", " : "") + quote_qualified(t.names.work, tables[i]) + " WRITE";
  s.execute(sql, fmt::format("waiting for statements of the interrupted restore on {} to end",
                             t.names.work));
  s.execute("UNLOCK TABLES", "releasing the table locks");
}

bool RestoreRun::unit_done(const Target& t, const Unit& u) const {
  for (std::size_t ci : u.chunks)
    if (!resumed_.chunks.count({t.index, u.table, ci})) return false;
  return true;
}

// A resumed run clears what an unjournaled chunk may have committed before any chunk
// is loaded: a DELETE running beside a LOAD DATA into the same empty table can hang
// MariaDB 10.11 (both threads stuck inside InnoDB; see docs/restore.md).
void RestoreRun::clear_unit(Session& s, const Unit& u) {
  check_cancel();
  const Target& t = targets_[u.target];
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

void RestoreRun::load_unit(Session& s, const Unit& u) {
  check_cancel();
  const Target& t = targets_[u.target];
  const TableEntry& te = t.entry->tables[u.table];
  if (unit_done(t, u)) {
    for (std::size_t ci : u.chunks) progress("load", 1, te.chunks[ci].rows, te.chunks[ci].raw_bytes);
    return;
  }
  for (std::size_t ci : u.chunks) load_chunk(s, t, te, ci);
}

void RestoreRun::add_indexes(Session& s, const Target& t, std::size_t ti) {
  const TableEntry& te = t.entry->tables[ti];
  std::string phase = fmt::format("indexed:{}", ti);
  if (resumed_.has(t.index, phase)) return;
  const std::string qt = quote_qualified(t.names.work, te.def.name);
  SplitDdl ddl = split_secondary_indexes(te.def.create_sql, qt);
  // An interrupted run may have added them (the ALTER committed, its journal line not
  // written): the table then already reads back as the archive's.
  auto added_already = [&] {
    ResultSet r = s.query("SHOW CREATE TABLE " + qt,
                          fmt::format("reading back {}.{}", t.names.work, te.def.name));
    return !r.rows.empty() && r.rows[0].size() > 1 && r.rows[0][1] == te.def.create_sql;
  };
  if (!ddl.add_indexes_sql.empty() && !(report_.resumed && added_already())) {
    test_point("restore.indexing");
    try {
      s.execute(ddl.add_indexes_sql,
                fmt::format("adding the secondary indexes of {}.{}", t.entry->name, te.def.name));
    } catch (const Error& e) {
      // ER_DUP_KEYNAME: an ALTER the interrupted run left running has just finished.
      if (!(report_.resumed && e.server_errno() == 1061 && added_already())) throw;
    }
    test_point("restore.index-added");
  }
  journal_->phase(t.index, phase);
  test_point("restore.indexed");
}

void RestoreRun::prove_unit(Session& s, const Unit& u) {
  check_cancel();
  const Target& t = targets_[u.target];
  const TableEntry& te = t.entry->tables[u.table];
  const DigestKind kind = digest_kind_of(m_.format_version);
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
                              kind, [&](std::string_view, const ContentDigest&) { check_cancel(); });
  if (got.digest.rows() != expected.rows())
    throw Error(Errc::verify_failed, what,
                fmt::format("the restored copy has {} rows, the archive {}", got.digest.rows(),
                            expected.rows()));
  if (!(got.digest == expected))
    throw Error(Errc::verify_failed, what,
                "the restored rows differ from the archive's (content digest mismatch)");
  progress("prove", 1, got.digest.rows(), got.raw_bytes);
  test_point("restore.proved");
}

// Compares what the server says of the tables in `db` (the staging copy before the swap,
// the target after it) with the archive's SHOW CREATE TABLE; with `database`, also SHOW
// CREATE DATABASE. A difference fails the restore on the server version the archive came
// from, and is a warning on another (which prints DDL its own way).
void RestoreRun::check_ddl(Session& s, const Target& t, const std::string& db, bool database) {
  bool same_server = std::string(flavor_name(s.server().flavor)) == m_.server_flavor &&
                     s.server().version == m_.server_version;
  auto differs = [&](const std::string& object, const std::string& what, const std::string& got,
                     const std::string& expected) {
    if (got == expected) return;
    std::size_t at = 0;
    while (at < got.size() && at < expected.size() && got[at] == expected[at]) ++at;
    std::string msg = fmt::format(
        "SHOW CREATE {} of the restored {} differs from the archive's from byte {}: the "
        "archive has '{}', the server '{}'",
        what, db, at, expected.substr(at, 60), got.substr(at, 60));
    if (same_server) throw Error(Errc::verify_failed, object, msg);
    report_.warnings.push_back(fmt::format("{}: {} (another server version: expected)", object, msg));
  };
  for (const TableEntry& te : t.entry->tables) {
    ResultSet r = s.query(fmt::format("SHOW CREATE TABLE {}", quote_qualified(db, te.def.name)),
                          fmt::format("reading back {}.{}", db, te.def.name));
    differs(t.names.name + "." + te.def.name, "TABLE", r.rows.at(0).at(1).value_or(""),
            te.def.create_sql);
  }
  if (!database) return;
  ResultSet r = s.query(fmt::format("SHOW CREATE DATABASE {}", quote_identifier(db)),
                        fmt::format("reading back database {}", db));
  differs(db, "DATABASE", r.rows.at(0).at(1).value_or(""), expected_create_database(db, *t.entry));
}

// RENAME TABLE took the foreign keys that pointed at the live tables along into the old
// copy: point them at the restored tables again (each journaled before it is dropped, so
// a crash between its drop and its add is repaired by --resume).
void RestoreRun::repair_foreign_keys(Session& s, const Target& t) {
  for (const auto& [db, r] : resumed_.foreign_keys) {
    if (db != t.index) continue;
    const std::string schema = r.value("schema", ""), table = r.value("table", ""),
                      name = r.value("name", "");
    if (!foreign_key_exists(s, schema, table, name))
      s.execute(r.value("add_sql", ""),
                fmt::format("adding back foreign key {} of {}.{}", name, schema, table));
  }
  // The old copies go; staging copies not swapped in yet are future live tables.
  std::set<std::string> dropped_anyway;
  for (const Target& u : targets_) dropped_anyway.insert(u.names.old);
  for (const ForeignKeyRepair& r : foreign_keys_into(s, t.names.old, t.names.name, dropped_anyway)) {
    journal_->foreign_key(t.index, {{"schema", r.schema}, {"table", r.table}, {"name", r.name},
                                    {"add_sql", r.add_sql}});
    s.execute(r.drop_sql, fmt::format("dropping {} to point it at the restored table", r.what));
    test_point("restore.foreign-key-dropped");
    s.execute(r.add_sql, fmt::format("pointing {} at the restored table", r.what));
  }
}

void RestoreRun::parallel(std::size_t n, const std::function<void(Session&, std::size_t)>& fn) {
  run_on_workers(std::min(workers_.size(), std::max<std::size_t>(n, 1)), n,
                 [&](std::size_t w, std::size_t i) { fn(*workers_[w], i); }, stop_);
}

void RestoreRun::progress(const std::string& phase, std::uint64_t chunks, std::uint64_t rows,
                          std::uint64_t bytes, bool force) {
  std::lock_guard lock(mu_);
  Tally& tally = tallies_[phase];
  tally.chunks += chunks;
  tally.rows += rows;
  tally.bytes += bytes;
  // Loads and proofs overlap: show loading until every chunk is in, then the rest.
  const std::string& shown =
      phase == "prove" && tallies_["load"].chunks < progress_.chunks_total ? "load" : phase;
  const Tally& t = tallies_[shown];
  progress_.phase = shown;
  progress_.chunks_done = t.chunks;
  progress_.rows = t.rows;
  progress_.raw_bytes = t.bytes;
  if (phase == "done") {  // the final state: everything restored
    progress_.chunks_done = report_.chunks;
    progress_.rows = report_.rows;
    progress_.raw_bytes = report_.raw_bytes;
  }
  if (!o_.on_progress) return;
  auto now = Clock::now();
  if (!force && now - last_report_ < std::chrono::milliseconds(200)) return;
  last_report_ = now;
  progress_.seconds = std::chrono::duration<double>(now - started_).count();
  o_.on_progress(progress_);
}

void RestoreRun::finish_database(Session& s, const Target& t) {
  if (!o_.in_place && !resumed_.has(t.index, "swapped")) {
    bool swapped_already = resumed_.has(t.index, "swapping") &&
                           database_exists(s, t.names.work) &&
                           base_tables(s, t.names.work).empty() && !t.entry->tables.empty();
    journal_->phase(t.index, "swapping");
    live_changed(t);
    test_point("restore.swapping");
    if (!swapped_already) swap_in(s, t.names, *t.entry, m_.server_flavor);
    journal_->phase(t.index, "swapped");
    test_point("restore.swapped");
  }
  renamed_ = true;  // its tables are in: from here on the restore is finished, not cancelled
  if (!o_.in_place) repair_foreign_keys(s, t);
  if (!resumed_.has(t.index, "objects")) {
    DatabaseEntry target = retarget(*t.entry, t.names.name);
    drop_objects(s, t.names.name);  // a resumed run may have created some already
    create_routines(s, target);
    test_point("restore.routines-created");
    create_views(s, target);
    create_triggers(s, target);
    create_events(s, target);
    if (o_.verify) prove_objects(s, target, m_, report_.warnings);
    journal_->phase(t.index, "objects");
    test_point("restore.objects");
  }
  // What the server now holds under the target name, as a user will see it: every table's
  // DDL (foreign keys included) and the database's own options.
  if (o_.verify) check_ddl(s, t, t.names.name, true);
  if (!o_.in_place) {
    s.execute(fmt::format("DROP DATABASE IF EXISTS {}", quote_identifier(t.names.old)),
              fmt::format("dropping the previous copy {}", t.names.old));
    test_point("restore.old-dropped");
    s.execute(fmt::format("DROP DATABASE IF EXISTS {}", quote_identifier(t.names.work)),
              fmt::format("dropping the empty staging database {}", t.names.work));
  }
  journal_->phase(t.index, "finished");
  {
    std::lock_guard lock(mu_);
    finished_.insert(t.index);
  }
  test_point("restore.finished");
}

// What an error after the journal began leaves behind, and what to do about it.
std::string RestoreRun::interruption_note() const {
  std::vector<std::string> changed, untouched, staged;
  for (const auto& t : targets_) {
    if (finished_.count(t.index) || resumed_.has(t.index, "finished")) continue;
    bool was_changed = changed_.count(t.index) ||
                       (o_.in_place ? resumed_.has(t.index, "created")
                                    : resumed_.has(t.index, "swapping"));
    (was_changed ? changed : untouched).push_back(t.names.name);
    if (!o_.in_place) staged.push_back(t.names.work);
  }
  std::string resume = fmt::format(
      "run omsrestore again with --resume and the same options to finish (journal: {})",
      journal_path());
  if (changed.empty())
    return fmt::format("No live database was changed{}; {}, or remove the journal to start over",
                       staged.empty() ? std::string()
                                      : fmt::format(" (the restored copies wait in {})",
                                                    fmt::join(staged, ", ")),
                       resume);
  return fmt::format("Changed and not completely restored yet: {} ({}){}; {}",
                     fmt::join(changed, ", "),
                     o_.in_place ? "dropped by --in-place" : "the swap had begun",
                     untouched.empty() ? std::string()
                                       : fmt::format("; not touched yet: {}", fmt::join(untouched, ", ")),
                     resume);
}

void RestoreRun::build_and_prove(Session& s) {
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
  std::vector<DatabaseWork> databases(targets_.size());
  std::vector<std::pair<const Unit*, TableWork*>> loads;
  std::vector<const Unit*> to_clear;
  for (std::size_t ti = 0; ti < targets_.size(); ++ti) {
    Target& t = targets_[ti];
    if (resumed_.has(t.index, "finished") || resumed_.has(t.index, "proven")) continue;
    bool resuming = report_.resumed && resumed_.has(t.index, "created");
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
  parallel(to_clear.size(), [&](Session& w, std::size_t i) { clear_unit(w, *to_clear[i]); });
  for (auto& tw : tables)
    for (const Unit& u : tw->units) loads.emplace_back(&u, tw.get());
  std::stable_sort(loads.begin(), loads.end(),
                   [](const auto& a, const auto& b) { return a.first->bytes > b.first->bytes; });

  TaskGraph graph;
  auto table_proven = [&](Session& w, TableWork* tw) {
    if (--databases[tw->target].tables_left == 0) mark_proven(w, targets_[tw->target]);
  };
  auto table_loaded = [&](TableWork* tw) {
    graph.add(kIndexPriority, [&, tw](std::size_t w) {
      add_indexes(*workers_[w], targets_[tw->target], tw->table);
      if (!o_.verify || tw->units.empty()) return table_proven(*workers_[w], tw);
      for (const Unit& u : tw->units)
        graph.add(kProvePriority, [&, tw, u = &u](std::size_t pw) {
          prove_unit(*workers_[pw], *u);
          if (--tw->proofs_left == 0) table_proven(*workers_[pw], tw);
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
          load_unit(*workers_[w], *u);
          if (--tw->loads_left == 0) table_loaded(tw);
        },
        tw->id);
  graph.run(workers_.size(), stop_);
}

void RestoreRun::mark_proven(Session& s, const Target& t) {
  if (o_.verify) check_ddl(s, t, t.names.work, false);
  journal_->phase(t.index, "proven");
  test_point("restore.proven");
}

RestoreReport RestoreRun::run() {
  choose_targets();
  report_.staged = !o_.in_place;
  Session s(o_.connection, [this](Session& w) { pin_worker(w); });
  preflight(s);
  for (const auto& t : targets_) report_.databases.push_back(t.names.name);
  if (o_.dry_run) {
    report_.plan.push_back(fmt::format("archive verified: {} database(s) from {} {}",
                                       m_.databases.size(), m_.server_flavor, m_.server_version));
    for (const auto& t : targets_) {
      std::uint64_t rows = 0, chunks = 0;
      for (const auto& te : t.entry->tables) {
        rows += te.rows;
        chunks += te.chunks.size();
      }
      report_.plan.push_back(fmt::format(
          "{} -> {}: {} tables, {} chunks, {} rows, {} views, {} routines, {} triggers, {} events; {}",
          t.entry->name, t.names.name, t.entry->tables.size(), chunks, rows,
          t.entry->objects.views.size(), t.entry->objects.routines.size(),
          t.entry->objects.triggers.size(), t.entry->objects.events.size(),
          o_.in_place ? "DROP DATABASE then load in place"
                      : fmt::format("built in {}, proven, swapped in; the old tables wait in {} "
                                    "until then",
                                    t.names.work, t.names.old)));
    }
    report_.plan.push_back(fmt::format("load method: {}", report_.load_method));
    return report_;
  }
  guard_run(s);    // one restore at a time: before the journal is read
  open_workers();  // before the journal: "Too many connections" leaves nothing behind
  start_journal();
  try {
    run_steps(s);
  } catch (const Error& e) {
    // Until this run (or the one it resumes) has created something on the server, there is
    // nothing to resume: no journal, and nothing to claim.
    if (!report_.resumed && !staged_ && changed_.empty()) {
      journal_.reset();
      env_.remove_file(journal_path());
      throw watch_->explain(e).with_note(
          "Nothing was changed on the server; run omsrestore again once this is fixed");
    }
    throw watch_->explain(e).with_note(interruption_note());
  }
  return report_;
}

// ---- one restore at a time, and lock waits (restore/run_lock.h, sql/lock_watch.h) ----

// Before the journal is read: refuses a second restore of the same journal or into the
// same databases (naming the running one), and starts watching for lock waits.
void RestoreRun::guard_run(Session& s) {
  std::vector<std::string> dbs;
  for (const auto& t : targets_)
    for (const std::string* n : {&t.names.name, &t.names.work, &t.names.old})
      if (!n->empty() && std::find(dbs.begin(), dbs.end(), *n) == dbs.end()) dbs.push_back(*n);
  locks_ = std::make_unique<RestoreLocks>(env_, o_.connection, journal_path(), dbs, o_.archive);
  if (!locks_->warning().empty()) report_.warnings.push_back(locks_->warning());
  LockWatchOptions w;
  w.databases = dbs;
  w.on_wait = o_.on_lock_wait;
  w.cancel = o_.cancel;
  // A statement that waits for a lock has changed nothing: a cancel stops it, also the
  // swap's RENAME, until one database's tables are swapped in (docs/restore.md).
  w.may_cancel = [this] { return !renamed_.load(); };
  watch_ = std::make_unique<LockWatch>(o_.connection, std::move(w));
  watch_->add(s);
}

// Before the first swap changes anything live: waits until no other connection holds a
// lock on the live tables, so that a timeout or a cancel while waiting leaves them as
// they were, with their views, triggers, routines and events.
void RestoreRun::wait_before_swaps(Session& s) {
  if (o_.in_place) return;  // DROP DATABASE takes all its locks before it drops anything
  std::vector<std::string> live;
  for (const auto& t : targets_)
    if (!resumed_.has(t.index, "swapped")) live.push_back(t.names.name);
  wait_for_live_tables(s, live);
}

// Everything after the journal's begin record.
void RestoreRun::run_steps(Session& s) {
  // The report covers the whole restore, also what an interrupted run did before a
  // --resume: once it returns, every row of the targets is in.
  for (const auto& t : targets_)
    for (const auto& te : t.entry->tables) {
      ++report_.tables;
      report_.rows += te.rows;
      report_.chunks += te.chunks.size();
      for (const auto& c : te.chunks) report_.raw_bytes += c.raw_bytes;
    }
  progress_.chunks_total = report_.chunks;
  progress_.raw_bytes_total = report_.raw_bytes;

  build_and_prove(s);
  // Only now, with every database proven, does anything live change (staging mode).
  // From here on a cancel is not obeyed, except by stopping a statement that waits for a
  // lock before the first database's tables are swapped in (guard_run): stopping between
  // two swaps would leave some databases restored and others not, and what remains takes
  // seconds.
  check_cancel();
  wait_before_swaps(s);
  for (const auto& t : targets_) {
    if (resumed_.has(t.index, "finished")) continue;
    finish_database(s, t);
  }
  if (cancel_requested(o_.cancel))
    report_.warnings.push_back(
        "the cancel request came after the swap had begun: the restore was finished rather "
        "than leave some databases restored and others not");
  // Proven if this run and the one it resumes both proved.
  report_.verified = o_.verify && (!report_.resumed || resumed_.begin.value("verify", true));
  journal_.reset();
  env_.remove_file(journal_path());
  progress("done", 0, 0, 0, true);
}

}  // namespace

RestoreReport run_restore(Env& env, const RestoreOptions& options) {
  if (options.archive.empty())
    throw Error(Errc::invalid_argument, "ARCHIVE", "name the archive directory to restore");
  auto t0 = Clock::now();
  // Nothing on the server changes before the key is checked and the whole archive is
  // proven intact: the server is not even contacted before.
  std::optional<SecretKey> key = load_key(env, options.encryption);
  OpenedArchive archive = open_archive(env, options.archive, VerifyOptions{false, key ? &*key : nullptr});
  key.reset();
  RestoreRun run(options, archive, env);
  RestoreReport r = run.run();
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return r;
}

}  // namespace omsbackup

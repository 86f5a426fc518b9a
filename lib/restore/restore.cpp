// The restore pipeline:
//   verify the archive -> preflight -> per database: create under a staging name ->
//   load chunks in parallel (LOAD DATA LOCAL fed from the zstd stream, or INSERT) ->
//   add deferred indexes -> prove every chunk -> swap in atomically -> create views,
//   routines, triggers, events -> drop the old copy.
// Every step that completes is written to the journal (fsynced), so --resume can
// continue after a crash without loading a chunk twice. docs/restore.md says what a
// crash at each step leaves behind.
#include "omsbackup/restore.h"

#include <fmt/format.h>

#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "archive/archive_reader.h"
#include "codec/column_codec.h"
#include "codec/content_digest.h"
#include "dump/reader_session.h"
#include "dump/table_reader.h"
#include "omsbackup/error.h"
#include "restore/deferred_indexes.h"
#include "restore/insert_loader.h"
#include "restore/journal.h"
#include "restore/objects.h"
#include "restore/staging.h"
#include "sql/quote.h"
#include "sql/session.h"
#include "util/parallel.h"
#include "util/sha256.h"

namespace omsbackup {

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kLoadAttempts = 5;

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

std::string manifest_sha256(Env& env, const std::string& archive) {
  auto f = env.new_sequential_file(archive + "/" + kManifestFile);
  Sha256 h;
  char buf[1 << 16];
  while (std::size_t n = f->read(buf, sizeof buf)) h.update(buf, n);
  return to_hex(h.finish());
}

class RestoreRun {
 public:
  RestoreRun(const RestoreOptions& o, Manifest& m, Env& env)
      : o_(o), m_(m), env_(env), started_(Clock::now()) {}

  RestoreReport run();

 private:
  void choose_targets();
  void preflight(Session& s);
  void open_workers();
  void pin_worker(Session& s);
  void start_journal();
  std::vector<Unit> units_for(const Target& t) const;
  void create_tables(Session& s, const Target& t);
  void load_unit(Session& s, const Unit& u);
  void load_chunk(Session& s, const Target& t, const TableEntry& te, std::size_t ci);
  void load_chunk_once(Session& s, const Target& t, const TableEntry& te, std::size_t ci);
  void add_indexes(Session& s, const Target& t, std::size_t ti);
  void prove_unit(Session& s, const Unit& u);
  void check_ddl(Session& s, const Target& t);
  void finish_database(Session& s, const Target& t);
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
    if (o_.cancel != nullptr && o_.cancel->load())
      throw Error(Errc::cancelled, "restore", "cancelled by the caller");
  }

  const RestoreOptions& o_;
  Manifest& m_;
  Env& env_;
  Clock::time_point started_;
  std::vector<Target> targets_;
  std::vector<std::unique_ptr<Session>> workers_;
  std::unique_ptr<Journal> journal_;
  JournalState resumed_;
  bool use_insert_ = false;
  std::size_t max_statement_ = 0;
  std::atomic<bool> stop_{false};
  RestoreReport report_;
  std::mutex mu_;
  RestoreProgress progress_;
  Clock::time_point last_report_{};
};

void RestoreRun::choose_targets() {
  std::set<std::string> wanted(o_.databases.begin(), o_.databases.end());
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
  max_statement_ = server_max_statement_bytes(s);
  bool all = false;
  for (const auto& row : s.query("SHOW GRANTS FOR CURRENT_USER()", "reading the user's grants").rows) {
    const std::string g = row.at(0).value_or("");
    if (g.find("ALL PRIVILEGES ON *.*") != std::string::npos) all = true;
  }
  if (!all)
    report_.warnings.push_back(
        "could not confirm from SHOW GRANTS that the user may create and drop databases, load "
        "data and create views, routines, triggers and events; the restore stops at the first "
        "refusal, before any swap");
}

void RestoreRun::pin_worker(Session& s) {
  pin_reader_session(s);  // binary results and long timeouts, for the proof reads
  // Loads into disjoint key ranges of one table need no gap locks.
  s.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
            "setting READ COMMITTED for the load");
  s.execute("SET SESSION foreign_key_checks = 0, unique_checks = 0",
            "turning off key checks for the load");
  if (o_.skip_binlog) {
    try {
      s.execute("SET SESSION sql_log_bin = 0", "turning off the binary log (--skip-binlog)");
    } catch (const Error& e) {
      throw e.with_context("--skip-binlog needs the SUPER (or BINLOG ADMIN) privilege");
    }
  }
}

void RestoreRun::open_workers() {
  unsigned n = o_.threads != 0 ? o_.threads : std::max(1u, std::thread::hardware_concurrency());
  report_.threads = n;
  for (unsigned i = 0; i < n; ++i) {
    workers_.push_back(std::make_unique<Session>(o_.connection));
    pin_worker(*workers_.back());
  }
}

void RestoreRun::start_journal() {
  std::string path = journal_path();
  std::string sha = manifest_sha256(env_, o_.archive);
  nlohmann::json targets = nlohmann::json::array();
  for (const auto& t : targets_)
    targets.push_back({{"index", t.index}, {"name", t.names.name}, {"work", t.names.work},
                       {"old", t.names.old}});
  nlohmann::json begin = {{"manifest_sha256", sha},
                          {"mode", o_.in_place ? "in-place" : "staging"},
                          {"targets", targets}};
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
  journal_ = std::make_unique<Journal>(env_, path);
  if (!o_.resume) journal_->begin(begin);
}

std::vector<Unit> RestoreRun::units_for(const Target& t) const {
  std::vector<Unit> units;
  for (std::size_t ti = 0; ti < t.entry->tables.size(); ++ti) {
    const TableEntry& te = t.entry->tables[ti];
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
  }
  s.execute(create_database_sql(work, *t.entry), fmt::format("creating database {}", work));
  s.execute(fmt::format("USE {}", quote_identifier(work)), fmt::format("using {}", work));
  for (const TableEntry& te : t.entry->tables) {
    SplitDdl ddl = split_secondary_indexes(te.def.create_sql, quote_qualified(work, te.def.name));
    s.execute(ddl.create_sql, fmt::format("creating table {}.{}", work, te.def.name));
  }
  journal_->phase(t.index, "created");
}

void RestoreRun::load_chunk(Session& s, const Target& t, const TableEntry& te, std::size_t ci) {
  // A chunk is one statement, so one transaction: a deadlock or lock wait timeout rolls
  // all of it back and it can simply be loaded again.
  for (int attempt = 1;; ++attempt) {
    try {
      return load_chunk_once(s, t, te, ci);
    } catch (const Error& e) {
      if (attempt >= kLoadAttempts || !is_retryable_read_error(e.server_errno())) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(50 * attempt));
    }
  }
}

void RestoreRun::load_chunk_once(Session& s, const Target& t, const TableEntry& te,
                                 std::size_t ci) {
  const ChunkInfo& c = te.chunks[ci];
  std::string label = fmt::format("{}.{} chunk {} ({})", t.entry->name, te.def.name, ci + 1,
                                  c.where.empty() ? c.file : c.where);
  try {
    ChunkReader reader(env_, o_.archive, c.file);
    std::uint64_t raw = 0;
    auto source = [&](char* buf, std::size_t n) {
      check_cancel();
      std::size_t got = reader.read(buf, n);
      raw += got;
      return got;
    };
    std::uint64_t loaded =
        use_insert_ ? insert_chunk(s, t.names.work, te.def, source, max_statement_, label)
                    : s.load_data_local(load_data_statement(t.names.work, te.def.name,
                                                            te.def.columns),
                                        source, fmt::format("loading {}", label));
    if (loaded != c.rows)
      throw Error(Errc::verify_failed, label,
                  fmt::format("the server took {} rows, the archive holds {} (duplicate keys or "
                              "values the table refused?)",
                              loaded, c.rows));
    journal_->chunk(t.index, &te - t.entry->tables.data(), ci);
    progress("load", 1, c.rows, raw);
  } catch (const Error& e) {
    if (e.code() == Errc::cancelled) throw;
    throw e.object().rfind(label, 0) == 0 ? e : e.with_context(label);
  }
}

void RestoreRun::load_unit(Session& s, const Unit& u) {
  check_cancel();
  const Target& t = targets_[u.target];
  const TableEntry& te = t.entry->tables[u.table];
  std::string qt = quote_qualified(t.names.work, te.def.name);
  auto done = [&](std::size_t ci) { return resumed_.chunks.count({t.index, u.table, ci}) != 0; };
  bool keyed = u.chunks.size() == 1 && !te.chunks[u.chunks[0]].where.empty();
  if (keyed) {
    std::size_t ci = u.chunks[0];
    if (done(ci)) return progress("load", 1, te.chunks[ci].rows, te.chunks[ci].raw_bytes);
    // A chunk committed just before a crash, but not yet journaled, is loaded again.
    if (report_.resumed)
      s.execute(fmt::format("DELETE FROM {} WHERE {}", qt, te.chunks[ci].where),
                fmt::format("clearing {}.{} chunk {} before loading it again", t.names.work,
                            te.def.name, ci + 1));
    load_chunk(s, t, te, ci);
    return;
  }
  bool all_done = true;
  for (std::size_t ci : u.chunks) all_done = all_done && done(ci);
  if (all_done) {
    for (std::size_t ci : u.chunks) progress("load", 1, te.chunks[ci].rows, te.chunks[ci].raw_bytes);
    return;
  }
  // Chunks cut by size have no predicate: the table is loaded again as a whole.
  if (report_.resumed)
    s.execute(fmt::format("DELETE FROM {}", qt),
              fmt::format("clearing {}.{} before loading it again", t.names.work, te.def.name));
  for (std::size_t ci : u.chunks) load_chunk(s, t, te, ci);
}

void RestoreRun::add_indexes(Session& s, const Target& t, std::size_t ti) {
  const TableEntry& te = t.entry->tables[ti];
  std::string phase = fmt::format("indexed:{}", ti);
  if (resumed_.has(t.index, phase)) return;
  SplitDdl ddl = split_secondary_indexes(te.def.create_sql, quote_qualified(t.names.work, te.def.name));
  if (!ddl.add_indexes_sql.empty())
    s.execute(ddl.add_indexes_sql,
              fmt::format("adding the secondary indexes of {}.{}", t.entry->name, te.def.name));
  journal_->phase(t.index, phase);
}

void RestoreRun::prove_unit(Session& s, const Unit& u) {
  check_cancel();
  const Target& t = targets_[u.target];
  const TableEntry& te = t.entry->tables[u.table];
  ContentDigest expected;
  for (std::size_t ci : u.chunks)
    expected.merge(ContentDigest::from(te.chunks[ci].rows, te.chunks[ci].digest));
  const ChunkInfo& first = te.chunks[u.chunks.front()];
  bool keyed = u.chunks.size() == 1 && !first.where.empty();
  std::string what = keyed ? fmt::format("{}.{} rows {} (chunk {}: {} .. {})", t.entry->name,
                                         te.def.name, first.where, u.chunks[0] + 1, first.lower,
                                         first.upper)
                           : fmt::format("{}.{}", t.entry->name, te.def.name);
  ReadResult got = read_table(s, t.names.work, te.def, keyed ? "WHERE " + first.where : "", what,
                              [&](std::string_view, const ContentDigest&) { check_cancel(); });
  if (got.digest.rows() != expected.rows())
    throw Error(Errc::verify_failed, what,
                fmt::format("the restored copy has {} rows, the archive {}", got.digest.rows(),
                            expected.rows()));
  if (!(got.digest == expected))
    throw Error(Errc::verify_failed, what,
                "the restored rows differ from the archive's (content digest mismatch)");
  progress("prove", 1, got.digest.rows(), got.raw_bytes);
}

void RestoreRun::check_ddl(Session& s, const Target& t) {
  bool same_server = std::string(flavor_name(s.server().flavor)) == m_.server_flavor &&
                     s.server().version == m_.server_version;
  for (const TableEntry& te : t.entry->tables) {
    ResultSet r = s.query(fmt::format("SHOW CREATE TABLE {}", quote_qualified(t.names.work, te.def.name)),
                          fmt::format("reading back {}.{}", t.names.work, te.def.name));
    std::string got = r.rows.at(0).at(1).value_or("");
    if (got == te.def.create_sql) continue;
    std::string msg = "SHOW CREATE TABLE of the restored table differs from the archive's";
    if (same_server) throw Error(Errc::verify_failed, t.entry->name + "." + te.def.name, msg);
    report_.warnings.push_back(fmt::format("{}.{}: {} (another server version: expected)",
                                           t.entry->name, te.def.name, msg));
  }
}

void RestoreRun::parallel(std::size_t n, const std::function<void(Session&, std::size_t)>& fn) {
  run_on_workers(std::min(workers_.size(), std::max<std::size_t>(n, 1)), n,
                 [&](std::size_t w, std::size_t i) { fn(*workers_[w], i); }, stop_);
}

void RestoreRun::progress(const std::string& phase, std::uint64_t chunks, std::uint64_t rows,
                          std::uint64_t bytes, bool force) {
  std::lock_guard lock(mu_);
  if (progress_.phase != phase) {
    progress_.phase = phase;
    progress_.chunks_done = progress_.rows = progress_.raw_bytes = 0;
  }
  progress_.chunks_done += chunks;
  progress_.rows += rows;
  progress_.raw_bytes += bytes;
  if (phase == "load") {
    report_.chunks += chunks;
    report_.rows += rows;
    report_.raw_bytes += bytes;
  }
  if (!o_.on_progress) return;
  auto now = Clock::now();
  if (!force && now - last_report_ < std::chrono::milliseconds(200)) return;
  last_report_ = now;
  progress_.seconds = std::chrono::duration<double>(now - started_).count();
  o_.on_progress(progress_);
}

void RestoreRun::finish_database(Session& s, const Target& t) {
  check_cancel();
  if (!o_.in_place && !resumed_.has(t.index, "swapped")) {
    bool swapped_already = resumed_.has(t.index, "swapping") &&
                           database_exists(s, t.names.work) &&
                           base_tables(s, t.names.work).empty() && !t.entry->tables.empty();
    journal_->phase(t.index, "swapping");
    if (!swapped_already) swap_in(s, t.names, *t.entry);
    journal_->phase(t.index, "swapped");
  }
  if (!resumed_.has(t.index, "objects")) {
    DatabaseEntry target = retarget(*t.entry, t.names.name);
    drop_objects(s, t.names.name);  // a resumed run may have created some already
    create_routines(s, target);
    create_views(s, target);
    create_triggers(s, target);
    create_events(s, target);
    journal_->phase(t.index, "objects");
  }
  if (!o_.in_place) {
    s.execute(fmt::format("DROP DATABASE IF EXISTS {}", quote_identifier(t.names.old)),
              fmt::format("dropping the previous copy {}", t.names.old));
    s.execute(fmt::format("DROP DATABASE IF EXISTS {}", quote_identifier(t.names.work)),
              fmt::format("dropping the empty staging database {}", t.names.work));
  }
  journal_->phase(t.index, "finished");
}

RestoreReport RestoreRun::run() {
  choose_targets();
  report_.staged = !o_.in_place;
  Session s(o_.connection);
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
  pin_worker(s);
  start_journal();
  open_workers();

  std::uint64_t total_chunks = 0, total_bytes = 0;
  for (const auto& t : targets_)
    for (const auto& te : t.entry->tables) {
      total_chunks += te.chunks.size();
      for (const auto& c : te.chunks) total_bytes += c.raw_bytes;
      ++report_.tables;
    }
  progress_.chunks_total = total_chunks;
  progress_.raw_bytes_total = total_bytes;

  for (std::size_t ti = 0; ti < targets_.size(); ++ti) {
    Target& t = targets_[ti];
    if (resumed_.has(t.index, "finished")) continue;
    if (!resumed_.has(t.index, "proven")) {
      if (!resumed_.has(t.index, "created")) create_tables(s, t);
      std::vector<Unit> units = units_for(t);
      for (auto& u : units) u.target = ti;
      std::stable_sort(units.begin(), units.end(),
                       [](const Unit& a, const Unit& b) { return a.bytes > b.bytes; });
      parallel(units.size(), [&](Session& w, std::size_t i) { load_unit(w, units[i]); });
      parallel(t.entry->tables.size(), [&](Session& w, std::size_t i) { add_indexes(w, t, i); });
      if (o_.verify) {
        parallel(units.size(), [&](Session& w, std::size_t i) { prove_unit(w, units[i]); });
        check_ddl(s, t);
        report_.verified = true;
      }
      journal_->phase(t.index, "proven");
    }
  }
  // Only now, with every database proven, does anything live change (staging mode).
  for (const auto& t : targets_) {
    if (resumed_.has(t.index, "finished")) continue;
    finish_database(s, t);
  }
  journal_.reset();
  env_.remove_file(journal_path());
  progress("done", 0, 0, 0, true);
  return report_;
}

}  // namespace

RestoreReport restore(const RestoreOptions& options) {
  if (options.archive.empty())
    throw Error(Errc::invalid_argument, "ARCHIVE", "name the archive directory to restore");
  auto t0 = Clock::now();
  Env& env = Env::posix();
  // Nothing on the server changes before the whole archive is proven intact.
  Manifest m = verify_archive(env, options.archive);
  RestoreRun run(options, m, env);
  RestoreReport r = run.run();
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return r;
}

}  // namespace omsbackup

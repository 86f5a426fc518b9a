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

#include <algorithm>
#include <chrono>

#include "omsbackup/error.h"
#include "restore/restore_finish.h"
#include "restore/restore_load.h"
#include "restore/restore_plan.h"
#include "restore/restore_state.h"
#include "restore/run_lock.h"
#include "scan/reader_session.h"
#include "sql/lock_watch.h"
#include "util/cancel.h"
#include "util/test_hook.h"

namespace omsbackup {

namespace {

using Clock = std::chrono::steady_clock;

class RestoreRun {
 public:
  RestoreRun(const RestoreOptions& o, OpenedArchive& a, Env& env) : st_(o, a, env) {}

  RestoreReport run();

 private:
  void pin_worker(Session& s);
  void open_workers();
  void start_journal();
  void guard_run(Session& s);
  void run_steps(Session& s);
  std::string interruption_note() const;

  RestoreState st_;
  // One restore at a time; lock waits bounded, reported and cancellable (guard_run).
  std::unique_ptr<RestoreLocks> locks_;
  std::unique_ptr<LockWatch> watch_;
};

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
  if (st_.o.skip_binlog) {
    try {
      s.execute("SET SESSION sql_log_bin = 0", "turning off the binary log (--skip-binlog)");
    } catch (const Error& e) {
      throw e.with_context("--skip-binlog needs the SUPER (or BINLOG ADMIN) privilege");
    }
  }
}

void RestoreRun::open_workers() {
  for (unsigned i = 0; i < st_.threads; ++i) {
    st_.workers.push_back(std::make_unique<Session>(st_.o.connection, [this](Session& w) { pin_worker(w); }));
    watch_->add(*st_.workers.back());
  }
}

void RestoreRun::start_journal() {
  std::string path = st_.journal_path();
  const std::string& sha = st_.archive.manifest_sha256;
  nlohmann::json targets = nlohmann::json::array();
  for (const auto& t : st_.targets)
    targets.push_back({{"index", t.index}, {"name", t.names.name}, {"work", t.names.work},
                       {"old", t.names.old}});
  nlohmann::json begin = {{"manifest_sha256", sha},
                          {"mode", st_.o.in_place ? "in-place" : "staging"},
                          {"targets", targets},
                          {"verify", st_.o.verify}};
  JournalState st = Journal::read(st_.env, path);
  if (st_.o.resume) {
    if (!st.begun)
      throw Error(Errc::invalid_argument, path,
                  "no restore journal to resume from; run omsrestore without --resume");
    if (st.begin.value("manifest_sha256", "") != sha || st.begin.value("mode", "") != begin["mode"] ||
        st.begin.value("targets", nlohmann::json()) != targets)
      throw Error(Errc::invalid_argument, path,
                  "the journal belongs to a restore of another archive or with other options "
                  "(--rename, --databases, --in-place); resume with the same ones, or remove the "
                  "journal to start over");
    st_.resumed = st;
    st_.report.resumed = true;
  } else if (st.begun) {
    throw Error(Errc::invalid_argument, path,
                "a previous restore of this archive was interrupted; continue it with --resume, "
                "or remove this journal to start over");
  }
  if (st_.o.resume) {
    st_.journal = std::make_unique<Journal>(st_.env, path);
    return;
  }
  try {
    st_.journal = std::make_unique<Journal>(st_.env, path);
    st_.journal->begin(begin);
  } catch (const Error& e) {
    // A journal that cannot be begun (a full disk) begins nothing: no file to trip over.
    st_.journal.reset();
    try {
      if (st_.env.stat(path)) st_.env.remove_file(path);
    } catch (const Error&) {
    }
    throw e.with_note("Nothing was changed on the server; run omsrestore again once this is fixed");
  }
  test_point("restore.begun");
}

RestoreReport RestoreRun::run() {
  RestorePlanner(st_).choose_targets();
  st_.report.staged = !st_.o.in_place;
  Session s(st_.o.connection, [this](Session& w) { pin_worker(w); });
  RestorePlanner planner(st_);
  planner.preflight(s);
  for (const auto& t : st_.targets) st_.report.databases.push_back(t.names.name);
  if (st_.o.dry_run) {
    st_.report.plan = planner.describe();
    return st_.report;
  }
  guard_run(s);    // one restore at a time: before the journal is read
  open_workers();  // before the journal: "Too many connections" leaves nothing behind
  start_journal();
  try {
    run_steps(s);
  } catch (const Error& e) {
    // Until this run (or the one it resumes) has created something on the server, there is
    // nothing to resume: no journal, and nothing to claim.
    if (!st_.report.resumed && !st_.staged && st_.changed.empty()) {
      st_.journal.reset();
      st_.env.remove_file(st_.journal_path());
      throw watch_->explain(e).with_note(
          "Nothing was changed on the server; run omsrestore again once this is fixed");
    }
    throw watch_->explain(e).with_note(interruption_note());
  }
  return st_.report;
}

// Before the journal is read: refuses a second restore of the same journal or into the
// same databases (naming the running one), and starts watching for lock waits.
void RestoreRun::guard_run(Session& s) {
  std::vector<std::string> dbs;
  for (const auto& t : st_.targets)
    for (const std::string* n : {&t.names.name, &t.names.work, &t.names.old})
      if (!n->empty() && std::find(dbs.begin(), dbs.end(), *n) == dbs.end()) dbs.push_back(*n);
  locks_ = std::make_unique<RestoreLocks>(st_.env, st_.o.connection, st_.journal_path(), dbs, st_.o.archive);
  if (!locks_->warning().empty()) st_.report.warnings.push_back(locks_->warning());
  LockWatchOptions w;
  w.databases = dbs;
  w.on_wait = st_.o.on_lock_wait;
  w.cancel = st_.o.cancel;
  // A statement that waits for a lock has changed nothing: a cancel stops it, also the
  // swap's RENAME, until one database's tables are swapped in (docs/restore.md).
  w.may_cancel = [this] { return !st_.renamed.load(); };
  watch_ = std::make_unique<LockWatch>(st_.o.connection, std::move(w));
  watch_->add(s);
}

// Everything after the journal's begin record.
void RestoreRun::run_steps(Session& s) {
  // The report covers the whole restore, also what an interrupted run did before a
  // --resume: once it returns, every row of the targets is in.
  for (const auto& t : st_.targets)
    for (const auto& te : t.entry->tables) {
      ++st_.report.tables;
      st_.report.rows += te.rows;
      st_.report.chunks += te.chunks.size();
      for (const auto& c : te.chunks) st_.report.raw_bytes += c.raw_bytes;
    }
  st_.set_progress_totals(st_.report.chunks, st_.report.raw_bytes);

  RestoreLoader(st_).build_and_prove(s);
  // Only now, with every database proven, does anything live change (staging mode).
  // From here on a cancel is not obeyed, except by stopping a statement that waits for a
  // lock before the first database's tables are swapped in (guard_run): stopping between
  // two swaps would leave some databases restored and others not, and what remains takes
  // seconds.
  st_.check_cancel();
  RestoreFinisher finisher(st_);
  finisher.wait_before_swaps(s);
  for (const auto& t : st_.targets) {
    if (st_.resumed.has(t.index, Phase::finished)) continue;
    finisher.finish_database(s, t);
  }
  if (cancel_requested(st_.o.cancel))
    st_.report.warnings.push_back(
        "the cancel request came after the swap had begun: the restore was finished rather "
        "than leave some databases restored and others not");
  // Proven if this run and the one it resumes both proved.
  st_.report.verified = st_.o.verify && (!st_.report.resumed || st_.resumed.begin.value("verify", true));
  st_.journal.reset();
  st_.env.remove_file(st_.journal_path());
  st_.progress("done", 0, 0, 0, true);
}

// What an error after the journal began leaves behind, and what to do about it.
std::string RestoreRun::interruption_note() const {
  std::vector<std::string> changed, untouched, staged;
  for (const auto& t : st_.targets) {
    if (st_.finished.count(t.index) || st_.resumed.has(t.index, Phase::finished)) continue;
    bool was_changed = st_.changed.count(t.index) ||
                       (st_.o.in_place ? st_.resumed.has(t.index, Phase::created)
                                    : st_.resumed.has(t.index, Phase::swapping));
    (was_changed ? changed : untouched).push_back(t.names.name);
    if (!st_.o.in_place) staged.push_back(t.names.work);
  }
  std::string resume = fmt::format(
      "run omsrestore again with --resume and the same options to finish (journal: {})",
      st_.journal_path());
  if (changed.empty())
    return fmt::format("No live database was changed{}; {}, or remove the journal to start over",
                       staged.empty() ? std::string()
                                      : fmt::format(" (the restored copies wait in {})",
                                                    fmt::join(staged, ", ")),
                       resume);
  return fmt::format("Changed and not completely restored yet: {} ({}){}; {}",
                     fmt::join(changed, ", "),
                     st_.o.in_place ? "dropped by --in-place" : "the swap had begun",
                     untouched.empty() ? std::string()
                                       : fmt::format("; not touched yet: {}", fmt::join(untouched, ", ")),
                     resume);
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

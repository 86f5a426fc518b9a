// The dump pipeline:
//   catalog -> plan -> N readers in one snapshot -> encode + digest -> zstd + SHA-256
//   -> archive writer -> manifest -> DONE.
// Each reader thread owns one session and runs whole chunks: it streams the chunk's
// rows (mysql_use_result), encodes, compresses and writes them itself, so memory is
// bounded by threads x (one encode buffer + one zstd context), whatever the table size,
// and back-pressure is the socket: a reader reads only as fast as it can write.
#include "dump/dump_pipeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <optional>

#include "archive/archive_writer.h"
#include "catalog/catalog.h"
#include "catalog/table_filter.h"
#include "dump/check_violations.h"
#include "scan/reader_session.h"
#include "dump/dump_plan.h"
#include "dump/snapshot.h"
#include "scan/table_reader.h"
#include "omsbackup/error.h"
#include "omsbackup/omsbackup.h"
#include "plan/planner.h"
#include "scan/reader_session.h"
#include "scan/table_reader.h"
#include "sql/connection_room.h"
#include "sql/database_locks.h"
#include "sql/lock_watch.h"
#include "sql/quote.h"
#include "sql/session.h"
#include "util/cancel.h"
#include "util/clock.h"
#include "util/parallel.h"
#include "util/shell_quote.h"
#include "util/test_hook.h"

namespace omsbackup {

const char* consistency_name(Consistency c) noexcept {
  switch (c) {
    case Consistency::automatic: return "auto";
    case Consistency::lock: return "lock";
    case Consistency::snapshot: return "snapshot";
    case Consistency::none: return "none";
  }
  return "auto";
}

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

std::uint64_t DumpReport::total_raw_bytes() const {
  std::uint64_t n = 0;
  for (const auto& t : tables) n += t.raw_bytes;
  return n;
}

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kReadAttempts = 3;

void check_options(const DumpOptions& o) {
  if (o.databases.empty())
    throw Error(Errc::invalid_argument, "--databases", "name at least one database to dump");
  if (o.output.empty() && !o.dry_run)
    throw Error(Errc::invalid_argument, "--output", "name the archive directory to create");
  if (o.compress_level < 1 || o.compress_level > 19)
    throw Error(Errc::invalid_argument, "--compress-level", "must be between 1 and 19");
  if (o.chunk_bytes < 4096)
    throw Error(Errc::invalid_argument, "--chunk-size", "must be at least 4 KiB");
}

class DumpRun {
 public:
  DumpRun(const DumpOptions& o, std::uint64_t keep_rows, ArchiveWriter* writer,
          std::vector<std::vector<TableWork>>& work)
      : o_(o), keep_rows_(keep_rows), writer_(writer), work_(work), started_(Clock::now()) {}

  void add_totals(std::uint64_t tables, std::uint64_t chunks, std::uint64_t estimated) {
    progress_.tables_total = tables;
    progress_.chunks_total = chunks;
    progress_.estimated_bytes = unread_estimate_ = estimated;
  }

  // Runs every task on the readers, one thread per reader; the first failure
  // cancels the rest and is rethrown.
  void run(std::vector<Task>& tasks, std::vector<std::unique_ptr<Session>>& readers) {
    run_on_workers(readers.size(), tasks.size(),
                   [&](std::size_t w, std::size_t i) { run_task(*readers[w], tasks[i]); },
                   failed_);
    report(true);
  }

 private:
  std::unique_ptr<ChunkWriter> new_chunk(const Task& t, std::size_t file_no) {
    return writer_->new_chunk(t.db + 1, t.table + 1, file_no, o_.compress_level);
  }

  void check_cancel() const {
    if (failed_) throw Error(Errc::cancelled, "dump", "stopped after another chunk failed");
    throw_if_cancelled(o_.cancel, "dump", "cancelled by the caller");
  }

  void run_task(Session& s, const Task& t) {
    TableWork& tw = work_[t.db][t.table];
    const std::string& db = o_.databases[t.db];
    std::string label = t.split_by_size
                            ? fmt::format("{}.{}", db, tw.entry.def.name)
                            : fmt::format("{}.{} chunk {} ({})", db, tw.entry.def.name, t.chunk + 1,
                                          t.spec.where.empty() ? "all rows" : t.spec.where);
    for (int attempt = 1;; ++attempt) {
      try {
        std::vector<ChunkInfo> files = read_task(s, t, tw, db, label);
        finish_task(t, tw, std::move(files));
        test_point("dump.chunk-written");
        return;
      } catch (const Error& e) {
        // A keyed chunk is one file, written again from scratch; a scan cut by size may
        // have committed files already, so it is not retried.
        if (!t.split_by_size && attempt < kReadAttempts &&
            is_retryable_read_error(e.server_errno()))
          continue;
        if (e.code() == Errc::cancelled) throw;
        throw e.with_context(label);
      }
    }
  }

  std::vector<ChunkInfo> read_task(Session& s, const Task& task, TableWork& tw,
                                   const std::string& db, const std::string& label) {
    Task t = task;
    if (tw.pruned) t.spec.where = newest_rows_predicate(s, db, tw);
    std::vector<ChunkInfo> files;
    std::unique_ptr<ChunkWriter> out;
    const DigestKind kind = digest_kind_of(kFormatVersion);
    ContentDigest digest(kind);
    std::size_t file_no = t.split_by_size ? 1 : t.chunk + 1;
    auto close_file = [&] {
      ChunkRecord done = out->finish();
      ChunkInfo c;
      c.file = done.file.path;
      c.rows = digest.rows();
      c.raw_bytes = done.raw_bytes;
      c.stored_bytes = done.file.size;
      c.sha256 = done.file.sha256;
      c.digest = digest.sum_hex();
      if (!t.split_by_size) {
        c.lower = t.spec.lower;
        c.upper = t.spec.upper;
        c.where = t.spec.where;
      }
      add_progress(nullptr, 0, 0, done.file.size);
      files.push_back(std::move(c));
      out.reset();
      digest = ContentDigest(kind);
    };
    std::string tail = t.spec.where.empty() ? "" : "WHERE " + t.spec.where;
    if (!t.spec.order_by.empty()) tail += (tail.empty() ? "" : " ") + t.spec.order_by;
    read_table(s, db, tw.entry.def, tail, label, kind,
               [&](std::string_view rows, const ContentDigest& piece) {
                 check_cancel();
                 if (!out) out = new_chunk(t, file_no++);
                 out->write(rows);
                 digest.merge(piece);
                 add_progress(&tw, piece.rows(), rows.size(), 0);
                 test_point("dump.rows");
                 if (t.split_by_size && out->raw_bytes() >= o_.chunk_bytes) close_file();
               });
    // A keyed chunk always has its file, even when empty, so that its range is proven
    // on restore; a scan cut by size has at least one file.
    if (!out && (files.empty() || !t.split_by_size))
      out = new_chunk(t, file_no++);
    if (out) close_file();
    return files;
  }

  // For a pruned table: the threshold of its newest rows, read in this reader's
  // snapshot, as a predicate on concrete values (so that the restore can prove it).
  std::string newest_rows_predicate(Session& s, const std::string& db, const TableWork& tw) {
    const std::string& key = tw.entry.chunk_key.at(0);
    std::optional<std::string> threshold = s.scalar(
        fmt::format("SELECT MIN(omsb_k) FROM (SELECT {0} AS omsb_k FROM {1} ORDER BY {0} DESC "
                    "LIMIT {2}) AS omsb_newest",
                    quote_identifier(key), quote_qualified(db, tw.entry.def.name), keep_rows_),
        fmt::format("finding the newest rows of {}.{}", db, tw.entry.def.name));
    if (!threshold) return "";  // an empty table: nothing to keep
    return fmt::format("{} >= {}", quote_identifier(key), quote_string(*threshold));
  }

  // Chunks count files: a table cut by size adds its files beyond the one planned task.
  void finish_task(const Task& t, TableWork& tw, std::vector<ChunkInfo> files) {
    std::lock_guard lock(mu_);
    progress_.chunks_total += files.size() - 1;
    progress_.chunks_done += files.size();
    tw.results[t.chunk] = std::move(files);
    if (--tw.pending == 0) {
      ++progress_.tables_done;
      unread_estimate_ -= unread(tw);
      progress_.estimated_bytes = progress_.raw_bytes + unread_estimate_;
    }
  }

  // What the planner's estimate says is still to read of a table: never below zero, so
  // that a table larger than its estimate does not make the remaining time jump up when
  // it completes.
  static std::uint64_t unread(const TableWork& tw) {
    return tw.plan.estimated_bytes > tw.raw_read ? tw.plan.estimated_bytes - tw.raw_read : 0;
  }

  void add_progress(TableWork* tw, std::uint64_t rows, std::uint64_t raw, std::uint64_t stored) {
    {
      std::lock_guard lock(mu_);
      progress_.rows += rows;
      progress_.raw_bytes += raw;
      progress_.stored_bytes += stored;
      if (tw != nullptr) {
        std::uint64_t before = unread(*tw);
        tw->raw_read += raw;
        unread_estimate_ -= before - unread(*tw);
      }
      progress_.estimated_bytes = progress_.raw_bytes + unread_estimate_;
    }
    report(false);
  }

  void report(bool final) {
    if (!o_.on_progress) return;
    std::unique_lock lock(report_mu_, std::try_to_lock);
    if (!lock.owns_lock()) return;
    auto now = Clock::now();
    if (!final && now - last_report_ < std::chrono::milliseconds(200)) return;
    last_report_ = now;
    DumpProgress p;
    {
      std::lock_guard g(mu_);
      p = progress_;
    }
    p.seconds = std::chrono::duration<double>(now - started_).count();
    o_.on_progress(p);
  }

  const DumpOptions& o_;
  const std::uint64_t keep_rows_;  // of a pruned table: its newest rows
  ArchiveWriter* writer_;
  std::vector<std::vector<TableWork>>& work_;
  Clock::time_point started_;
  std::atomic<bool> failed_{false};
  std::mutex mu_, report_mu_;
  DumpProgress progress_;
  std::uint64_t unread_estimate_ = 0;  // the sum of unread() over tables not complete
  Clock::time_point last_report_{};
};

TableReport table_report(const std::string& db, const TableWork& tw) {
  TableReport r;
  r.database = db;
  r.table = tw.entry.def.name;
  r.chunk_key = tw.entry.chunk_key;
  r.pruned = tw.pruned;
  r.pruned_deleted = tw.deleted;
  r.ddl_only = tw.entry.def.ddl_only;
  r.estimated_rows = tw.plan.estimated_rows;
  r.estimated_bytes = tw.plan.estimated_bytes;
  for (const auto& c : tw.entry.chunks) {
    r.rows += c.rows;
    r.raw_bytes += c.raw_bytes;
    r.stored_bytes += c.stored_bytes;
    r.chunk_list.push_back({c.lower, c.upper, c.rows, c.raw_bytes, c.stored_bytes, 0, 0});
  }
  r.chunks = tw.entry.chunks.size();
  if (r.chunks == 0) {  // a dry run: the plan
    r.chunks = tw.plan.chunks.size();
    for (const auto& c : tw.plan.chunks)
      r.chunk_list.push_back({c.lower, c.upper, 0, 0, 0, c.estimated_rows, c.estimated_bytes});
  }
  return r;
}

// `archive_started` is set once the archive directory has been created; `watch` once the
// coordinator is connected.
DumpReport dump_steps(Env& env, const DumpOptions& options, const PruneInput& pruning,
                      const ArchiveAs& as, bool& archive_started, std::unique_ptr<LockWatch>& watch) {
  check_options(options);
  // The key first: a bad key file is refused before the server is contacted.
  std::optional<SecretKey> key = load_key(env, options.encryption);
  auto t0 = Clock::now();
  Session coordinator(options.connection, pin_reader_session);
  refuse_if_restoring(coordinator, options.databases);  // restore/run_lock.h
  watch = std::make_unique<LockWatch>(
      options.connection, LockWatchOptions{options.databases, options.on_lock_wait, options.cancel, {}});
  watch->add(coordinator);
  // The readers must fit in what the server accepts: checked before anything changes.
  std::vector<std::string> warnings;
  const unsigned threads = fit_threads(coordinator, options.threads, warnings);
  // Pruning that deletes on the source runs first, outside any snapshot, in short
  // transactions.
  PruneReport pruned;
  if (pruning.remove && !options.dry_run) pruned = pruning.remove(options.cancel);

  // Catalog and plan, before any lock is taken.
  const TableFilter filter{options.include_tables, options.exclude_tables};
  DumpPlan plan = plan_dump(coordinator, options, filter, pruning, pruned);
  std::vector<DatabaseDef>& defs = plan.defs;
  std::vector<std::vector<TableWork>>& work = plan.work;
  std::vector<Task>& tasks = plan.tasks;

  DumpReport report;
  report.threads = threads;
  report.warnings = warnings;
  if (options.dry_run) {
    report.consistency = "none (dry run)";
    for (std::size_t di = 0; di < work.size(); ++di)
      for (const auto& tw : work[di])
        report.tables.push_back(table_report(archived_name(as, defs[di].name), tw));
    report.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return report;
  }

  // Largest chunks first, so that no reader is left with a big one at the end.
  std::stable_sort(tasks.begin(), tasks.end(), [](const Task& a, const Task& b) {
    return a.spec.estimated_bytes > b.spec.estimated_bytes;
  });
  unsigned readers_wanted = static_cast<unsigned>(
      std::max<std::size_t>(1, std::min<std::size_t>(threads, tasks.size())));

  std::shared_ptr<ArchiveCipher> cipher = key ? ArchiveCipher::create(*key) : nullptr;
  key.reset();
  // `-o -`: the archive goes to standard output as a stream, through a spool that holds
  // only the chunk files not yet streamed (one per reader at most).
  std::optional<SpoolDir> spool;
  std::unique_ptr<WritableFile> stdout_file;
  std::unique_ptr<StreamWriter> stream;
  std::string archive_dir = options.output;
  if (options.output == "-") {
    spool.emplace(env, options.spool_dir, "omsdump-spool.");
    archive_dir = spool->root() + "/archive";
    stdout_file = env.standard_output();
    stream = std::make_unique<StreamWriter>(*stdout_file);
  }
  ArchiveWriter writer(env, archive_dir, cipher, stream.get());
  archive_started = true;
  Manifest m;
  m.tool_version = version();
  m.server_flavor = flavor_name(coordinator.server().flavor);
  m.server_version = coordinator.server().version;
  m.started_at = utc_now_iso8601();
  m.options = {{"threads", std::to_string(threads)},
               {"chunk_bytes", std::to_string(options.chunk_bytes)},
               {"compress_level", std::to_string(options.compress_level)},
               {"consistency", consistency_name(options.consistency)},
               {"triggers", options.triggers ? "yes" : "no"}};
  for (const auto& [name, value] : pruning.recorded) m.options[name] = value;
  filter.record(m.options);

  ReaderSet readers = open_readers(coordinator, options.connection, readers_wanted,
                                   options.consistency);
  m.consistency = readers.achieved;
  for (auto& r : readers.readers) watch->add(*r);
  DumpRun run(options, pruning.keep_rows, &writer, work);
  run.add_totals(plan.table_total, plan.chunk_total, plan.estimated);
  try {
    run.run(tasks, readers.readers);
  } catch (...) {
    close_readers(readers);
    throw;
  }
  close_readers(readers);

  for (std::size_t di = 0; di < defs.size(); ++di) {
    const DatabaseDef& db = defs[di];
    DatabaseEntry de{db.name, db.charset, db.collation, db.create_sql, {}};
    de.objects = db.objects;
    for (auto& tw : work[di]) {
      for (auto& files : tw.results)
        for (auto& c : files) {
          tw.entry.rows += c.rows;
          tw.entry.chunks.push_back(std::move(c));
        }
      report.tables.push_back(table_report(archived_name(as, db.name), tw));
      de.tables.push_back(std::move(tw.entry));
    }
    m.databases.push_back(std::move(de));
  }
  m.finished_at = utc_now_iso8601();
  rename_archived_databases(m, as);
  test_point("dump.committing");
  writer.commit(m);
  report.archive = options.output;
  report.consistency = m.consistency;
  if (cipher) report.key_id = cipher->key_id();
  report.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return report;
}

}  // namespace

DumpReport run_dump(Env& env, const DumpOptions& options, const PruneInput& pruning,
                    const ArchiveAs* as) {
  bool archive_started = false;
  std::unique_ptr<LockWatch> watch;
  try {
    return dump_steps(env, options, pruning, as ? *as : ArchiveAs{}, archive_started, watch);
  } catch (const Error& error) {
    const Error e = watch ? watch->explain(error) : error;  // a lock wait, a cancel
    if (!archive_started) throw e;
    // The writer removed the unfinished archive while the error unwound: say so (and
    // say it if that failed), so that nobody wonders whether a partial archive is usable.
    if (options.output == "-")
      throw e.with_note("The stream on standard output was left without its end record, so no "
                        "reader accepts it; the spool was removed");
    std::string dir = options.output;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    throw e.with_note(env.stat(dir)
                          ? fmt::format("The unfinished archive {} could not be removed "
                                        "completely: delete it",
                                        dir)
                          : fmt::format("No archive was written (the unfinished directory {} "
                                        "was removed)",
                                        dir));
  }
}

}  // namespace omsbackup

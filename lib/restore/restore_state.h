// What the parts of one restore share (restore.cpp runs them): its inputs, the targets the
// plan chose, the loader connections, the journal and what it says was done before, the
// report, and the progress shown. The parts: planning (restore_plan.h: targets, preflight,
// dry run), loading (restore_load.h: tables, chunks, batches, indexes, proof, resume
// cleanup) and finishing (restore_finish.h: swap, foreign keys, objects).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "archive/archive_reader.h"
#include "omsbackup/restore.h"
#include "restore/insert_loader.h"
#include "restore/journal.h"
#include "restore/staging.h"
#include "sql/session.h"
#include "util/env.h"

namespace omsbackup {

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

struct RestoreState {
  RestoreState(const RestoreOptions& options, OpenedArchive& opened, Env& file_env)
      : o(options), archive(opened), m(opened.manifest), env(file_env),
        started(std::chrono::steady_clock::now()) {}

  const RestoreOptions& o;
  OpenedArchive& archive;
  Manifest& m;
  Env& env;
  const std::chrono::steady_clock::time_point started;

  // The plan (restore_plan.h).
  std::vector<Target> targets;
  bool use_insert = false;
  InsertLimits insert_limits;
  unsigned threads = 1;  // loader connections, checked against the server in preflight

  std::vector<std::unique_ptr<Session>> workers;
  std::unique_ptr<Journal> journal;
  JournalState resumed;  // what the run this one resumes did
  RestoreReport report;

  std::atomic<bool> stop{false};     // a worker failed: the others stop
  std::atomic<bool> staged{false};   // this run created a database on the server
  std::atomic<bool> renamed{false};  // a database's tables are swapped in: no more cancels
  std::mutex mu;
  std::set<std::size_t> changed, finished;  // targets (manifest index) by what happened to them

  // Beside the archive, never inside it (the archive must hold only its own files).
  std::string journal_path() const;
  void check_cancel() const;
  void live_changed(const Target& t);
  // Runs fn(worker session, i) for i in [0, n) on the loader connections.
  void parallel(std::size_t n, const std::function<void(Session&, std::size_t)>& fn);
  // Adds to a phase's tally ("load", "prove", "done") and reports progress (at most every
  // 200 ms unless `force`).
  void progress(const std::string& phase, std::uint64_t chunks, std::uint64_t rows,
                std::uint64_t bytes, bool force = false);
  void set_progress_totals(std::uint64_t chunks, std::uint64_t raw_bytes);

 private:
  struct Tally {
    std::uint64_t chunks = 0, rows = 0, bytes = 0;
  };
  std::map<std::string, Tally> tallies_;  // per phase
  RestoreProgress progress_;
  std::chrono::steady_clock::time_point last_report_{};
};

}  // namespace omsbackup

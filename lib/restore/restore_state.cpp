#include "restore/restore_state.h"

#include "omsbackup/error.h"
#include "util/cancel.h"
#include "util/parallel.h"

namespace omsbackup {

std::string RestoreState::journal_path() const {
  if (!o.journal.empty()) return o.journal;
  std::string dir = o.archive;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir + ".restore-journal";
}

void RestoreState::check_cancel() const {
  throw_if_cancelled(o.cancel, "restore", "cancelled by the caller");
}

void RestoreState::live_changed(const Target& t) {
  std::lock_guard lock(mu);
  changed.insert(t.index);
}

void RestoreState::parallel(std::size_t n, const std::function<void(Session&, std::size_t)>& fn) {
  run_on_workers(std::min(workers.size(), std::max<std::size_t>(n, 1)), n,
                 [&](std::size_t w, std::size_t i) { fn(*workers[w], i); }, stop);
}

void RestoreState::set_progress_totals(std::uint64_t chunks, std::uint64_t raw_bytes) {
  std::lock_guard lock(mu);
  progress_.chunks_total = chunks;
  progress_.raw_bytes_total = raw_bytes;
}

void RestoreState::progress(const std::string& phase, std::uint64_t chunks, std::uint64_t rows,
                          std::uint64_t bytes, bool force) {
  std::lock_guard lock(mu);
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
    progress_.chunks_done = report.chunks;
    progress_.rows = report.rows;
    progress_.raw_bytes = report.raw_bytes;
  }
  if (!o.on_progress) return;
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_report_ < std::chrono::milliseconds(200)) return;
  last_report_ = now;
  progress_.seconds = std::chrono::duration<double>(now - started).count();
  o.on_progress(progress_);
}

}  // namespace omsbackup

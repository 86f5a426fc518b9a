#include "restore/row_batches.h"

#include <algorithm>

namespace omsbackup {

bool RowBatches::next(std::string& batch) {
  constexpr std::size_t kRead = 1 << 16;
  // One allocation of about target + one read per batch, reused: the batch never grows
  // past it unless a single row is longer.
  batch.clear();
  batch.reserve(target_ + kRead);
  batch.append(carry_);
  carry_.clear();
  std::size_t searched = 0;  // batch[0, searched) holds no newline past the target
  for (;;) {
    if (batch.size() >= target_) {
      // Cut after the first newline at or past the target, so a batch is never empty of
      // rows merely because one row is long.
      std::size_t from = std::max(target_ - 1, searched);
      std::size_t nl = batch.find('\n', from);
      if (nl != std::string::npos) {
        carry_.assign(batch, nl + 1, std::string::npos);
        batch.resize(nl + 1);
        return true;
      }
      searched = batch.size();
    }
    if (eof_) return !batch.empty();
    std::size_t old = batch.size();
    batch.resize(old + kRead);
    std::size_t got = source_(batch.data() + old, kRead);
    batch.resize(old + got);
    if (got == 0) eof_ = true;
  }
}

}  // namespace omsbackup

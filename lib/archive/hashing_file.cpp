#include "archive/hashing_file.h"

#include <utility>

#include "omsbackup/error.h"

namespace omsbackup {

HashingFile::HashingFile(WritableFile& sink, std::string path)
    : sink_(sink), path_(std::move(path)) {}

void HashingFile::check_usable(std::string_view doing) const {
  if (!finished_ && !failed_) return;
  throw Error(Errc::internal, path_,
              std::string(doing) + " after " + (finished_ ? "finish()" : "an earlier failure"));
}

void HashingFile::append(std::string_view data) {
  check_usable("append");
  try {
    sink_.append(data);
  } catch (...) {
    failed_ = true;
    throw;
  }
  hash_.update(data);
  bytes_ += data.size();
}

Sha256Digest HashingFile::finish() {
  check_usable("finish");
  finished_ = true;
  return hash_.finish();
}

}  // namespace omsbackup

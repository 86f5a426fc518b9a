#include "archive/atomic_file.h"

#include <utility>

#include "omsbackup/error.h"

namespace omsbackup {

namespace {

std::string parent_dir(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

AtomicFileWriter::AtomicFileWriter(Env& env, std::string path, unsigned mode)
    : env_(env),
      path_(std::move(path)),
      partial_path_(path_ + ".partial"),
      file_(env_.new_writable_file(partial_path_, mode)) {}

AtomicFileWriter::~AtomicFileWriter() { abandon(); }

void AtomicFileWriter::abandon() noexcept {
  if (state_ != State::open) return;
  state_ = State::failed;
  file_.reset();  // closes without throwing
  try {
    env_.remove_file(partial_path_);
  } catch (...) {
    // Nothing more can be done; a later run finds the .partial file and ignores it.
  }
}

void AtomicFileWriter::check_open(std::string_view doing) const {
  if (state_ == State::open) return;
  throw Error(Errc::internal, path_,
              std::string(doing) + " after " +
                  (state_ == State::committed ? "commit" : "an earlier failure"));
}

void AtomicFileWriter::append(std::string_view data) {
  check_open("append");
  try {
    file_->append(data);
  } catch (...) {
    abandon();
    throw;
  }
}

void AtomicFileWriter::commit() {
  check_open("commit");
  try {
    file_->sync();
    file_->close();
    file_.reset();
    env_.rename(partial_path_, path_);
  } catch (...) {
    abandon();
    throw;
  }
  state_ = State::committed;
  env_.sync_dir(parent_dir(path_));
}

void AtomicFileWriter::Sink::sync() {
  owner_.check_open("sync");
  try {
    owner_.file_->sync();
  } catch (...) {
    owner_.abandon();
    throw;
  }
}

void AtomicFileWriter::Sink::close() {
  throw Error(Errc::internal, owner_.path_, "close() on an atomic file: call commit()");
}

void write_file_atomically(Env& env, const std::string& path, std::string_view content,
                           unsigned mode) {
  AtomicFileWriter writer(env, path, mode);
  writer.append(content);
  writer.commit();
}

}  // namespace omsbackup

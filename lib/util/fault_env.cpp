#include "util/fault_env.h"

#include <algorithm>
#include <utility>

namespace omsbackup {

namespace {

constexpr std::size_t index(FaultEnv::Op op) { return static_cast<std::size_t>(op); }

}  // namespace

class FaultWritableFile final : public WritableFile {
 public:
  FaultWritableFile(FaultEnv& env, std::string path, std::unique_ptr<WritableFile> base)
      : env_(env), path_(std::move(path)), base_(std::move(base)) {}

  void append(std::string_view data) override {
    env_.before(FaultEnv::Op::append, path_, "write");
    std::size_t fits = env_.reserve_append(data.size());
    if (fits > 0) base_->append(data.substr(0, fits));
    if (fits < data.size()) throw_io_error(path_, "write failed (injected full disk)", ENOSPC);
  }

  void sync() override {
    env_.before(FaultEnv::Op::sync, path_, "fsync");
    base_->sync();
  }

  void close() override {
    env_.before(FaultEnv::Op::close, path_, "close");
    base_->close();
  }

 private:
  FaultEnv& env_;
  std::string path_;
  std::unique_ptr<WritableFile> base_;
};

class FaultSequentialFile final : public SequentialFile {
 public:
  FaultSequentialFile(FaultEnv& env, std::string path, std::unique_ptr<SequentialFile> base)
      : env_(env), path_(std::move(path)), base_(std::move(base)) {}

  std::size_t read(char* buf, std::size_t n) override {
    env_.before(FaultEnv::Op::read, path_, "read");
    return base_->read(buf, n);
  }

 private:
  FaultEnv& env_;
  std::string path_;
  std::unique_ptr<SequentialFile> base_;
};

FaultEnv::FaultEnv(Env& base) : base_(base) {}

void FaultEnv::fail_nth(Op op, std::uint64_t n, int err) {
  std::lock_guard lock(mu_);
  fail_at_[index(op)] = n == 0 ? 0 : calls_[index(op)] + n;
  fail_errno_[index(op)] = err;
}

void FaultEnv::set_disk_full_after(std::uint64_t bytes) {
  std::lock_guard lock(mu_);
  disk_limit_ = bytes > never - bytes_appended_ ? never : bytes_appended_ + bytes;
}

void FaultEnv::clear_faults() {
  std::lock_guard lock(mu_);
  fail_at_.fill(0);
  disk_limit_ = never;
}

std::uint64_t FaultEnv::calls(Op op) const {
  std::lock_guard lock(mu_);
  return calls_[index(op)];
}

std::uint64_t FaultEnv::bytes_appended() const {
  std::lock_guard lock(mu_);
  return bytes_appended_;
}

std::uint64_t FaultEnv::faults_injected() const {
  std::lock_guard lock(mu_);
  return faults_;
}

int FaultEnv::fault(Op op) {
  std::lock_guard lock(mu_);
  std::uint64_t call = ++calls_[index(op)];
  if (fail_at_[index(op)] != call) return 0;
  fail_at_[index(op)] = 0;
  ++faults_;
  return fail_errno_[index(op)];
}

void FaultEnv::before(Op op, const std::string& path, std::string_view what) {
  if (int err = fault(op)) throw_io_error(path, std::string(what) + " failed (injected fault)", err);
}

std::size_t FaultEnv::reserve_append(std::size_t size) {
  std::lock_guard lock(mu_);
  std::uint64_t room = disk_limit_ - std::min(disk_limit_, bytes_appended_);
  std::size_t fits = static_cast<std::size_t>(std::min<std::uint64_t>(size, room));
  bytes_appended_ += fits;
  if (fits < size) ++faults_;
  return fits;
}

std::unique_ptr<WritableFile> FaultEnv::new_writable_file(const std::string& path,
                                                          unsigned mode) {
  before(Op::create, path, "open for writing");
  return std::make_unique<FaultWritableFile>(*this, path, base_.new_writable_file(path, mode));
}

std::unique_ptr<WritableFile> FaultEnv::new_appendable_file(const std::string& path,
                                                            unsigned mode) {
  before(Op::create, path, "open for appending");
  return std::make_unique<FaultWritableFile>(*this, path, base_.new_appendable_file(path, mode));
}

std::unique_ptr<SequentialFile> FaultEnv::new_sequential_file(const std::string& path) {
  before(Op::open, path, "open for reading");
  return std::make_unique<FaultSequentialFile>(*this, path, base_.new_sequential_file(path));
}

std::unique_ptr<SequentialFile> FaultEnv::open_named_file(const std::string& path, FileInfo& info,
                                                          int& err) {
  if ((err = fault(Op::open)) != 0) return nullptr;
  std::unique_ptr<SequentialFile> f = base_.open_named_file(path, info, err);
  if (!f) return nullptr;
  return std::make_unique<FaultSequentialFile>(*this, path, std::move(f));
}

void FaultEnv::create_dir(const std::string& path, unsigned mode) {
  before(Op::create_dir, path, "mkdir");
  base_.create_dir(path, mode);
}

void FaultEnv::rename(const std::string& from, const std::string& to) {
  before(Op::rename, from, "rename to " + to);
  base_.rename(from, to);
}

void FaultEnv::sync_dir(const std::string& path) {
  before(Op::sync_dir, path, "fsync of directory");
  base_.sync_dir(path);
}

void FaultEnv::remove_file(const std::string& path) {
  before(Op::remove_file, path, "unlink");
  base_.remove_file(path);
}

void FaultEnv::remove_dir(const std::string& path) {
  before(Op::remove_dir, path, "rmdir");
  base_.remove_dir(path);
}

std::vector<FileInfo> FaultEnv::list_dir(const std::string& path) {
  before(Op::list_dir, path, "list directory");
  return base_.list_dir(path);
}

std::optional<FileInfo> FaultEnv::stat(const std::string& path) {
  before(Op::stat, path, "lstat");
  return base_.stat(path);
}

}  // namespace omsbackup

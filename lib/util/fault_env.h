// FaultEnv: an Env for tests that wraps another Env, counts calls and injects failures.
//
//   FaultEnv env(Env::posix());
//   env.fail_nth(FaultEnv::Op::sync, 1);   // the next file sync() throws Errc::io
//   env.set_disk_full_after(4096);         // appends beyond 4096 more bytes throw ENOSPC
//
// Injected failures throw Error(Errc::io, <path>, "<what> failed (injected fault): <strerror>")
// exactly where the real call would have failed. Files opened through a FaultEnv must not
// outlive it. Thread-safe.
#pragma once

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <mutex>

#include "util/env.h"

namespace omsbackup {

class FaultEnv : public Env {
 public:
  enum class Op : std::size_t {
    append,        // WritableFile::append
    sync,          // WritableFile::sync
    close,         // WritableFile::close
    create,        // new_writable_file
    open,          // new_sequential_file, open_named_file (which returns the errno)
    read,          // SequentialFile::read
    create_dir,    // create_dir
    rename,        // rename
    sync_dir,      // sync_dir
    remove_file,   // remove_file
    remove_dir,    // remove_dir
    list_dir,      // list_dir
    stat,          // stat
  };
  static constexpr std::size_t op_count = static_cast<std::size_t>(Op::stat) + 1;

  explicit FaultEnv(Env& base);

  // Makes the nth call of `op` from now on (n >= 1) fail with errno `err`, without reaching
  // the wrapped Env. One pending fault per op; a new call replaces it.
  void fail_nth(Op op, std::uint64_t n, int err = ENOSPC);
  // Shorthands for the common cases.
  void fail_append(std::uint64_t n = 1) { fail_nth(Op::append, n); }
  void fail_sync(std::uint64_t n = 1) { fail_nth(Op::sync, n); }
  void fail_rename(std::uint64_t n = 1) { fail_nth(Op::rename, n); }
  void fail_create(std::uint64_t n = 1) { fail_nth(Op::create, n); }

  // Behaves as a full disk once `bytes` more bytes have been appended (over all files): the
  // append that crosses the limit writes what fits, then throws "No space left on device";
  // every later append throws too.
  void set_disk_full_after(std::uint64_t bytes);
  // Removes every pending fault and the disk limit (counters are kept).
  void clear_faults();

  // How many times `op` was called (including calls that failed).
  std::uint64_t calls(Op op) const;
  // Bytes passed on to the wrapped Env's files.
  std::uint64_t bytes_appended() const;
  // How many failures were injected so far.
  std::uint64_t faults_injected() const;

  std::unique_ptr<WritableFile> new_writable_file(const std::string& path,
                                                  unsigned mode = 0600) override;
  std::unique_ptr<WritableFile> new_appendable_file(const std::string& path,
                                                    unsigned mode = 0600) override;
  std::unique_ptr<SequentialFile> new_sequential_file(const std::string& path) override;
  std::unique_ptr<SequentialFile> open_named_file(const std::string& path, FileInfo& info,
                                                  int& err) override;
  void create_dir(const std::string& path, unsigned mode = 0700) override;
  void rename(const std::string& from, const std::string& to) override;
  void sync_dir(const std::string& path) override;
  void remove_file(const std::string& path) override;
  void remove_dir(const std::string& path) override;
  std::vector<FileInfo> list_dir(const std::string& path) override;
  std::optional<FileInfo> stat(const std::string& path) override;

 private:
  friend class FaultWritableFile;
  friend class FaultSequentialFile;

  // Counts a call of `op`; the errno to fail it with if it is the one to fail, else 0.
  int fault(Op op);
  // Counts a call of `op` and throws if it is the one to fail.
  void before(Op op, const std::string& path, std::string_view what);
  // Takes room for an append of `size` bytes: returns how many fit before the disk is full.
  std::size_t reserve_append(std::size_t size);

  static constexpr std::uint64_t never = std::numeric_limits<std::uint64_t>::max();

  Env& base_;
  mutable std::mutex mu_;
  std::array<std::uint64_t, op_count> calls_{};
  std::array<std::uint64_t, op_count> fail_at_{};  // call number that fails; 0 = none
  std::array<int, op_count> fail_errno_{};
  std::uint64_t bytes_appended_ = 0;
  std::uint64_t disk_limit_ = never;
  std::uint64_t faults_ = 0;
};

}  // namespace omsbackup

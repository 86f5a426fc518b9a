// The file seam (in the spirit of LevelDB's Env): every file and directory operation of the
// archive goes through an Env, so tests can inject faults (see fault_env.h).
//
// Every failure throws omsbackup::Error(Errc::io, <path>, "<what failed>: <strerror>").
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omsbackup {

// A file open for writing. Not thread-safe: one writer per file.
class WritableFile {
 public:
  virtual ~WritableFile();  // implementations close without throwing if not closed
  // Appends all of `data` (retries short writes and EINTR).
  virtual void append(std::string_view data) = 0;
  // Flushes the file's data and metadata to stable storage (fsync).
  virtual void sync() = 0;
  // Closes the file; further calls other than close() throw.
  virtual void close() = 0;
};

// A file open for reading from start to end.
class SequentialFile {
 public:
  virtual ~SequentialFile();
  // Reads up to n bytes into buf; returns how many were read (possibly fewer than n),
  // 0 only at end of file.
  virtual std::size_t read(char* buf, std::size_t n) = 0;
};

// A WritableFile that appends to a string (for small files handled whole, and tests).
class StringWritableFile final : public WritableFile {
 public:
  explicit StringWritableFile(std::string& out) : out_(out) {}
  void append(std::string_view data) override { out_.append(data); }
  void sync() override {}
  void close() override {}

 private:
  std::string& out_;
};

// An exclusive advisory lock on a file (flock), held until destroyed; the file is then
// removed.
class FileLock {
 public:
  virtual ~FileLock();
};

struct FileInfo {
  enum class Type { regular, directory, symlink, other };
  std::string name;  // the last path component
  Type type = Type::other;
  std::uint64_t size = 0;
  unsigned mode = 0;  // permission bits (st_mode & 07777)
  std::uint64_t device = 0, inode = 0;  // the same file has the same pair
};

class Env {
 public:
  virtual ~Env();

  // Creates or truncates `path` (O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC|O_NOFOLLOW) and gives it
  // exactly `mode`, whatever the umask. Fails on a symlink.
  virtual std::unique_ptr<WritableFile> new_writable_file(const std::string& path,
                                                          unsigned mode = 0600) = 0;
  // Opens `path` for appending, creating it with exactly `mode` if missing (O_APPEND,
  // O_NOFOLLOW). For journals that must survive a crash line by line.
  virtual std::unique_ptr<WritableFile> new_appendable_file(const std::string& path,
                                                            unsigned mode = 0600) = 0;
  // Opens `path` for reading (O_NOFOLLOW: fails on a symlink).
  virtual std::unique_ptr<SequentialFile> new_sequential_file(const std::string& path) = 0;
  // Opens a file the user named (a key file, a config.yaml) for reading, following symlinks
  // (a mounted secret is often one), and fills `info` from fstat of the opened file. Returns
  // nullptr with the errno in `err` when it cannot be opened, so that the caller can say
  // what the file is for.
  virtual std::unique_ptr<SequentialFile> open_named_file(const std::string& path,
                                                          FileInfo& info, int& err) = 0;
  // Creates a directory with exactly `mode`, whatever the umask. Succeeds without changes if
  // `path` is already a directory (not a symlink to one).
  virtual void create_dir(const std::string& path, unsigned mode = 0700) = 0;
  // rename(2): atomically replaces `to` if it exists.
  virtual void rename(const std::string& from, const std::string& to) = 0;
  // fsyncs a directory, making renames and creations in it durable.
  virtual void sync_dir(const std::string& path) = 0;
  virtual void remove_file(const std::string& path) = 0;
  // Removes an empty directory.
  virtual void remove_dir(const std::string& path) = 0;
  // The entries of a directory without "." and "..", sorted by name; symlinks are reported as
  // symlinks (lstat).
  virtual std::vector<FileInfo> list_dir(const std::string& path) = 0;
  // lstat(2): std::nullopt if `path` does not exist.
  virtual std::optional<FileInfo> stat(const std::string& path) = 0;

  // Takes an exclusive lock on `path` (created with exactly `mode` if missing) without
  // waiting and writes `info` into the file. Returns nullptr when another process holds
  // it, with the file's content (what that process wrote) in `*holder`. Released (and the
  // file removed) when the FileLock is destroyed, and by the kernel if the process dies.
  // Every Env shares this implementation: the lock is not an archive file.
  virtual std::unique_ptr<FileLock> try_lock_file(const std::string& path, std::string_view info,
                                                  std::string* holder, unsigned mode = 0600);

  // Creates a new directory `parent`/`prefix`XXXXXX with mode 0700 (mkdtemp) and returns its
  // path. Every Env shares this implementation.
  virtual std::string make_temp_dir(const std::string& parent, const std::string& prefix);

  // The process's standard input and output (descriptors 0 and 1, not closed when the file
  // is destroyed), named "standard input" / "standard output" in errors.
  virtual std::unique_ptr<SequentialFile> standard_input();
  virtual std::unique_ptr<WritableFile> standard_output();

  // The real file system. The only global of the library.
  static Env& posix();
};

// Throws Error(Errc::io, path, "<what>: <strerror(err)>").
[[noreturn]] void throw_io_error(const std::string& path, std::string_view what, int err);

}  // namespace omsbackup

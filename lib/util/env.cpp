#include "util/env.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <system_error>

#include "omsbackup/error.h"

namespace omsbackup {

WritableFile::~WritableFile() = default;
SequentialFile::~SequentialFile() = default;
Env::~Env() = default;
FileLock::~FileLock() = default;

void throw_io_error(const std::string& path, std::string_view what, int err) {
  std::string message(what);
  message += ": ";
  message += std::error_code(err, std::generic_category()).message();
  throw Error(Errc::io, path, message);
}

namespace {

std::string last_component(const std::string& path) {
  std::string_view p(path);
  while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
  auto slash = p.rfind('/');
  return std::string(slash == std::string_view::npos || p.size() == 1 ? p : p.substr(slash + 1));
}

FileInfo to_info(std::string name, const struct stat& st) {
  FileInfo info;
  info.name = std::move(name);
  if (S_ISREG(st.st_mode)) {
    info.type = FileInfo::Type::regular;
  } else if (S_ISDIR(st.st_mode)) {
    info.type = FileInfo::Type::directory;
  } else if (S_ISLNK(st.st_mode)) {
    info.type = FileInfo::Type::symlink;
  } else {
    info.type = FileInfo::Type::other;
  }
  info.size = static_cast<std::uint64_t>(st.st_size);
  info.device = static_cast<std::uint64_t>(st.st_dev);
  info.inode = static_cast<std::uint64_t>(st.st_ino);
  info.mode = static_cast<unsigned>(st.st_mode) & 07777u;
  return info;
}

class PosixWritableFile final : public WritableFile {
 public:
  // `owned` false: a standard descriptor, left open at the end.
  PosixWritableFile(std::string path, int fd, bool owned = true)
      : path_(std::move(path)), fd_(fd), owned_(owned) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0 && owned_) ::close(fd_);
  }
  PosixWritableFile(const PosixWritableFile&) = delete;
  PosixWritableFile& operator=(const PosixWritableFile&) = delete;

  void append(std::string_view data) override {
    check_open("write");
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_io_error(path_, "write failed", errno);
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  void sync() override {
    check_open("fsync");
    if (::fsync(fd_) != 0) throw_io_error(path_, "fsync failed", errno);
  }

  void close() override {
    if (fd_ < 0) return;
    int fd = fd_;
    fd_ = -1;
    if (!owned_) return;
    // Linux releases the descriptor even when close() fails, so never retry it.
    if (::close(fd) != 0 && errno != EINTR) throw_io_error(path_, "close failed", errno);
  }

 private:
  void check_open(const char* what) {
    if (fd_ < 0) throw_io_error(path_, std::string(what) + " failed", EBADF);
  }

  std::string path_;
  int fd_;
  bool owned_;
};

class PosixSequentialFile final : public SequentialFile {
 public:
  PosixSequentialFile(std::string path, int fd, bool owned = true)
      : path_(std::move(path)), fd_(fd), owned_(owned) {}
  ~PosixSequentialFile() override {
    if (owned_) ::close(fd_);
  }
  PosixSequentialFile(const PosixSequentialFile&) = delete;
  PosixSequentialFile& operator=(const PosixSequentialFile&) = delete;

  std::size_t read(char* buf, std::size_t n) override {
    for (;;) {
      ssize_t got = ::read(fd_, buf, n);
      if (got >= 0) return static_cast<std::size_t>(got);
      if (errno != EINTR) throw_io_error(path_, "read failed", errno);
    }
  }

 private:
  std::string path_;
  int fd_;
  bool owned_;
};

// Closes a descriptor on scope exit.
struct FdGuard {
  int fd;
  ~FdGuard() {
    if (fd >= 0) ::close(fd);
  }
};

class PosixEnv final : public Env {
 public:
  std::unique_ptr<WritableFile> new_writable_file(const std::string& path,
                                                  unsigned mode = 0600) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                    static_cast<mode_t>(mode));
    if (fd < 0) throw_io_error(path, "open for writing failed", errno);
    FdGuard guard{fd};
    if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) throw_io_error(path, "fchmod failed", errno);
    guard.fd = -1;
    return std::make_unique<PosixWritableFile>(path, fd);
  }

  std::unique_ptr<WritableFile> new_appendable_file(const std::string& path,
                                                    unsigned mode = 0600) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
                    static_cast<mode_t>(mode));
    if (fd < 0) throw_io_error(path, "open for appending failed", errno);
    FdGuard guard{fd};
    if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) throw_io_error(path, "fchmod failed", errno);
    guard.fd = -1;
    return std::make_unique<PosixWritableFile>(path, fd);
  }

  std::unique_ptr<SequentialFile> new_sequential_file(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) throw_io_error(path, "open for reading failed", errno);
    return std::make_unique<PosixSequentialFile>(path, fd);
  }

  std::unique_ptr<SequentialFile> open_named_file(const std::string& path, FileInfo& info,
                                                  int& err) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
      err = errno;
      return nullptr;
    }
    FdGuard guard{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      err = errno;
      return nullptr;
    }
    info = to_info(last_component(path), st);
    guard.fd = -1;
    return std::make_unique<PosixSequentialFile>(path, fd);
  }

  void create_dir(const std::string& path, unsigned mode = 0700) override {
    if (::mkdir(path.c_str(), static_cast<mode_t>(mode)) != 0) {
      int err = errno;
      struct stat st {};
      if (err == EEXIST && ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return;
      throw_io_error(path, "mkdir failed", err);
    }
    // The umask may have cleared bits: set the mode exactly, without following a symlink
    // that could have replaced the new directory.
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) throw_io_error(path, "open of new directory failed", errno);
    FdGuard guard{fd};
    if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) throw_io_error(path, "fchmod failed", errno);
  }

  void rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      throw_io_error(from, "rename to " + to + " failed", errno);
    }
  }

  void sync_dir(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw_io_error(path, "open of directory failed", errno);
    FdGuard guard{fd};
    if (::fsync(fd) != 0) throw_io_error(path, "fsync of directory failed", errno);
  }

  void remove_file(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) throw_io_error(path, "unlink failed", errno);
  }

  void remove_dir(const std::string& path) override {
    if (::rmdir(path.c_str()) != 0) throw_io_error(path, "rmdir failed", errno);
  }

  std::vector<FileInfo> list_dir(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw_io_error(path, "open of directory failed", errno);
    DIR* dir = ::fdopendir(fd);
    if (dir == nullptr) {
      int err = errno;
      ::close(fd);
      throw_io_error(path, "fdopendir failed", err);
    }
    struct DirGuard {
      DIR* d;
      ~DirGuard() { ::closedir(d); }
    } dir_guard{dir};

    std::vector<FileInfo> out;
    for (;;) {
      errno = 0;
      struct dirent* e = ::readdir(dir);
      if (e == nullptr) {
        if (errno != 0) throw_io_error(path, "readdir failed", errno);
        break;
      }
      std::string_view name(e->d_name);
      if (name == "." || name == "..") continue;
      struct stat st {};
      if (::fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;  // removed while listing
        throw_io_error(path + "/" + e->d_name, "lstat failed", errno);
      }
      out.push_back(to_info(std::string(name), st));
    }
    std::sort(out.begin(), out.end(),
              [](const FileInfo& a, const FileInfo& b) { return a.name < b.name; });
    return out;
  }

  std::optional<FileInfo> stat(const std::string& path) override {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
      throw_io_error(path, "lstat failed", errno);
    }
    return to_info(last_component(path), st);
  }
};

}  // namespace

std::string Env::make_temp_dir(const std::string& parent, const std::string& prefix) {
  std::string templ = parent + "/" + prefix + "XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) throw_io_error(templ, "mkdtemp failed", errno);
  return templ;
}

std::unique_ptr<SequentialFile> Env::standard_input() {
  return std::make_unique<PosixSequentialFile>("standard input", 0, /*owned=*/false);
}

std::unique_ptr<WritableFile> Env::standard_output() {
  return std::make_unique<PosixWritableFile>("standard output", 1, /*owned=*/false);
}

Env& Env::posix() {
  static PosixEnv env;
  return env;
}

namespace {

class PosixFileLock final : public FileLock {
 public:
  PosixFileLock(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixFileLock() override {
    // Removed while still locked, and only if it is still this file: a process that opened
    // it meanwhile finds, once it gets the lock, that the path no longer names its file.
    struct stat mine {}, now {};
    if (::fstat(fd_, &mine) == 0 && ::lstat(path_.c_str(), &now) == 0 &&
        mine.st_dev == now.st_dev && mine.st_ino == now.st_ino)
      ::unlink(path_.c_str());
    ::close(fd_);
  }
  PosixFileLock(const PosixFileLock&) = delete;
  PosixFileLock& operator=(const PosixFileLock&) = delete;

 private:
  std::string path_;
  int fd_;
};

}  // namespace

std::unique_ptr<FileLock> Env::try_lock_file(const std::string& path, std::string_view info,
                                             std::string* holder, unsigned mode) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, static_cast<mode_t>(mode));
    if (fd < 0) throw_io_error(path, "open of the lock file failed", errno);
    FdGuard guard{fd};
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      if (err != EWOULDBLOCK) throw_io_error(path, "flock failed", err);
      if (holder != nullptr) {
        holder->clear();
        char buf[4096];
        ssize_t n = ::pread(fd, buf, sizeof buf, 0);
        if (n > 0) holder->assign(buf, static_cast<std::size_t>(n));
      }
      return nullptr;
    }
    // Locked; but the holder before us may have removed the file since we opened it.
    struct stat mine {}, now {};
    if (::fstat(fd, &mine) != 0) throw_io_error(path, "fstat failed", errno);
    if (::lstat(path.c_str(), &now) != 0 || mine.st_dev != now.st_dev || mine.st_ino != now.st_ino)
      continue;
    if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) throw_io_error(path, "fchmod failed", errno);
    if (::ftruncate(fd, 0) != 0) throw_io_error(path, "ftruncate failed", errno);
    std::size_t done = 0;
    while (done < info.size()) {
      ssize_t n = ::pwrite(fd, info.data() + done, info.size() - done, static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw_io_error(path, "write failed", errno);
      done += static_cast<std::size_t>(n);
    }
    guard.fd = -1;
    return std::make_unique<PosixFileLock>(path, fd);
  }
  throw Error(Errc::io, path, "the lock file keeps being removed and created again; try again");
}

}  // namespace omsbackup

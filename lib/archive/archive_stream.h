// The stream form of an archive (docs/archive-format.md section 10): every file of the
// archive directory, each framed by a header line with its path and size and a trailer
// line with its SHA-256, then an end record. A stream carries the files byte for byte, so
// a directory packed and unpacked again is the same directory, and an encrypted archive
// stays encrypted. The files themselves are proven by the archive's own checksums once
// unpacked (open_archive); the frames only let a cut or altered stream be named early.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "archive/encryption.h"
#include "archive/manifest.h"
#include "util/env.h"

namespace omsbackup {

inline constexpr const char* kStreamFormatName = "omsbackup-stream";
inline constexpr int kStreamVersion = 1;

// Writes a stream: the header line at construction, then whole files, then the end
// record. add_file() is thread-safe (one file at a time goes out; the others wait), so
// the dump's readers can each hand over their finished chunk.
class StreamWriter {
 public:
  explicit StreamWriter(WritableFile& out);
  StreamWriter(const StreamWriter&) = delete;
  StreamWriter& operator=(const StreamWriter&) = delete;

  // Copies the file `root`/`rel_path` into the stream. With `expected` (the entry the
  // archive lists), the bytes copied must have that size and SHA-256, else Errc::io.
  void add_file(Env& env, const std::string& root, const std::string& rel_path,
                const FileEntry* expected = nullptr);
  // The end record; the stream is complete only after it. Flushes nothing beyond `out`.
  void finish();

  std::uint64_t files() const { return files_; }
  std::uint64_t bytes() const { return bytes_; }

 private:
  void emit(std::string_view data);

  std::mutex mu_;
  WritableFile& out_;
  std::uint64_t files_ = 0, bytes_ = 0;
  bool finished_ = false;
};

struct PackResult {
  std::uint64_t files = 0, bytes = 0;  // files packed, bytes of the stream
  bool verified = false;  // false: an encrypted archive packed without its key (sizes and
                          // hashes of its data files are then checked on unpacking only)
};

// Packs the archive directory `dir` into `out`: the data files sorted by path, then the
// manifest, then DONE (the order a dump's stream ends with too). A plaintext archive, or an
// encrypted one with `key`, is verified first (shallow: every file's size and SHA-256).
PackResult pack_archive(Env& env, const std::string& dir, WritableFile& out,
                        const SecretKey* key = nullptr);

struct UnpackResult {
  std::uint64_t files = 0, bytes = 0;
};

// Reads a stream from `in` into the new directory `dir` (it must not exist; created 0700,
// files 0600, each written atomically). Refuses, naming the entry, a stream that is cut,
// altered (a frame's size or SHA-256), has an unsafe or repeated path, lacks DONE or has
// anything after its end record; then removes `dir` and everything written to it. Does not
// verify the archive inside: open_archive() does that.
UnpackResult unpack_archive(Env& env, SequentialFile& in, const std::string& dir);

// A fresh private directory (mode 0700, a new name) under `parent` (empty: $TMPDIR, else
// /tmp), removed with everything in it when this is destroyed unless keep() was called.
class SpoolDir {
 public:
  SpoolDir(Env& env, const std::string& parent, const std::string& prefix);
  ~SpoolDir();
  SpoolDir(const SpoolDir&) = delete;
  SpoolDir& operator=(const SpoolDir&) = delete;

  const std::string& root() const { return root_; }
  void keep() { keep_ = true; }

 private:
  Env& env_;
  std::string root_;
  bool keep_ = false;
};

// A stream spooled into a SpoolDir, for the readers that need a directory (a restore;
// the others through ArchiveDirectory): dir() is the unpacked archive (root()/archive). A restore that began changing
// the server keep()s it for --resume.
class SpooledArchive {
 public:
  // `stream`: "-" (standard input) or a stream file.
  SpooledArchive(Env& env, const std::string& stream, const std::string& spool_parent);

  const std::string& dir() const { return archive_; }
  const std::string& root() const { return spool_.root(); }
  void keep() { spool_.keep(); }

 private:
  SpoolDir spool_;
  std::string archive_;
};

// True when `path` names a stream rather than an archive directory: "-" or a regular file.
bool is_stream_path(Env& env, const std::string& path);

// The archive `path` names, as a directory to read: `path` itself, or for a stream (see
// is_stream_path) the directory it was spooled into under `spool_parent`, removed with
// the spool when this is destroyed. For the readers that never resume (verify, --to-sql,
// --diff); a restore keeps its spool for --resume and uses SpooledArchive itself.
class ArchiveDirectory {
 public:
  ArchiveDirectory(Env& env, const std::string& path, const std::string& spool_parent);

  const std::string& dir() const { return spooled_ ? spooled_->dir() : path_; }

 private:
  std::string path_;
  std::optional<SpooledArchive> spooled_;
};

// Opens the stream `path` for reading: "-" is standard input, else a file (symlinks
// followed: it is a file the user named).
std::unique_ptr<SequentialFile> open_stream(Env& env, const std::string& path);

}  // namespace omsbackup

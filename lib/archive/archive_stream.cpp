#include "archive/archive_stream.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "archive/archive_reader.h"
#include "archive/archive_writer.h"
#include "archive/atomic_file.h"
#include "archive/hashing_file.h"
#include "omsbackup/error.h"
#include "util/sha256.h"

namespace omsbackup {

namespace {

constexpr std::size_t kCopyBuf = 1 << 20;
constexpr std::size_t kMaxLine = 4096;  // a frame line: a path and a size, or a hash

// Where a stream's bytes come from, buffered, counting the offset for error messages.
class StreamInput {
 public:
  explicit StreamInput(SequentialFile& in) : in_(in), buf_(kCopyBuf) {}

  // The next line without its '\n'; std::nullopt at a clean end of the stream (no byte
  // read). A line cut by the end of the stream, or longer than kMaxLine, is refused.
  std::optional<std::string> line(const std::string& what) {
    std::string out;
    for (;;) {
      if (pos_ == end_ && !fill()) {
        if (out.empty()) return std::nullopt;
        cut(what, "inside its frame line");
      }
      const char* start = buf_.data() + pos_;
      const char* nl = static_cast<const char*>(std::memchr(start, '\n', end_ - pos_));
      std::size_t take = nl ? static_cast<std::size_t>(nl - start) : end_ - pos_;
      out.append(start, take);
      pos_ += take + (nl ? 1 : 0);
      offset_ += take + (nl ? 1 : 0);
      if (out.size() > kMaxLine)
        throw Error(Errc::corrupt_archive, "stream",
                    fmt::format("{}: a frame line at byte {} is longer than any valid one; this "
                                "is not an omsbackup stream, or it is damaged",
                                what, offset_));
      if (nl) return out;
    }
  }

  // Passes exactly `n` bytes to `sink`.
  void copy(std::uint64_t n, WritableFile& sink, const std::string& what) {
    std::uint64_t left = n;
    while (left > 0) {
      if (pos_ == end_ && !fill())
        cut(what, fmt::format("after {} of its {} bytes", n - left, n));
      std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(left, end_ - pos_));
      sink.append(std::string_view(buf_.data() + pos_, take));
      pos_ += take;
      offset_ += take;
      left -= take;
    }
  }

  bool at_end() { return pos_ == end_ && !fill(); }
  std::uint64_t offset() const { return offset_; }

  [[noreturn]] void cut(const std::string& what, const std::string& where) {
    throw Error(Errc::corrupt_archive, "stream",
                fmt::format("ends {} ({}, byte {}): the stream was cut short (a transfer "
                            "that stopped, a full disk at the sender, or a failed dump); "
                            "nothing was kept",
                            where, what, offset_));
  }

 private:
  bool fill() {
    pos_ = 0;
    end_ = in_.read(buf_.data(), buf_.size());
    return end_ > 0;
  }

  SequentialFile& in_;
  std::vector<char> buf_;
  std::size_t pos_ = 0, end_ = 0;
  std::uint64_t offset_ = 0;
};

[[noreturn]] void bad_frame(const std::string& what, const std::string& problem) {
  throw Error(Errc::corrupt_archive, "stream",
              fmt::format("{}: {}; the stream is damaged or not an omsbackup stream, nothing was "
                          "kept",
                          what, problem));
}

nlohmann::json parse_frame(const std::string& text, const std::string& what) {
  try {
    auto j = nlohmann::json::parse(text);
    if (!j.is_object()) bad_frame(what, "a frame line is not a JSON object");
    return j;
  } catch (const nlohmann::json::exception& e) {
    bad_frame(what, fmt::format("a frame line is not valid JSON ({})", e.what()));
  }
}

// A path a stream may carry: safe (archive_reader's rule), only [A-Za-z0-9._-] in each
// component, never a writer's temporary.
bool is_stream_file_path(const std::string& path) {
  if (!is_safe_relative_path(path) || path.size() > 255) return false;
  for (unsigned char c : path)
    if (!(std::isalnum(c) || c == '.' || c == '_' || c == '-' || c == '/')) return false;
  return path.size() < 8 || path.compare(path.size() - 8, 8, ".partial") != 0;
}

// The files of an archive directory in stream order: data files sorted by path, then the
// manifest, then DONE. Links and special files are refused.
std::vector<std::string> stream_order(Env& env, const std::string& root) {
  std::vector<std::string> files, last;
  std::vector<std::string> dirs{""};
  while (!dirs.empty()) {
    std::string rel = dirs.back();
    dirs.pop_back();
    for (const FileInfo& f : env.list_dir(rel.empty() ? root : root + "/" + rel)) {
      std::string path = rel.empty() ? f.name : rel + "/" + f.name;
      if (f.type == FileInfo::Type::directory) dirs.push_back(path);
      else if (f.type != FileInfo::Type::regular)
        throw Error(Errc::corrupt_archive, path,
                    "is not a regular file or directory; an archive holds only those");
      else if (path == kDoneFile || path == kManifestFile || path == kEncryptedManifestFile)
        last.push_back(path);
      else files.push_back(path);
    }
  }
  std::sort(files.begin(), files.end());
  // "DONE" sorts before "manifest.json": put the marker last, as a dump writes it.
  std::sort(last.begin(), last.end(), [](const std::string& a, const std::string& b) {
    return (a == kDoneFile) < (b == kDoneFile) || ((a == kDoneFile) == (b == kDoneFile) && a < b);
  });
  files.insert(files.end(), last.begin(), last.end());
  return files;
}

}  // namespace

StreamWriter::StreamWriter(WritableFile& out) : out_(out) {
  nlohmann::ordered_json head = {{"format", kStreamFormatName}, {"stream_version", kStreamVersion}};
  emit(head.dump() + "\n");
}

void StreamWriter::emit(std::string_view data) {
  out_.append(data);
  bytes_ += data.size();
}

void StreamWriter::add_file(Env& env, const std::string& root, const std::string& rel_path,
                            const FileEntry* expected) {
  std::lock_guard lock(mu_);
  if (finished_) throw Error(Errc::internal, rel_path, "added to a finished stream");
  auto info = env.stat(root + "/" + rel_path);
  if (!info || info->type != FileInfo::Type::regular)
    throw Error(Errc::io, rel_path, "is not a regular file; cannot put it into the stream");
  nlohmann::ordered_json head = {{"path", rel_path}, {"size", info->size}};
  emit(head.dump() + "\n");
  auto in = env.new_sequential_file(root + "/" + rel_path);
  Sha256 hash;
  std::vector<char> buf(kCopyBuf);
  std::uint64_t copied = 0;
  while (std::size_t n = in->read(buf.data(), buf.size())) {
    // Never more than the frame announced: a file that grows is refused below.
    if (copied + n > info->size) n = static_cast<std::size_t>(info->size - copied);
    if (n == 0) break;
    hash.update(buf.data(), n);
    emit(std::string_view(buf.data(), n));
    copied += n;
  }
  std::string sha = to_hex(hash.finish());
  if (copied != info->size || (expected && (expected->size != copied || expected->sha256 != sha)))
    throw Error(Errc::io, rel_path,
                "changed while it was put into the stream (its size or SHA-256 is not what was "
                "written); the stream is left without its end record, so no reader accepts it");
  emit(nlohmann::ordered_json{{"sha256", sha}}.dump() + "\n");
  ++files_;
}

void StreamWriter::finish() {
  std::lock_guard lock(mu_);
  nlohmann::ordered_json end = {{"end", true}, {"files", files_}};
  emit(end.dump() + "\n");
  finished_ = true;
}

PackResult pack_archive(Env& env, const std::string& dir, WritableFile& out, const SecretKey* key) {
  PackResult result;
  std::map<std::string, FileEntry> listed;
  // Verify what can be verified: a plaintext archive, or an encrypted one with its key. An
  // encrypted archive without its key goes into the stream unverified (its reader needs
  // the key, and verifies everything before using it).
  try {
    OpenedArchive a = open_archive(env, dir, VerifyOptions{false, key});
    for (const auto& f : a.manifest.files) listed[f.path] = f;
    result.verified = true;
  } catch (const Error& e) {
    // Only "encrypted, give the key" lets the pack go on.
    if (key || e.code() != Errc::invalid_argument || !env.stat(dir + "/" + kEncryptedManifestFile) ||
        !env.stat(dir + "/" + kDoneFile))
      throw;
  }
  StreamWriter stream(out);
  for (const std::string& path : stream_order(env, dir)) {
    if (!is_stream_file_path(path))
      throw Error(Errc::corrupt_archive, path, "is not a name an archive file can have");
    auto it = listed.find(path);
    stream.add_file(env, dir, path, it == listed.end() ? nullptr : &it->second);
  }
  stream.finish();
  result.files = stream.files();
  result.bytes = stream.bytes();
  return result;
}

UnpackResult unpack_archive(Env& env, SequentialFile& in, const std::string& dir) {
  if (env.stat(dir))
    throw Error(Errc::invalid_argument, dir,
                "already exists; unpack into a new directory (nothing is ever written over "
                "existing files)");
  env.create_dir(dir, 0700);
  UnpackResult result;
  try {
    StreamInput input(in);
    auto head_line = input.line("the stream header");
    if (!head_line) bad_frame("the stream header", "the stream is empty");
    auto head = parse_frame(*head_line, "the stream header");
    if (head.value("format", "") != kStreamFormatName)
      bad_frame("the stream header", "this is not an omsbackup stream (an archive directory "
                                     "is read by its path, not from a stream)");
    if (!head.contains("stream_version") || !head["stream_version"].is_number_integer() ||
        head["stream_version"].get<int>() != kStreamVersion)
      throw Error(Errc::unsupported, "stream",
                  fmt::format("stream version {} is not supported (this omsbackup reads {}); "
                              "use a newer omsbackup",
                              head.value("stream_version", nlohmann::json()).dump(), kStreamVersion));
    std::set<std::string> seen, made_dirs;
    bool ended = false;
    while (!ended) {
      std::string what = fmt::format("entry {}", result.files + 1);
      auto line = input.line(what);
      if (!line) input.cut(what, "before its end record");
      auto frame = parse_frame(*line, what);
      if (frame.contains("end")) {
        if (frame["end"] != true || !frame.contains("files") || frame["files"] != result.files)
          bad_frame("the end record", fmt::format("it says {} files, the stream held {}",
                                                  frame.value("files", nlohmann::json()).dump(),
                                                  result.files));
        ended = true;
        break;
      }
      if (!frame.contains("path") || !frame["path"].is_string() || !frame.contains("size") ||
          !frame["size"].is_number_unsigned())
        bad_frame(what, "its header has no path or size");
      std::string path = frame["path"].get<std::string>();
      std::uint64_t size = frame["size"].get<std::uint64_t>();
      what = fmt::format("entry {} ({})", result.files + 1, path);
      if (!is_stream_file_path(path))
        bad_frame(what, "its path is not one an archive file can have (unsafe or unknown "
                        "characters)");
      if (!seen.insert(path).second) bad_frame(what, "the path comes twice");
      for (std::size_t pos = path.find('/'); pos != std::string::npos;
           pos = path.find('/', pos + 1)) {
        std::string sub = path.substr(0, pos);
        if (made_dirs.count(sub)) continue;
        env.create_dir(dir + "/" + sub, 0700);
        made_dirs.insert(sub);
      }
      AtomicFileWriter file(env, dir + "/" + path);
      HashingFile hashed(file.sink(), path);
      input.copy(size, hashed, what);
      std::string sha = to_hex(hashed.finish());
      auto trailer_line = input.line(what + " trailer");
      if (!trailer_line) input.cut(what, "before the SHA-256 trailer");
      auto trailer = parse_frame(*trailer_line, what);
      if (!trailer.contains("sha256") || !trailer["sha256"].is_string())
        bad_frame(what, "its trailer has no SHA-256");
      if (trailer["sha256"].get<std::string>() != sha)
        bad_frame(what, "its bytes do not match the SHA-256 the sender computed (altered in "
                        "transit)");
      file.commit();
      ++result.files;
      result.bytes += size;
    }
    if (!input.at_end())
      bad_frame("the end record", fmt::format("bytes follow it (at byte {})", input.offset()));
    if (!seen.count(kDoneFile))
      bad_frame("the stream", "it holds no DONE marker: the archive in it is incomplete");
    for (const auto& d : made_dirs) env.sync_dir(dir + "/" + d);
    env.sync_dir(dir);
  } catch (...) {
    remove_tree(env, dir);
    throw;
  }
  return result;
}

bool is_stream_path(Env& env, const std::string& path) {
  if (path == "-") return true;
  auto info = env.stat(path);
  if (info && info->type == FileInfo::Type::symlink) {
    FileInfo target;
    int err = 0;
    auto f = env.open_named_file(path, target, err);
    return f && target.type == FileInfo::Type::regular;
  }
  return info && info->type == FileInfo::Type::regular;
}

std::unique_ptr<SequentialFile> open_stream(Env& env, const std::string& path) {
  if (path == "-") return env.standard_input();
  FileInfo info;
  int err = 0;
  auto f = env.open_named_file(path, info, err);
  if (!f) throw_io_error(path, "cannot open the stream", err);
  if (info.type != FileInfo::Type::regular)
    throw Error(Errc::invalid_argument, path, "is not a stream file or an archive directory");
  return f;
}

SpoolDir::SpoolDir(Env& env, const std::string& parent, const std::string& prefix) : env_(env) {
  std::string where = parent;
  if (where.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    where = tmp && *tmp ? tmp : "/tmp";
  }
  root_ = env.make_temp_dir(where, prefix);
}

SpoolDir::~SpoolDir() {
  if (!keep_) remove_tree(env_, root_);
}

SpooledArchive::SpooledArchive(Env& env, const std::string& stream, const std::string& spool_parent)
    : spool_(env, spool_parent, "omsbackup-spool."), archive_(spool_.root() + "/archive") {
  auto in = open_stream(env, stream);
  try {
    unpack_archive(env, *in, archive_);
  } catch (const Error& e) {
    throw e.with_note(fmt::format("The server was not contacted; the spool {} was removed", spool_.root()));
  }
}

ArchiveDirectory::ArchiveDirectory(Env& env, const std::string& path,
                                   const std::string& spool_parent)
    : path_(path) {
  if (is_stream_path(env, path)) spooled_.emplace(env, path, spool_parent);
}

}  // namespace omsbackup

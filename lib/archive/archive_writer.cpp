#include "archive/archive_writer.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <algorithm>

#include "omsbackup/error.h"
#include "util/sha256.h"
#include "util/shell_quote.h"

namespace omsbackup {

ChunkWriter::ChunkWriter(ArchiveWriter& archive, std::string rel_path, int level)
    : archive_(archive),
      rel_path_(std::move(rel_path)),
      file_(archive.env_, archive.dir_ + "/" + rel_path_),
      stored_(file_.sink(), rel_path_),
      sealer_(archive.cipher_
                  ? std::make_unique<EncryptingWriter>(stored_, *archive.cipher_, rel_path_)
                  : nullptr),
      zstd_(sealer_ ? static_cast<WritableFile&>(*sealer_) : stored_, level, 0, rel_path_) {}

ChunkRecord ChunkWriter::finish() {
  zstd_.finish();
  if (sealer_) sealer_->finish();
  ChunkRecord record{FileEntry{rel_path_, stored_.bytes(), to_hex(stored_.finish())},
                     zstd_.raw_bytes()};
  file_.commit();
  archive_.add_file(record.file);
  return record;
}

std::string chunk_file_path(std::size_t db_no, std::size_t table_no, std::size_t chunk_no,
                            bool encrypted) {
  if (db_no == 0 || table_no == 0 || chunk_no == 0)
    throw Error(Errc::internal, "archive", "chunk files are numbered from 1");
  return fmt::format("data/{:04}/{:05}-{:06}.tsv.zst{}", db_no, table_no, chunk_no,
                     encrypted ? kEncryptedSuffix : "");
}

ArchiveWriter::ArchiveWriter(Env& env, std::string dir, std::shared_ptr<ArchiveCipher> cipher,
                             StreamWriter* stream)
    : env_(env), dir_(std::move(dir)), cipher_(std::move(cipher)), stream_(stream) {
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
  if (dir_.empty()) throw Error(Errc::invalid_argument, "output", "no archive directory given");
  if (auto existing = env_.stat(dir_)) {
    // A directory without a manifest is what a killed or failed dump leaves behind.
    if (existing->type == FileInfo::Type::directory && !env_.stat(dir_ + "/" + kManifestFile)) {
      throw Error(Errc::invalid_argument, dir_,
                  fmt::format("already exists and is not a finished archive (no {}; an "
                              "interrupted dump leaves such a directory): remove it "
                              "(rm -r {}) or choose a new archive directory",
                              kManifestFile, shell_quote(dir_)));
    }
    throw Error(Errc::invalid_argument, dir_,
                "already exists; choose a new archive directory (an archive is never written "
                "over existing files)");
  }
  env_.create_dir(dir_, 0700);
}

ArchiveWriter::~ArchiveWriter() {
  if (!committed_) abort();
}

std::unique_ptr<ChunkWriter> ArchiveWriter::new_chunk(std::size_t db_no, std::size_t table_no,
                                                      std::size_t chunk_no, int level) {
  std::string rel_path = chunk_file_path(db_no, table_no, chunk_no, cipher_ != nullptr);
  {
    std::lock_guard lock(mu_);
    // Create each missing parent directory below the root.
    for (std::size_t pos = rel_path.find('/'); pos != std::string::npos;
         pos = rel_path.find('/', pos + 1)) {
      std::string sub = rel_path.substr(0, pos);
      // Recorded only once made: after a failed mkdir the next chunk tries it again
      // instead of creating files below a directory that is not there.
      if (made_dirs_.count(sub) != 0) continue;
      env_.create_dir(dir_ + "/" + sub, 0700);
      made_dirs_.insert(sub);
    }
  }
  return std::unique_ptr<ChunkWriter>(new ChunkWriter(*this, std::move(rel_path), level));
}

void ArchiveWriter::add_file(FileEntry entry) {
  if (stream_) {
    // Into the stream (one file at a time; the stream's own lock), then off the spool.
    stream_->add_file(env_, dir_, entry.path, &entry);
    env_.remove_file(dir_ + "/" + entry.path);
  }
  std::lock_guard lock(mu_);
  files_.push_back(std::move(entry));
}

void ArchiveWriter::commit(Manifest& manifest) {
  std::vector<FileEntry> files;
  {
    std::lock_guard lock(mu_);
    files = files_;
  }
  std::sort(files.begin(), files.end(),
            [](const FileEntry& a, const FileEntry& b) { return a.path < b.path; });
  manifest.files = files;
  // Directories of chunk files hold renamed entries: make them durable first.
  for (const auto& d : made_dirs_) env_.sync_dir(dir_ + "/" + d);
  // An encrypted archive's manifest is sealed like its chunks; its DONE marker stays plain
  // and says how (with the key's id, so that a wrong key is named before anything is read).
  manifest.format_version = kFormatVersion;
  const std::string name = cipher_ ? kEncryptedManifestFile : kManifestFile;
  std::string text = manifest.to_json();
  if (cipher_) text = encrypt_to_string(*cipher_, name, text);
  write_file_atomically(env_, dir_ + "/" + name, text);
  nlohmann::ordered_json done = {{"format", kFormatName},
                                 {"format_version", manifest.format_version},
                                 {"manifest", name},
                                 {"manifest_size", text.size()},
                                 {"manifest_sha256", to_hex(Sha256::of(text))}};
  if (cipher_) done["encryption"] = cipher_->describe();
  write_file_atomically(env_, dir_ + "/" + kDoneFile, done.dump() + "\n");
  if (stream_) {
    stream_->add_file(env_, dir_, name);
    stream_->add_file(env_, dir_, kDoneFile);
    stream_->finish();
    abort();  // the spool has done its work
    return;
  }
  committed_ = true;
}

void ArchiveWriter::abort() noexcept {
  if (aborted_ || committed_) return;
  aborted_ = true;
  remove_tree(env_, dir_);
}

void remove_tree(Env& env, const std::string& path) noexcept {
  try {
    for (const FileInfo& f : env.list_dir(path)) {
      std::string child = path + "/" + f.name;
      if (f.type == FileInfo::Type::directory) remove_tree(env, child);
      else env.remove_file(child);
    }
    env.remove_dir(path);
  } catch (...) {
    // Best effort: a failure to clean up must not hide the error that caused it.
  }
}

}  // namespace omsbackup

#include "archive/archive_reader.h"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "codec/content_digest.h"
#include "codec/row_decoder.h"
#include "omsbackup/error.h"
#include "util/sha256.h"

namespace omsbackup {

namespace {

constexpr std::size_t kReadBuf = 1 << 16;
constexpr std::uint64_t kMaxManifest = 256ull << 20;

[[noreturn]] void corrupt(const std::string& file, const std::string& problem) {
  throw Error(Errc::corrupt_archive, file, problem);
}

std::string read_small_file(Env& env, const std::string& path, const std::string& name,
                            std::uint64_t limit) {
  auto f = env.new_sequential_file(path);
  std::string out;
  char buf[kReadBuf];
  while (std::size_t n = f->read(buf, sizeof buf)) {
    out.append(buf, n);
    if (out.size() > limit) corrupt(name, "is larger than any valid one");
  }
  return out;
}

struct Hashed {
  std::uint64_t size = 0;
  std::string sha256;
};

Hashed hash_file(Env& env, const std::string& path) {
  auto f = env.new_sequential_file(path);
  Sha256 h;
  Hashed out;
  std::vector<char> buf(kReadBuf);
  while (std::size_t n = f->read(buf.data(), buf.size())) {
    h.update(buf.data(), n);
    out.size += n;
  }
  out.sha256 = to_hex(h.finish());
  return out;
}

// Every entry under dir, as relative paths; symlinks and special files are refused.
void walk(Env& env, const std::string& root, const std::string& rel,
          std::map<std::string, std::uint64_t>& files) {
  std::string dir = rel.empty() ? root : root + "/" + rel;
  for (const FileInfo& f : env.list_dir(dir)) {
    std::string path = rel.empty() ? f.name : rel + "/" + f.name;
    switch (f.type) {
      case FileInfo::Type::directory: walk(env, root, path, files); break;
      case FileInfo::Type::regular: files[path] = f.size; break;
      case FileInfo::Type::symlink:
        corrupt(path, "is a symbolic link; an archive holds only regular files and directories");
      case FileInfo::Type::other:
        corrupt(path, "is not a regular file or directory");
    }
  }
}

void deep_check(Env& env, const std::string& dir, const Manifest& m, const ArchiveCipher* cipher) {
  std::vector<char> buf(kReadBuf);
  for (const auto& d : m.databases) {
    for (const auto& t : d.tables) {
      for (const auto& c : t.chunks) {
        ChunkReader reader(env, dir, c.file, cipher);
        RowDecoder dec;
        Row row;
        ContentDigest digest(digest_kind_of(m.format_version));
        std::uint64_t raw = 0;
        auto drain = [&] {
          while (dec.next_row(row)) digest.add_row(dec.encoded_row());
        };
        while (std::size_t n = reader.read(buf.data(), buf.size())) {
          raw += n;
          dec.feed(std::string_view(buf.data(), n));
          drain();
        }
        dec.finish();
        drain();
        if (raw != c.raw_bytes)
          corrupt(c.file, fmt::format("decompresses to {} bytes, the manifest says {}", raw,
                                      c.raw_bytes));
        if (digest.rows() != c.rows)
          corrupt(c.file, fmt::format("holds {} rows, the manifest says {}", digest.rows(), c.rows));
        if (digest.sum_hex() != c.digest)
          corrupt(c.file, "its rows do not match the content digest in the manifest");
      }
    }
  }
}

}  // namespace

bool is_safe_relative_path(const std::string& path) {
  if (path.empty() || path.front() == '/' || path.back() == '/') return false;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string_view part(path.data() + start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  for (unsigned char c : path)
    if (c < 0x20 || c == 0x7f || c == '\\') return false;
  return true;
}

OpenedArchive open_archive(Env& env, const std::string& dir, const VerifyOptions& options) {
  auto root = env.stat(dir);
  if (!root) throw Error(Errc::invalid_argument, dir, "no such archive directory");
  if (root->type != FileInfo::Type::directory)
    corrupt(dir, "is not a directory (an archive is a directory; symbolic links are refused)");

  // 1. The completion marker, written last; for an encrypted archive it names the cipher
  // and the key's id, so that a missing or wrong key is refused before anything is read.
  auto done_info = env.stat(dir + "/" + kDoneFile);
  if (!done_info)
    corrupt(kDoneFile, "is missing: the archive is incomplete (the dump did not finish) or "
                       "was damaged; do not restore from it");
  if (done_info->type != FileInfo::Type::regular) corrupt(kDoneFile, "is not a regular file");
  std::string done_text = read_small_file(env, dir + "/" + kDoneFile, kDoneFile, 4096);
  OpenedArchive out;
  std::uint64_t manifest_size = 0;
  std::string manifest_sha;
  int version = 0;
  nlohmann::json encryption;
  try {
    auto done = nlohmann::json::parse(done_text);
    if (done.at("format").get<std::string>() != kFormatName) corrupt(kDoneFile, "is not an omsbackup marker");
    version = done.at("format_version").get<int>();
    out.manifest_file = done.at("manifest").get<std::string>();
    manifest_size = done.at("manifest_size").get<std::uint64_t>();
    manifest_sha = done.at("manifest_sha256").get<std::string>();
    if (done.contains("encryption")) encryption = done["encryption"];
  } catch (const nlohmann::json::exception& e) {
    corrupt(kDoneFile, fmt::format("is not a valid completion marker ({})", e.what()));
  }
  if (!is_readable_format_version(version))
    throw Error(Errc::unsupported, kDoneFile,
                fmt::format("archive format version {} is not supported (this omsbackup reads "
                            "versions 1 to {}); use a newer omsbackup",
                            version, kFormatVersion));
  // Version 1 is plaintext and 2 encrypted; from version 3 the "encryption" entry says.
  const bool encrypted = version == kPlainFormatVersion1 ? false
                         : version == kEncryptedFormatVersion2 ? true
                                                               : !encryption.is_null();
  if (encrypted != !encryption.is_null())
    corrupt(kDoneFile, encrypted ? "is a version-2 (encrypted) marker without an \"encryption\" entry"
                                 : "is a version-1 (plaintext) marker with an \"encryption\" entry");
  if (out.manifest_file != (encrypted ? kEncryptedManifestFile : kManifestFile))
    corrupt(kDoneFile, fmt::format("names the manifest '{}', but its \"encryption\" entry {} (expected '{}')",
                                   out.manifest_file, encrypted ? "is present" : "is missing",
                                   encrypted ? kEncryptedManifestFile : kManifestFile));
  if (encrypted && !encryption.is_object())
    corrupt(kDoneFile, "has an \"encryption\" entry that is not an object");
  auto said = [&](const char* key) {
    return encryption.contains(key) && encryption[key].is_string() ? encryption[key].get<std::string>()
                                                                   : std::string("?");
  };
  if (encrypted && options.key == nullptr)
    throw Error(Errc::invalid_argument, dir,
                fmt::format("the archive is encrypted ({}, key id {}); give its key with "
                            "--encrypt-key-file",
                            said("cipher"), said("key_id")));
  if (!encrypted && options.key != nullptr)
    throw Error(Errc::invalid_argument, dir,
                "the archive is not encrypted, but a key was given; an encrypted archive was "
                "expected (if this plaintext archive is really the one, read it without the key)");
  if (encrypted) out.cipher = ArchiveCipher::open(*options.key, encryption, dir);

  // 2. The manifest, proven by the marker (and, encrypted, by its own authentication).
  const std::string& mname = out.manifest_file;
  auto man_info = env.stat(dir + "/" + mname);
  if (!man_info) corrupt(mname, "is missing");
  if (man_info->type != FileInfo::Type::regular) corrupt(mname, "is not a regular file");
  std::string text = read_small_file(env, dir + "/" + mname, mname, kMaxManifest);
  if (text.size() != manifest_size)
    corrupt(mname, fmt::format("is {} bytes, the DONE marker says {}", text.size(), manifest_size));
  out.manifest_sha256 = to_hex(Sha256::of(text));
  if (out.manifest_sha256 != manifest_sha)
    corrupt(mname, "does not match the SHA-256 recorded in the DONE marker (edited or damaged)");
  if (out.cipher) text = decrypt_string(*out.cipher, mname, text);
  out.manifest = Manifest::from_json(text);
  Manifest& m = out.manifest;
  if (m.format_version != version)
    corrupt(mname, fmt::format("has format version {}, the DONE marker {}", m.format_version, version));

  // 3. The file list: safe paths, no duplicates, consistent with the chunks.
  std::map<std::string, const FileEntry*> listed;
  for (const auto& f : m.files) {
    if (!is_safe_relative_path(f.path))
      corrupt(f.path, "is listed in the manifest with an unsafe path (absolute, '..' or empty "
                      "component); refusing the archive");
    if (f.path == kManifestFile || f.path == kEncryptedManifestFile || f.path == kDoneFile)
      corrupt(f.path, "must not be listed as a data file");
    if (!listed.emplace(f.path, &f).second) corrupt(f.path, "is listed twice in the manifest");
  }
  for (const auto& d : m.databases) {
    for (const auto& t : d.tables) {
      for (const auto& c : t.chunks) {
        auto it = listed.find(c.file);
        if (it == listed.end())
          corrupt(c.file, fmt::format("is a chunk of {}.{} but is not in the manifest's file list",
                                      d.name, t.def.name));
        if (it->second->sha256 != c.sha256 || it->second->size != c.stored_bytes)
          corrupt(c.file, "has a chunk entry that disagrees with its file entry");
      }
    }
  }

  // 4. What is on disk: exactly the listed files, nothing else, no links.
  std::map<std::string, std::uint64_t> present;
  walk(env, dir, "", present);
  present.erase(mname);
  present.erase(kDoneFile);
  for (const auto& [path, size] : present) {
    if (!listed.count(path))
      corrupt(path, "is in the archive directory but not listed in the manifest");
  }
  for (const auto& [path, entry] : listed) {
    auto it = present.find(path);
    if (it == present.end()) corrupt(path, "is listed in the manifest but missing");
    if (it->second != entry->size)
      corrupt(path, fmt::format("is {} bytes, the manifest says {} (truncated or damaged)",
                                it->second, entry->size));
  }
  for (const auto& [path, entry] : listed) {
    Hashed h = hash_file(env, dir + "/" + path);
    if (h.size != entry->size || h.sha256 != entry->sha256)
      corrupt(path, "does not match its SHA-256 in the manifest (damaged or replaced)");
  }
  if (options.deep) deep_check(env, dir, m, out.cipher.get());
  return out;
}

Manifest verify_archive(Env& env, const std::string& dir, const VerifyOptions& options) {
  return open_archive(env, dir, options).manifest;
}

ChunkReader::ChunkReader(Env& env, const std::string& root, const std::string& rel_path,
                         const ArchiveCipher* cipher)
    : file_(env.new_sequential_file(root + "/" + rel_path)),
      opener_(cipher ? std::make_unique<DecryptingReader>(*file_, *cipher, rel_path) : nullptr),
      // The file as stored is hashed by the verifier (open_archive, before any chunk is
      // read): hashing it again here would only cost CPU, since nothing would read it.
      zstd_(opener_ ? static_cast<SequentialFile&>(*opener_) : *file_, rel_path, /*hash=*/false) {}

}  // namespace omsbackup

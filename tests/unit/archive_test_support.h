// Helpers shared by the archive room's unit tests.
#pragma once

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <system_error>

#include <fmt/format.h>

#include "archive/archive_writer.h"
#include "codec/content_digest.h"
#include "codec/row_encoder.h"

namespace omsbackup::test {

// A fresh directory under /tmp, removed with its contents at scope exit.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/omsbackup-archive-test-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Sets the process umask for the scope.
class UmaskScope {
 public:
  explicit UmaskScope(mode_t mask) : old_(::umask(mask)) {}
  ~UmaskScope() { ::umask(old_); }
  UmaskScope(const UmaskScope&) = delete;
  UmaskScope& operator=(const UmaskScope&) = delete;

 private:
  mode_t old_;
};

inline std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_whole_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

inline unsigned mode_of(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) throw std::runtime_error("cannot lstat " + path);
  return static_cast<unsigned>(st.st_mode) & 07777u;
}

inline bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// Writes chunk file `n` of table `table` of database `db` (1-based) with rows `first` ..
// `first + count - 1` (an id and a value with every byte the row dialect escapes) and
// returns its manifest entry.
inline ChunkInfo write_chunk(ArchiveWriter& w, std::size_t db, std::size_t table, std::size_t n,
                             int first, int count) {
  auto chunk = w.new_chunk(db, table, n, 3);
  RowEncoder enc;
  ContentDigest digest(DigestKind::xxh3_128_sum);
  for (int i = first; i < first + count; ++i) {
    enc.field(std::to_string(i));
    if (i % 3 == 0) enc.null_field();
    else enc.field(std::string("v\t\n\\\0", 5) + std::to_string(i));
    enc.end_row();
    digest.add_row(enc.last_row());
  }
  chunk->write(enc.buffer());
  ChunkRecord done = chunk->finish();
  return ChunkInfo{done.file.path, std::to_string(first), std::to_string(first + count),
                   fmt::format("id >= {} AND id < {}", first, first + count), digest.rows(),
                   done.raw_bytes, done.file.size, done.file.sha256, digest.sum_hex()};
}

// A manifest with the fixed header fields the unit tests use, and no databases.
inline Manifest test_manifest() {
  Manifest m;
  m.tool_version = "test";
  m.server_flavor = "MariaDB";
  m.server_version = "10.11";
  m.started_at = m.finished_at = "2026-11-25T00:00:00Z";
  m.consistency = "snapshot";
  return m;
}

// An archive with two databases: db1.t1 in two chunks, db2.t1 in one; encrypted with
// `cipher` when given.
inline void make_archive(Env& env, const std::string& dir,
                         std::shared_ptr<ArchiveCipher> cipher = nullptr) {
  ArchiveWriter w(env, dir, std::move(cipher));
  Manifest m = test_manifest();
  for (int d = 1; d <= 2; ++d) {
    DatabaseEntry db{"db" + std::to_string(d), "utf8mb4", "utf8mb4_general_ci",
                     "CREATE DATABASE x", {}};
    TableEntry t;
    t.def.name = "t1";
    t.def.create_sql = "CREATE TABLE t1 (id INT, v BLOB)";
    t.def.columns = {{"id", "int", "int(11)", false, false}, {"v", "blob", "blob", false, false}};
    t.chunk_key = {"id"};
    int chunks = d == 1 ? 2 : 1;
    for (int c = 0; c < chunks; ++c) {
      t.chunks.push_back(write_chunk(w, d, 1, c + 1, c * 100, 50 + c));
      t.rows += t.chunks.back().rows;
    }
    db.tables.push_back(t);
    m.databases.push_back(db);
  }
  w.commit(m);
}

}  // namespace omsbackup::test

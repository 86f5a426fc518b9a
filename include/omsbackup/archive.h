// omsbackup — inspect and verify an archive without a server.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace omsbackup {

struct ArchiveTableInfo {
  std::string database, table;
  std::uint64_t rows = 0, chunks = 0, raw_bytes = 0, stored_bytes = 0;
};

struct ArchiveDatabaseInfo {
  std::string name, charset, collation;
};

struct ArchiveInfo {
  int format_version = 0;
  std::string tool_version;
  std::string server_flavor, server_version;
  std::string started_at, finished_at;
  std::string consistency;
  std::vector<ArchiveDatabaseInfo> databases;
  std::vector<ArchiveTableInfo> tables;
  std::uint64_t files = 0;
};

// Verifies the archive (completion marker, manifest checksum, every file's size and
// SHA-256, no missing, unlisted or unsafe entries; with `deep`, also every chunk's
// rows against its content digest) and describes what it holds. Throws
// omsbackup::Error naming the file and the problem.
ArchiveInfo verify(const std::string& archive_dir, bool deep = true);

}  // namespace omsbackup

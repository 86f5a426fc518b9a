// omsbackup — inspect and verify an archive without a server.
#pragma once

#include "omsbackup/export.h"

#include <cstdint>
#include <string>
#include <vector>

#include "omsbackup/encryption.h"

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
  bool encrypted = false;
  std::string cipher, key_id;  // for an encrypted archive: "AES-256-GCM" and the key's id
};

// Verifies the archive (completion marker, manifest checksum, every file's size and
// SHA-256, no missing, unlisted or unsafe entries; with `deep`, also every chunk's
// rows against its content digest, and for an encrypted archive every segment's
// authentication) and describes what it holds. An encrypted archive needs its key in
// `encryption`, and a key is refused with a plaintext archive. Throws omsbackup::Error
// naming the file and the problem (Errc::invalid_argument for a missing or wrong key).
OMSBACKUP_API ArchiveInfo verify(const std::string& archive_dir, bool deep = true,
                   const EncryptionOptions& encryption = {});

}  // namespace omsbackup

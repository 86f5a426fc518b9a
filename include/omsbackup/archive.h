// omsbackup — inspect and verify an archive without a server.
#pragma once

#include "omsbackup/export.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "omsbackup/encryption.h"

namespace omsbackup {

struct ArchiveTableInfo {
  std::string database, table;
  std::uint64_t rows = 0, chunks = 0, raw_bytes = 0, stored_bytes = 0;
  std::string ddl_only;  // not empty: only the DDL was archived, and why (merge, remote, ...)
};

struct ArchiveDatabaseInfo {
  std::string name, charset, collation;
  std::uint64_t views = 0, routines = 0, triggers = 0, events = 0;
};

struct ArchiveInfo {
  int format_version = 0;
  std::string tool_version;
  std::string server_flavor, server_version;
  std::string started_at, finished_at;
  std::string consistency;
  std::vector<ArchiveDatabaseInfo> databases;
  std::vector<ArchiveTableInfo> tables;
  std::map<std::string, std::string> options;  // the options the dump ran with (no secrets)
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
// `archive_dir` may also be a stream ("-" for standard input, or a stream file): it is
// spooled into a private directory under $TMPDIR (else /tmp), verified there and removed.
OMSBACKUP_API ArchiveInfo verify(const std::string& archive_dir, bool deep = true,
                   const EncryptionOptions& encryption = {});

// The stream form of an archive (docs/archive-format.md section 10): every file of the
// directory, byte for byte, framed with its size and SHA-256, so that any pipe or object
// store client can carry it (`omsdump -o -`, `omsrestore -`).
struct StreamReport {
  std::uint64_t files = 0, bytes = 0;  // files carried; bytes of the stream (pack) or files (unpack)
  bool verified = false;  // pack: the archive was verified first (false only for an
                          // encrypted archive packed without its key)
};

// Writes the archive directory `archive_dir` as a stream to `stream`: "-" for standard
// output, else a new file (mode 0600, written atomically; it must not exist). A plaintext
// archive, or an encrypted one with its key, is verified first (every file's size and
// SHA-256). Throws omsbackup::Error.
OMSBACKUP_API StreamReport pack(const std::string& archive_dir, const std::string& stream,
                                const EncryptionOptions& encryption = {});
// Reads the stream `stream` ("-" for standard input, or a file) into the new directory
// `archive_dir` (mode 0700, files 0600), byte for byte as it was packed. A stream that is
// cut short or altered is refused, naming the entry, and nothing is left behind. The
// archive inside is not verified: verify() it, or restore() it (which verifies first).
OMSBACKUP_API StreamReport unpack(const std::string& stream, const std::string& archive_dir);

}  // namespace omsbackup

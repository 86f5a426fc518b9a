// omsbackup — the key of an encrypted archive (AES-256-GCM; docs/archive-format.md section 9).
#pragma once

#include <string>

namespace omsbackup {

// Give at most one of key_file and key. With neither, a dump writes a plaintext archive and
// a restore or verify accepts only a plaintext one; with a key, a dump encrypts and a restore
// or verify accepts only an archive encrypted with that key (a plaintext archive is refused,
// so that nobody can substitute one).
struct EncryptionOptions {
  // A file holding the 256-bit key: 64 hex digits (one trailing newline allowed) or exactly
  // 32 raw bytes, e.g. made with `(umask 077; openssl rand -hex 32 > oms-backup.key)`. It
  // must be a regular file (a symbolic link to one is followed) that group and others have
  // no access to (mode 0600 or 0400).
  std::string key_file;
  // Or the key itself, in either of those two forms (for callers that keep keys elsewhere).
  std::string key;

  bool enabled() const { return !key_file.empty() || !key.empty(); }
};

}  // namespace omsbackup

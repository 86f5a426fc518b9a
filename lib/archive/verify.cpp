// The public verify(): the archive verifier plus a description of what it holds.
#include "archive/verify.h"

#include "archive/archive_reader.h"

namespace omsbackup {

ArchiveInfo verify_archive(Env& env, const std::string& archive_dir, bool deep,
                           const EncryptionOptions& encryption) {
  std::optional<SecretKey> key = load_key(env, encryption);
  OpenedArchive a = open_archive(env, archive_dir, VerifyOptions{deep, key ? &*key : nullptr});
  const Manifest& m = a.manifest;
  ArchiveInfo info;
  if (a.cipher) {
    info.encrypted = true;
    info.cipher = kCipherName;
    info.key_id = a.cipher->key_id();
  }
  info.format_version = m.format_version;
  info.tool_version = m.tool_version;
  info.server_flavor = m.server_flavor;
  info.server_version = m.server_version;
  info.started_at = m.started_at;
  info.finished_at = m.finished_at;
  info.consistency = m.consistency;
  info.options = m.options;
  info.files = m.files.size();
  for (const auto& d : m.databases) {
    info.databases.push_back({d.name, d.charset, d.collation, d.objects.views.size(),
                              d.objects.routines.size(), d.objects.triggers.size(),
                              d.objects.events.size()});
    for (const auto& t : d.tables) {
      ArchiveTableInfo ti{d.name, t.def.name, t.rows, t.chunks.size(), 0, 0, t.def.ddl_only};
      for (const auto& c : t.chunks) {
        ti.raw_bytes += c.raw_bytes;
        ti.stored_bytes += c.stored_bytes;
      }
      info.tables.push_back(ti);
    }
  }
  return info;
}

}  // namespace omsbackup

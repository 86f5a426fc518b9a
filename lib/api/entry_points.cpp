// The public entry points that touch files: each hands its pipeline the real file system
// (Env::posix(); tests pass a FaultEnv to the pipelines themselves) and, for the dump, the
// pruning that lib/oms plans from the options. The only code that wires rooms together.
#include "archive/archive_stream.h"
#include "archive/atomic_file.h"
#include "archive/encryption.h"
#include "archive/verify.h"
#include "dump/dump_pipeline.h"
#include "import/import_pipeline.h"
#include "oms/config.h"
#include "oms/prune.h"
#include "omsbackup/archive.h"
#include "omsbackup/diff.h"
#include "omsbackup/dump.h"
#include "omsbackup/import_sql.h"
#include "omsbackup/oms.h"
#include "omsbackup/restore.h"
#include "restore/diff.h"
#include "restore/restore_pipeline.h"
#include "omsbackup/error.h"
#include "restore/sql_export.h"
#include "util/env.h"

namespace omsbackup {

DumpReport dump(const DumpOptions& options) {
  return run_dump(Env::posix(), options,
                  prune_input(options.connection, options.databases, options.prune));
}

RestoreReport restore(const RestoreOptions& options) {
  Env& env = Env::posix();
  if (is_stream_path(env, options.archive)) return run_restore_from_stream(env, options);
  return run_restore(env, options);
}

ExportSqlReport export_sql(const ExportSqlOptions& options) {
  return run_sql_export(Env::posix(), options);
}

DiffReport diff(const DiffOptions& options) { return run_diff(Env::posix(), options); }

DumpReport import_sql(const ImportSqlOptions& options) {
  Env& env = Env::posix();
  // The key first: a bad key file is refused before the file is loaded.
  load_key(env, options.dump.encryption);
  return run_import(env, options, [&](const DumpOptions& d, const ImportedDatabases& imported) {
    ArchiveAs as{imported.names, imported.options, "from-sql"};
    return run_dump(env, d, PruneInput{}, &as);
  });
}

ArchiveInfo verify(const std::string& archive_dir, bool deep, const EncryptionOptions& encryption) {
  Env& env = Env::posix();
  ArchiveDirectory dir(env, archive_dir, "");
  return verify_archive(env, dir.dir(), deep, encryption);
}

StreamReport pack(const std::string& archive_dir, const std::string& stream,
                  const EncryptionOptions& encryption) {
  Env& env = Env::posix();
  std::optional<SecretKey> key = load_key(env, encryption);
  PackResult r;
  if (stream == "-") {
    auto out = env.standard_output();
    r = pack_archive(env, archive_dir, *out, key ? &*key : nullptr);
  } else {
    if (env.stat(stream))
      throw Error(Errc::invalid_argument, stream,
                  "already exists; choose a new stream file (nothing is written over files)");
    AtomicFileWriter out(env, stream);
    r = pack_archive(env, archive_dir, out.sink(), key ? &*key : nullptr);
    out.commit();
  }
  return StreamReport{r.files, r.bytes, r.verified};
}

StreamReport unpack(const std::string& stream, const std::string& archive_dir) {
  Env& env = Env::posix();
  auto in = open_stream(env, stream);
  UnpackResult r = unpack_archive(env, *in, archive_dir);
  return StreamReport{r.files, r.bytes, true};
}

OmsConfig read_oms_config(const std::vector<std::string>& files) {
  return read_oms_config(Env::posix(), files);
}

}  // namespace omsbackup

// The public entry points that touch files: each hands its pipeline the real file system
// (Env::posix(); tests pass a FaultEnv to the pipelines themselves) and, for the dump, the
// pruning that lib/oms plans from the options. The only code that wires rooms together.
#include "archive/encryption.h"
#include "archive/verify.h"
#include "dump/dump_pipeline.h"
#include "import/import_pipeline.h"
#include "oms/config.h"
#include "oms/prune.h"
#include "omsbackup/archive.h"
#include "omsbackup/dump.h"
#include "omsbackup/import_sql.h"
#include "omsbackup/oms.h"
#include "omsbackup/restore.h"
#include "restore/restore_pipeline.h"
#include "util/env.h"

namespace omsbackup {

DumpReport dump(const DumpOptions& options) {
  return run_dump(Env::posix(), options,
                  prune_input(options.connection, options.databases, options.prune));
}

DumpReport import_sql(const ImportSqlOptions& options) {
  Env& env = Env::posix();
  // The key first: a bad key file is refused before the file is loaded.
  load_key(env, options.dump.encryption);
  return run_import(env, options, [&](const DumpOptions& d, const ImportedDatabases& imported) {
    ArchiveAs as{imported.names, imported.options, "from-sql"};
    return run_dump(env, d, PruneInput{}, &as);
  });
}

RestoreReport restore(const RestoreOptions& options) { return run_restore(Env::posix(), options); }

ArchiveInfo verify(const std::string& archive_dir, bool deep, const EncryptionOptions& encryption) {
  return verify_archive(Env::posix(), archive_dir, deep, encryption);
}

OmsConfig read_oms_config(const std::vector<std::string>& files) {
  return read_oms_config(Env::posix(), files);
}

}  // namespace omsbackup

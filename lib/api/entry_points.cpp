// The public entry points that touch files: each hands its pipeline the real file system
// (Env::posix(); tests pass a FaultEnv to the pipelines themselves) and, for the dump, the
// pruning that lib/oms plans from the options. The only code that wires rooms together.
#include "archive/verify.h"
#include "dump/dump_pipeline.h"
#include "oms/config.h"
#include "oms/prune.h"
#include "omsbackup/archive.h"
#include "omsbackup/diff.h"
#include "omsbackup/dump.h"
#include "omsbackup/oms.h"
#include "omsbackup/restore.h"
#include "restore/diff.h"
#include "restore/restore_pipeline.h"
#include "util/env.h"

namespace omsbackup {

DumpReport dump(const DumpOptions& options) {
  return run_dump(Env::posix(), options,
                  prune_input(options.connection, options.databases, options.prune));
}

RestoreReport restore(const RestoreOptions& options) { return run_restore(Env::posix(), options); }

DiffReport diff(const DiffOptions& options) { return run_diff(Env::posix(), options); }

ArchiveInfo verify(const std::string& archive_dir, bool deep, const EncryptionOptions& encryption) {
  return verify_archive(Env::posix(), archive_dir, deep, encryption);
}

OmsConfig read_oms_config(const std::vector<std::string>& files) {
  return read_oms_config(Env::posix(), files);
}

}  // namespace omsbackup

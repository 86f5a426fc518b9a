// The restore pipeline behind the public omsbackup::restore() (lib/api/entry_points.cpp),
// with its file seam passed in (`env`: FaultEnv in tests).
#pragma once

#include "omsbackup/restore.h"
#include "util/env.h"

namespace omsbackup {

// omsbackup::restore() with the archive read, and the journal and its lock file written,
// through `env`.
RestoreReport run_restore(Env& env, const RestoreOptions& options);

// run_restore() of the archive in the stream options.archive ("-": standard input, or a
// stream file), spooled under options.spool_dir first. The spool is removed afterwards,
// unless the restore failed after it began (its journal exists): then it is kept, and the
// error says where, for --resume.
RestoreReport run_restore_from_stream(Env& env, const RestoreOptions& options);

}  // namespace omsbackup

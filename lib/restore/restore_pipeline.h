// The restore pipeline behind the public omsbackup::restore() (lib/api/entry_points.cpp),
// with its file seam passed in (`env`: FaultEnv in tests).
#pragma once

#include "omsbackup/restore.h"
#include "util/env.h"

namespace omsbackup {

// omsbackup::restore() with the archive read, and the journal and its lock file written,
// through `env`.
RestoreReport run_restore(Env& env, const RestoreOptions& options);

}  // namespace omsbackup

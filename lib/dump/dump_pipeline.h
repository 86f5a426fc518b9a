// The dump pipeline behind the public omsbackup::dump() (lib/api/entry_points.cpp), with
// its seams passed in: the file system (`env`: FaultEnv in tests) and pruning (lib/oms).
#pragma once

#include "omsbackup/dump.h"
#include "plan/prune_input.h"
#include "util/env.h"

namespace omsbackup {

// omsbackup::dump() with every file of the archive written through `env`.
DumpReport run_dump(Env& env, const DumpOptions& options, const PruneInput& pruning);

}  // namespace omsbackup

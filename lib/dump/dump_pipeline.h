// The dump pipeline behind the public omsbackup::dump() (lib/api/entry_points.cpp), with
// its seams passed in: the file system (`env`: FaultEnv in tests) and pruning (lib/oms).
#pragma once

#include "dump/archive_as.h"
#include "omsbackup/dump.h"
#include "plan/prune_input.h"
#include "util/env.h"

namespace omsbackup {

// omsbackup::dump() with every file of the archive written through `env`; with `as`, the
// databases read are archived (and reported) under other names (omsdump --from-sql).
DumpReport run_dump(Env& env, const DumpOptions& options, const PruneInput& pruning,
                    const ArchiveAs* as = nullptr);

}  // namespace omsbackup

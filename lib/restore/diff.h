// The diff behind the public omsbackup::diff() (lib/api/entry_points.cpp): an archive
// against the live databases a restore of it would replace, read-only. docs/diff.md.
#pragma once

#include <string>

#include "omsbackup/diff.h"
#include "util/env.h"

namespace omsbackup {

// omsbackup::diff() with the archive (and the key file) read through `env`.
DiffReport run_diff(Env& env, const DiffOptions& options);

// `create_sql` (SHOW CREATE TABLE) without its AUTO_INCREMENT=N table option: the
// definition a diff compares, the counter being compared on its own.
std::string without_auto_increment(const std::string& create_sql);

}  // namespace omsbackup

// The verifier behind the public omsbackup::verify() (lib/api/entry_points.cpp).
#pragma once

#include <string>

#include "omsbackup/archive.h"
#include "util/env.h"

namespace omsbackup {

// omsbackup::verify() with every file read through `env`.
ArchiveInfo verify_archive(Env& env, const std::string& archive_dir, bool deep,
                           const EncryptionOptions& encryption);

}  // namespace omsbackup

// omsbackup — backup and restore of OceanBase Migration Service metadata databases.
// The whole public API: include this header and link with `pkg-config omsbackup`.
#pragma once

#include "omsbackup/export.h"

#include "omsbackup/archive.h"
#include "omsbackup/connection.h"
#include "omsbackup/diff.h"
#include "omsbackup/dump.h"
#include "omsbackup/encryption.h"
#include "omsbackup/error.h"
#include "omsbackup/import_sql.h"
#include "omsbackup/lock_wait.h"
#include "omsbackup/oms.h"
#include "omsbackup/restore.h"

namespace omsbackup {

// The library's version, e.g. "0.1.0".
OMSBACKUP_API const char* version() noexcept;

}  // namespace omsbackup

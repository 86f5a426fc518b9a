// Opens the reader sessions of a dump so that they all see one snapshot, with the
// strongest method the server allows.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "omsbackup/connection.h"
#include "omsbackup/dump.h"

namespace omsbackup {

class Session;

struct ReaderSet {
  std::vector<std::unique_ptr<Session>> readers;  // each inside its open snapshot
  std::string achieved;  // "lock", "snapshot", "snapshot-unverified" or "none"
  std::string detail;    // how: positions compared, why a method was not used
};

// `coordinator` is used for the global lock and the position checks; the readers
// are new connections with `options`. Throws Error when the requested consistency
// cannot be had.
ReaderSet open_readers(Session& coordinator, const ConnectionOptions& options, unsigned count,
                       Consistency mode);

// Ends the readers' snapshots (COMMIT). Never throws.
void close_readers(ReaderSet& set) noexcept;

}  // namespace omsbackup

// omsbackup — restore databases from an archive.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "omsbackup/connection.h"

namespace omsbackup {

struct RestoreOptions {
  ConnectionOptions connection;
  std::string archive;  // the archive directory
};

struct RestoreReport {
  std::vector<std::string> databases;
  std::uint64_t tables = 0, rows = 0;
  double seconds = 0;
};

// Verifies the whole archive, then drops and recreates each of its databases and
// loads them, then proves every table's row count and content digest against the
// archive. Throws omsbackup::Error on failure; a bad archive fails before the
// server is touched.
RestoreReport restore(const RestoreOptions& options);

}  // namespace omsbackup

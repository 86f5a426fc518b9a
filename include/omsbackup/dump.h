// omsbackup — dump databases into a verified archive.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "omsbackup/connection.h"

namespace omsbackup {

struct DumpOptions {
  ConnectionOptions connection;
  std::vector<std::string> databases;  // at least one
  std::string output;                  // the archive directory to create; must not exist
  int compress_level = 3;              // zstd level, 1..19
};

struct TableReport {
  std::string database, table;
  std::uint64_t rows = 0, chunks = 0, raw_bytes = 0, stored_bytes = 0;
};

struct DumpReport {
  std::string archive;
  std::string consistency;
  std::vector<TableReport> tables;
  double seconds = 0;
  std::uint64_t total_rows() const;
  std::uint64_t total_stored_bytes() const;
};

// Dumps the databases into options.output. On failure throws omsbackup::Error and
// removes what it wrote: an archive without its completion marker is never left
// looking complete.
DumpReport dump(const DumpOptions& options);

}  // namespace omsbackup

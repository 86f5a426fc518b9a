// Pruning of append-only tables (OMS's heatbeat_sequence): which tables, which key,
// and the predicate that keeps the newest rows.
#pragma once

#include <string>
#include <vector>

#include "omsbackup/prune.h"

namespace omsbackup {

class Session;

bool prune_matches(const PruneOptions& o, const std::string& db, const std::string& table);

// The single-column primary (or unique NOT NULL) key of a table to prune; throws
// Error naming the table when it has none.
std::string prune_key(Session& s, const std::string& db, const std::string& table);


}  // namespace omsbackup

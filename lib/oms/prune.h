// Pruning of append-only tables (OMS's heatbeat_sequence): which tables, which key,
// and the predicate that keeps the newest rows.
#pragma once

#include <string>
#include <vector>

#include "omsbackup/connection.h"
#include "omsbackup/prune.h"
#include "plan/prune_input.h"

namespace omsbackup {

class Session;

bool prune_matches(const PruneOptions& o, const std::string& db, const std::string& table);

// The single-column primary (or unique NOT NULL) key of a table to prune; throws
// Error naming the table when it has none.
std::string prune_key(Session& s, const std::string& db, const std::string& table);

// The dump's view of pruning `databases` as `o` asks (the public dump() hands it over):
// in filter mode which tables keep their newest rows and by which key; in remove mode the
// prune() to run first on `connection`; in both what the manifest records.
PruneInput prune_input(const ConnectionOptions& connection, const std::vector<std::string>& databases,
                       const PruneOptions& o);

}  // namespace omsbackup

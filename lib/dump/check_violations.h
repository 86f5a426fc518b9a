// Rows that break their own table's CHECK constraints: MariaDB keeps such rows when a
// session inserted them with check_constraint_checks=0. A restore loads them with the
// checks off where the server allows it (MariaDB); the dump counts them so that a
// restore to a server that always enforces CHECK constraints (MySQL 8.0.16+, OceanBase)
// is refused by name before anything changes, instead of failing midway.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace omsbackup {

class Session;

// Table name -> rows for which a CHECK constraint is false, for the tables of `db` that
// have any. Only MariaDB can hold such rows; on other servers the map is empty.
std::map<std::string, std::uint64_t> count_check_violations(Session& s, const std::string& db);

}  // namespace omsbackup

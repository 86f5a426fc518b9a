#include "dump/check_violations.h"

#include <fmt/format.h>

#include <vector>

#include "sql/quote.h"
#include "sql/session.h"

namespace omsbackup {

std::map<std::string, std::uint64_t> count_check_violations(Session& s, const std::string& db) {
  std::map<std::string, std::uint64_t> out;
  if (s.server().flavor != ServerFlavor::mariadb) return out;
  // CHECK_CONSTRAINTS has TABLE_NAME on MariaDB (10.3.10+), table and column checks alike.
  std::map<std::string, std::vector<std::string>> clauses;
  for (const auto& row :
       s.query(fmt::format("SELECT TABLE_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
                           "WHERE CONSTRAINT_SCHEMA = {} ORDER BY TABLE_NAME, CONSTRAINT_NAME",
                           quote_string(db)),
               fmt::format("listing the CHECK constraints of {}", db))
           .rows)
    clauses[row.at(0).value_or("")].push_back(row.at(1).value_or(""));
  for (const auto& [table, checks] : clauses) {
    // A row breaks a constraint when its expression is false (NULL passes).
    std::string broken;
    for (const auto& c : checks) broken += fmt::format("{}({}) IS FALSE", broken.empty() ? "" : " OR ", c);
    std::optional<std::string> n = s.scalar(
        fmt::format("SELECT COUNT(*) FROM {} WHERE {}", quote_qualified(db, table), broken),
        fmt::format("counting the rows of {}.{} that break its CHECK constraints", db, table));
    if (n && *n != "0") out[table] = std::stoull(*n);
  }
  return out;
}

}  // namespace omsbackup

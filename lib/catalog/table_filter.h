// Which tables a dump takes: omsdump's --include/--exclude 'db.table' glob patterns. The
// manifest records the patterns (options "include:P" / "exclude:P"), so a restore can tell
// a table the dump left out from one created after it.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace omsbackup {

struct TableFilter {
  std::vector<std::string> include;  // empty: every table
  std::vector<std::string> exclude;

  bool empty() const noexcept { return include.empty() && exclude.empty(); }
  // True when db.table matches an include pattern (or there are none) and no exclude
  // pattern (fnmatch(3) globs over "db.table").
  bool selects(const std::string& db, const std::string& table) const;

  // A pattern that matches exactly db.table (glob characters escaped).
  static std::string literal_pattern(const std::string& db, const std::string& table);

  // The patterns as a manifest records them, and back.
  void record(std::map<std::string, std::string>& options) const;
  static TableFilter from_recorded(const std::map<std::string, std::string>& options);
};

}  // namespace omsbackup

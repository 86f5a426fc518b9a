// Which privileges a restore needs, and which of them the user's grants lack: read from
// SHOW GRANTS before anything changes, so a missing one is named in preflight instead of
// failing a restore midway.
#pragma once

#include <set>
#include <string>
#include <vector>

namespace omsbackup {

class Session;

// The grants of SHOW GRANTS that matter here: global (`ON *.*`) and per database pattern
// (`ON \`db\`.*`, where _ and % are wildcards unless escaped with a backslash).
struct Grants {
  // False when a line could not be read, or privileges may come from elsewhere (a role):
  // then nothing can be concluded from what is missing.
  bool complete = true;
  std::set<std::string> global;
  std::vector<std::pair<std::string, std::set<std::string>>> databases;  // pattern, privileges
};

// Parses SHOW GRANTS lines. Table and column grants are ignored (a restore needs
// database-wide privileges).
Grants parse_grants(const std::vector<std::string>& lines);

// Of `needed` (upper-case privilege names), those `g` does not give on database `db`.
std::vector<std::string> missing_privileges(const Grants& g, const std::string& db,
                                            const std::vector<std::string>& needed);

// SHOW GRANTS of the session's user.
Grants read_grants(Session& s);

}  // namespace omsbackup

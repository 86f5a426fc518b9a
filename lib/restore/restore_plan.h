// Planning a restore (restore.cpp runs it before anything changes): which archived
// databases go where (--databases, --rename, staging and old names), the preflight that
// refuses what the target cannot hold exactly or the user may not do (load method, CHECK
// violations, database comments, privileges, tables the dump left out, --threads against
// max_connections), and the plan a dry run prints.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "restore/restore_state.h"

namespace omsbackup {

// An archived database chosen by --databases and --rename, and the name it goes to.
struct ChosenDatabase {
  std::size_t index;   // in the manifest's databases
  std::string target;  // its name on the server
};
// Which databases of `m` a restore (or SQL export) writes, in archive order: those named
// in `databases` (empty: all, or only the renamed ones when `rename` is given, with a
// warning naming the others), each under its `rename` target. Throws
// Errc::invalid_argument for a name the archive does not hold, an invalid target or two
// databases with one target.
std::vector<ChosenDatabase> choose_databases(const Manifest& m,
                                             const std::vector<std::string>& databases,
                                             const std::map<std::string, std::string>& rename,
                                             std::vector<std::string>& warnings);

class RestorePlanner {
 public:
  explicit RestorePlanner(RestoreState& st) : st_(st) {}

  // Fills st.targets; throws Errc::invalid_argument for names the archive does not hold or
  // targets that would collide.
  void choose_targets();
  // Decides the load method, the loader count and the INSERT limits; throws naming what
  // the target cannot take. Adds warnings to the report.
  void preflight(Session& s);
  std::vector<std::string> describe() const;

 private:
  void check_privileges(Session& s);
  void check_left_out(Session& s);

  RestoreState& st_;
};

}  // namespace omsbackup

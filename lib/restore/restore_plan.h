// Planning a restore (restore.cpp runs it before anything changes): which archived
// databases go where (--databases, --rename, staging and old names), the preflight that
// refuses what the target cannot hold exactly or the user may not do (load method, CHECK
// violations, database comments, privileges, tables the dump left out, --threads against
// max_connections), and the plan a dry run prints.
#pragma once

#include <string>
#include <vector>

#include "restore/restore_state.h"

namespace omsbackup {

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

// One restore at a time (docs/restore.md, "One restore at a time"): a restore holds, for
// its whole run, an exclusive lock on its journal ("<journal>.lock", flock) and a named
// server lock (GET_LOCK) per database it writes (the target, its staging and old copies),
// on a connection of its own (sql/database_locks.h). A second restore of the same journal or
// into one of those databases is refused at once, naming the running one.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "util/env.h"
#include "omsbackup/connection.h"
#include "sql/database_locks.h"

namespace omsbackup {

class RestoreLocks {
 public:
  // Takes the journal's lock, then every database's server lock (without waiting).
  // Throws Errc::invalid_argument naming the running restore when one is held elsewhere.
  RestoreLocks(Env& env, const ConnectionOptions& connection, const std::string& journal,
               const std::vector<std::string>& databases, const std::string& archive);
  ~RestoreLocks();
  RestoreLocks(const RestoreLocks&) = delete;
  RestoreLocks& operator=(const RestoreLocks&) = delete;

  // Set when the server has no GET_LOCK (a concurrent restore cannot be detected there).
  const std::string& warning() const { return databases_->warning(); }

 private:
  std::unique_ptr<FileLock> file_;
  std::unique_ptr<DatabaseLocks> databases_;
};

}  // namespace omsbackup

// One restore at a time (docs/restore.md, "One restore at a time"): a restore holds, for
// its whole run, an exclusive lock on its journal ("<journal>.lock", flock) and a named
// server lock (GET_LOCK) per database it writes (the target, its staging and old copies),
// on a connection of its own. A second restore of the same journal or into one of those
// databases is refused at once, naming the running one. A dump does not take the locks; it
// refuses to read a database a restore is writing.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "archive/env.h"
#include "omsbackup/connection.h"

namespace omsbackup {

class Session;

// The GET_LOCK name for restores writing `database`: "omsbackup.restore:<name>", or with a
// SHA-256 of the name where that would pass the 64-character limit on lock names.
std::string restore_lock_name(const std::string& database);

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
  const std::string& warning() const { return warning_; }

 private:
  std::unique_ptr<FileLock> file_;
  std::unique_ptr<Session> session_;
  std::string warning_;
};

// For a dump: throws Errc::invalid_argument when a restore holds the lock of one of
// `databases` (it would read a database that is being replaced). Nothing where the
// server has no GET_LOCK.
void refuse_if_restoring(Session& s, const std::vector<std::string>& databases);

}  // namespace omsbackup

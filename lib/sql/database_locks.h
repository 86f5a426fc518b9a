// The server locks that keep restores apart (docs/restore.md, "One restore at a time"): a
// restore holds a named lock (GET_LOCK) per database it writes, on a connection of its own;
// a second restore into one of those databases is refused naming the running one, and a
// dump refuses to read a database a restore is writing. Below both pipelines.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "omsbackup/connection.h"

namespace omsbackup {

class Session;

// The GET_LOCK name for restores writing `database`: "omsbackup.restore:<name>", or with a
// SHA-256 of the name where that would pass the 64-character limit on lock names.
std::string restore_lock_name(const std::string& database);

// Every database's server lock, taken without waiting on an idle connection of its own and
// held until destroyed. Throws Errc::invalid_argument naming the holder when one is held
// elsewhere.
class DatabaseLocks {
 public:
  DatabaseLocks(const ConnectionOptions& connection, const std::vector<std::string>& databases);
  ~DatabaseLocks();
  DatabaseLocks(const DatabaseLocks&) = delete;
  DatabaseLocks& operator=(const DatabaseLocks&) = delete;

  // Set when the server has no GET_LOCK (a concurrent restore cannot be detected there).
  const std::string& warning() const { return warning_; }

 private:
  std::unique_ptr<Session> session_;
  std::string warning_;
};

// For a dump: throws Errc::invalid_argument when a restore holds the lock of one of
// `databases` (it would read a database that is being replaced). Nothing where the
// server has no GET_LOCK.
void refuse_if_restoring(Session& s, const std::vector<std::string>& databases);

}  // namespace omsbackup

// omsbackup — a statement of a dump or restore that waits for a lock another connection holds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace omsbackup {

// A connection that holds (or, when the server does not show lock owners, may hold) the
// lock a statement waits for.
struct LockHolder {
  std::uint64_t connection_id = 0;        // information_schema.PROCESSLIST ID (KILL takes it)
  std::string user, host;                 // its user and client address
  std::string command, state, statement;  // what it is doing now ("Sleep": idle)
  std::int64_t seconds = 0;               // in its current command (idle for, when Sleep)
  std::int64_t transaction_seconds = -1;  // how long its open transaction has run; -1: none seen
  std::string lock;                       // the lock it holds, where the server shows it
};

// Reported (DumpOptions::on_lock_wait, RestoreOptions::on_lock_wait) once a statement has
// waited a few seconds, then about every 10 s while it still waits.
struct LockWait {
  std::uint64_t connection_id = 0;  // the waiting connection (the tool's own)
  std::string statement, state;     // its statement (cut short) and PROCESSLIST state
  double seconds = 0;               // waited so far
  unsigned timeout_s = 0;           // ConnectionOptions::lock_wait_timeout_s (0: the server's)
  std::vector<LockHolder> holders;
  // True when the holders come from the server's lock tables (performance_schema.
  // metadata_locks, MariaDB's information_schema.METADATA_LOCK_INFO); false when they are
  // the likely ones (open transactions, long statements) because the server shows no owners.
  bool holders_certain = false;
  std::string message;  // all of the above in one line, for display
};

}  // namespace omsbackup

#include "sql/database_locks.h"

#include <fmt/format.h>

#include "omsbackup/error.h"
#include "sql/lock_watch.h"
#include "sql/quote.h"
#include "sql/session.h"
#include "util/sha256.h"

namespace omsbackup {

namespace {

constexpr std::size_t kMaxLockName = 64;  // MySQL 5.7+ refuses longer GET_LOCK names

// "connection 77 (root@10.0.0.5:40122), which took it at 2026-12-05 08:40:01 UTC (12 s ago)"
// from the server's view of the connection holding lock `name`; its id in `id`.
std::string lock_holder(Session& s, const std::string& name, std::string& id) {
  std::optional<std::string> holder =
      s.scalar(fmt::format("SELECT IS_USED_LOCK({})", quote_string(name)), "finding the lock's holder");
  if (!holder) return "another connection, which has released it just now (try again)";
  id = *holder;
  ResultSet r = s.query(
      fmt::format("SELECT COALESCE(USER, ''), COALESCE(HOST, ''), TIME, COALESCE(COMMAND, ''), "
                  "DATE_FORMAT(NOW() - INTERVAL TIME SECOND, '%Y-%m-%d %H:%i:%s') FROM "
                  "information_schema.PROCESSLIST WHERE ID = {}",
                  id),
      "reading the lock holder's connection");
  if (r.rows.empty()) return fmt::format("connection {}", id);
  const auto& row = r.rows[0];
  std::string who = fmt::format("connection {} ({}@{})", id, row.at(0).value_or(""), row.at(1).value_or(""));
  // A restore's lock connection does nothing after taking its locks: its idle time is the
  // restore's age (the session runs in UTC).
  if (row.at(3).value_or("") == "Sleep")
    return fmt::format("{}, which took it at {} UTC ({} s ago)", who, row.at(4).value_or("?"),
                       row.at(2).value_or("?"));
  return who;
}

}  // namespace

std::string restore_lock_name(const std::string& database) {
  const std::string prefix = "omsbackup.restore:";
  if (prefix.size() + database.size() <= kMaxLockName) return prefix + database;
  return prefix + to_hex(Sha256::of(database)).substr(0, 40);
}

DatabaseLocks::DatabaseLocks(const ConnectionOptions& connection,
                             const std::vector<std::string>& databases) {
  ConnectionOptions idle = connection;
  idle.init_commands.clear();  // it only holds the locks: --init-command is for the work
  session_ = std::make_unique<Session>(idle);
  try {
    // The connection is idle for the whole restore: the server must not close it.
    session_->execute("SET SESSION wait_timeout = 31536000", "keeping the lock connection open");
  } catch (const Error&) {
  }
  for (const auto& db : databases) {
    const std::string name = restore_lock_name(db);
    std::optional<std::string> got;
    try {
      got = session_->scalar(fmt::format("SELECT GET_LOCK({}, 0)", quote_string(name)),
                             fmt::format("taking the server lock {}", name));
    } catch (const Error& e) {
      if (is_connection_error(e.server_errno())) throw;  // the connection, not the function
      warning_ = fmt::format(
          "the server refused GET_LOCK ({}): a second restore into the same databases at the "
          "same time would not be detected; make sure none runs",
          e.message());
      session_.reset();
      return;
    }
    if (got == std::optional<std::string>("1")) continue;
    std::string id = "<id>";
    std::string who = lock_holder(*session_, name, id);
    session_.reset();  // releases the locks taken so far
    throw Error(Errc::invalid_argument, db,
                fmt::format("another restore is writing this database: its server lock {} is "
                            "held by {}. Only one restore may write a database at a time: wait "
                            "for it to end. If that restore is gone but its connection is not, "
                            "end the connection (KILL {}) and run omsrestore again",
                            name, who, id));
  }
}

DatabaseLocks::~DatabaseLocks() = default;

void refuse_if_restoring(Session& s, const std::vector<std::string>& databases) {
  for (const auto& db : databases) {
    const std::string name = restore_lock_name(db);
    std::optional<std::string> holder;
    try {
      holder = s.scalar(fmt::format("SELECT IS_USED_LOCK({})", quote_string(name)),
                        "looking for a restore in progress");
    } catch (const Error& e) {
      if (is_connection_error(e.server_errno())) throw;
      return;  // no GET_LOCK on this server
    }
    if (!holder) continue;
    std::string id = *holder;
    std::string who = lock_holder(s, name, id);
    throw Error(Errc::invalid_argument, db,
                fmt::format("a restore is writing this database (its server lock {} is held by "
                            "{}): a dump now could read a database being replaced. Wait for the "
                            "restore to end, then dump",
                            name, who));
  }
}

}  // namespace omsbackup

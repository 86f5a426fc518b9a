#include "sql/lock_watch.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>

#include "sql/quote.h"
#include "sql/session.h"
#include "util/cancel.h"

namespace omsbackup {

namespace {

using Clock = std::chrono::steady_clock;
constexpr unsigned kUnknownSystemVariable = 1193;
constexpr unsigned kLockWaitTimeout = 1205;   // ER_LOCK_WAIT_TIMEOUT (row and metadata locks)
constexpr unsigned kQueryInterrupted = 1317;  // ER_QUERY_INTERRUPTED: KILL QUERY
constexpr auto kPollEvery = std::chrono::milliseconds(250);
constexpr auto kTick = std::chrono::milliseconds(100);
constexpr auto kReconnectEvery = std::chrono::seconds(2);
constexpr auto kHoldersEvery = std::chrono::seconds(1);
constexpr double kReportAfter = 3;  // seconds of waiting before the first report
constexpr auto kReportEvery = std::chrono::seconds(10);
constexpr std::size_t kMaxCandidates = 5;

// PROCESSLIST states of a statement waiting for a lock (MariaDB, MySQL): "Waiting for
// table metadata lock", "... for global read lock", "... for backup lock", "... for table
// level lock", "... for table flush", ...
bool is_lock_wait(const std::string& state) {
  return state.rfind("Waiting for", 0) == 0 &&
         (state.find("lock") != std::string::npos || state.find("flush") != std::string::npos);
}

bool is_global_wait(const std::string& state) {
  return state.find("global read lock") != std::string::npos ||
         state.find("backup lock") != std::string::npos ||
         state.find("commit lock") != std::string::npos;
}

// A statement that needs an exclusive (or no-write) lock conflicts with any lock on the
// table, even a reader's; the others only with the strong ones.
bool wants_strong_lock(const std::string& statement) {
  std::string head;
  for (char c : statement.substr(0, 16)) head += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const char* kw : {"RENAME", "DROP", "ALTER", "CREATE", "TRUNCATE", "LOCK", "OPTIMIZE", "FLUSH"})
    if (head.rfind(kw, 0) == 0) return true;
  return false;
}

std::string id_list(const std::set<std::uint64_t>& ids) {
  return fmt::format("{}", fmt::join(ids, ", "));
}

std::string one_line(std::string s, std::size_t max) {
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  if (s.size() > max) s = s.substr(0, max) + "...";
  return s;
}

std::int64_t to_int(const std::optional<std::string>& v) {
  try {
    return v ? std::stoll(*v) : 0;
  } catch (...) {
    return 0;
  }
}

std::string describe(const LockHolder& h) {
  std::vector<std::string> parts;
  parts.push_back(fmt::format("{}@{}", h.user, h.host));
  if (h.command == "Sleep") parts.push_back(fmt::format("idle for {} s", h.seconds));
  else if (!h.statement.empty())
    parts.push_back(fmt::format("running for {} s: {}", h.seconds, one_line(h.statement, 80)));
  else parts.push_back(fmt::format("{} for {} s", h.command, h.seconds));
  if (h.transaction_seconds >= 0)
    parts.push_back(fmt::format("transaction open for {} s", h.transaction_seconds));
  if (!h.lock.empty()) parts.push_back("holds " + h.lock);
  return fmt::format("connection {} ({})", h.connection_id, fmt::join(parts, "; "));
}

}  // namespace

bool is_connection_error(unsigned n) {
  return (n >= 2000 && n < 3000) || (n >= 5000 && n < 6000) || n == 1927;
}

void set_lock_wait_timeout(Session& s, unsigned seconds) {
  if (seconds == 0) return;
  try {
    s.execute(fmt::format("SET SESSION lock_wait_timeout = {}", seconds),
              "setting lock_wait_timeout (--lock-wait-timeout)");
  } catch (const Error& e) {
    if (e.server_errno() != kUnknownSystemVariable) throw;
  }
}

LockWatch::LockWatch(const ConnectionOptions& connection, LockWatchOptions options)
    : connection_(connection), o_(std::move(options)) {
  // It only reads the process list and kills: --init-command is for the working sessions.
  connection_.init_commands.clear();
  connect();
  thread_ = std::thread([this] { loop(); });
}

LockWatch::~LockWatch() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void LockWatch::connect() {
  session_ = std::make_unique<Session>(connection_);
  // Its mark in PROCESSLIST (DB): the tool's one connection that is not doing the work.
  session_->execute("USE information_schema", "choosing information_schema");
  own_id_ = static_cast<std::uint64_t>(to_int(session_->scalar("SELECT CONNECTION_ID()")));
}

void LockWatch::add(Session& s) {
  auto id = static_cast<std::uint64_t>(
      to_int(s.scalar("SELECT CONNECTION_ID()", "reading the connection id")));
  std::lock_guard lock(mu_);
  watched_.insert(id);
}

void LockWatch::loop() {
  auto next_poll = Clock::now();
  auto next_connect = Clock::now();
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, kTick, [&] { return stop_; });
      if (stop_) return;
    }
    bool cancelling = false;
    try {
      cancelling = cancel_requested(o_.cancel) && (!o_.may_cancel || o_.may_cancel());
    } catch (...) {
    }
    auto now = Clock::now();
    if (!cancelling && now < next_poll) continue;
    next_poll = now + kPollEvery;
    try {
      if (!session_) {  // lost (killed, server restarted): the operation itself will tell
        if (now < next_connect) continue;
        next_connect = now + kReconnectEvery;
        connect();
      }
      poll(cancelling);
    } catch (...) {
      session_.reset();  // the watcher never fails the operation
    }
  }
}

void LockWatch::poll(bool cancelling) {
  std::set<std::uint64_t> ids;
  {
    std::lock_guard lock(mu_);
    ids = watched_;
  }
  if (ids.empty()) return;
  ResultSet r = session_->query(
      fmt::format("SELECT ID, COALESCE(STATE, ''), TIME, LEFT(COALESCE(INFO, ''), 300) FROM "
                  "information_schema.PROCESSLIST WHERE COMMAND = 'Query' AND ID IN ({})",
                  id_list(ids)),
      "watching for lock waits");
  auto now = Clock::now();
  std::set<std::uint64_t> waiting;
  for (const auto& row : r.rows) {
    std::string state = row.at(1).value_or("");
    if (!is_lock_wait(state)) continue;
    auto id = static_cast<std::uint64_t>(to_int(row.at(0)));
    waiting.insert(id);
    auto [it, fresh] = waits_.try_emplace(id);
    Wait& w = it->second;
    if (fresh) {
      w.first_seen = now;
      w.info.connection_id = id;
      w.info.timeout_s = connection_.lock_wait_timeout_s;
    }
    w.last_seen = now;
    w.info.state = state;
    w.info.statement = one_line(row.at(3).value_or(""), 200);
    w.info.seconds = std::max<double>(static_cast<double>(to_int(row.at(2))),
                                      std::chrono::duration<double>(now - w.first_seen).count());
    const bool report = o_.on_wait && !cancelling && w.info.seconds >= kReportAfter &&
                        (!w.ever_reported || now - w.reported >= kReportEvery);
    if (fresh || report || now - w.holders_read >= kHoldersEvery) {
      w.holders_read = now;
      try {
        find_holders(w);
      } catch (const Error&) {
        // A query the server refuses (privileges, a missing table): report without holders.
      }
    }
    w.info.message = fmt::format("connection {} has waited {:.0f} s{} for a lock ({}): {}; {}",
                                 id, w.info.seconds,
                                 w.info.timeout_s ? fmt::format(" (of at most {} s)", w.info.timeout_s)
                                                  : std::string(),
                                 state, one_line(w.info.statement, 120), describe_holders(w.info));
    {
      std::lock_guard lock(mu_);
      last_wait_ = w.info;
    }
    if (cancelling) {
      // The caller asked to stop: the statement has not got its lock, so it has changed
      // nothing yet; stop it rather than wait. (Looked at again just before: one that got
      // its lock meanwhile is left to finish.)
      std::optional<std::string> still = session_->scalar(
          fmt::format("SELECT STATE FROM information_schema.PROCESSLIST WHERE ID = {} AND "
                      "COMMAND = 'Query'",
                      id),
          "looking at a waiting statement again");
      if (!still || !is_lock_wait(*still)) continue;
      {
        // Recorded first: the stopped statement's error may reach explain() before KILL
        // QUERY returns here.
        std::lock_guard lock(mu_);
        killed_.insert(id);
      }
      session_->execute(fmt::format("KILL QUERY {}", id), "stopping a statement that waits for a lock");
      continue;
    }
    if (report) {
      w.ever_reported = true;
      w.reported = now;
      try {
        o_.on_wait(w.info);
      } catch (...) {
      }
    }
  }
  std::erase_if(waits_, [&](const auto& kv) { return !waiting.count(kv.first); });
}

void LockWatch::find_holders(Wait& w) {
  Session& s = *session_;
  LockWait& info = w.info;
  if (source_ == Source::unknown) {
    source_ = Source::none;
    try {
      if (s.scalar("SELECT @@performance_schema").value_or("0") == "1" &&
          s.scalar("SELECT COUNT(*) FROM performance_schema.setup_instruments WHERE NAME = "
                   "'wait/lock/metadata/sql/mdl' AND ENABLED = 'YES'")
                  .value_or("0") != "0")
        source_ = Source::performance_schema;
    } catch (const Error&) {
    }
    if (source_ == Source::none) {
      try {
        if (s.scalar("SELECT COUNT(*) FROM information_schema.PLUGINS WHERE PLUGIN_NAME = "
                     "'METADATA_LOCK_INFO' AND PLUGIN_STATUS = 'ACTIVE'")
                .value_or("0") != "0")
          source_ = Source::metadata_lock_info;
      } catch (const Error&) {
      }
    }
  }
  std::set<std::uint64_t> ours;
  {
    std::lock_guard lock(mu_);
    ours = watched_;
  }
  ours.insert(own_id_);
  std::map<std::uint64_t, std::string> locks;  // holder -> the lock(s) it holds
  auto add_lock = [&](std::uint64_t id, const std::string& what) {
    std::string& l = locks[id];
    if (!what.empty() && l.find(what) == std::string::npos) l += (l.empty() ? "" : ", ") + what;
  };
  std::vector<std::uint64_t> order;
  info.holders_certain = source_ != Source::none;
  if (source_ == Source::performance_schema) {
    // The waiter's PENDING lock and everybody else's GRANTED lock on the same object.
    ResultSet r = s.query(
        fmt::format("SELECT DISTINCT t.PROCESSLIST_ID, g.LOCK_TYPE, g.OBJECT_TYPE, "
                    "COALESCE(g.OBJECT_SCHEMA, ''), COALESCE(g.OBJECT_NAME, '') FROM "
                    "performance_schema.metadata_locks w JOIN performance_schema.threads wt ON "
                    "wt.THREAD_ID = w.OWNER_THREAD_ID JOIN performance_schema.metadata_locks g ON "
                    "g.OBJECT_TYPE = w.OBJECT_TYPE AND g.OBJECT_SCHEMA <=> w.OBJECT_SCHEMA AND "
                    "g.OBJECT_NAME <=> w.OBJECT_NAME AND g.LOCK_STATUS = 'GRANTED' JOIN "
                    "performance_schema.threads t ON t.THREAD_ID = g.OWNER_THREAD_ID WHERE "
                    "w.LOCK_STATUS = 'PENDING' AND wt.PROCESSLIST_ID = {} AND t.PROCESSLIST_ID "
                    "IS NOT NULL AND t.PROCESSLIST_ID <> {}",
                    info.connection_id, info.connection_id),
        "reading performance_schema.metadata_locks");
    for (const auto& row : r.rows) {
      auto id = static_cast<std::uint64_t>(to_int(row.at(0)));
      std::string schema = row.at(3).value_or(""), name = row.at(4).value_or("");
      add_lock(id, fmt::format("{} {}{}", row.at(1).value_or(""), row.at(2).value_or(""),
                               schema.empty() ? "" : " " + (name.empty() ? schema : schema + "." + name)));
    }
  } else if (source_ == Source::metadata_lock_info && !o_.databases.empty()) {
    // MariaDB's plugin shows granted locks only: the holders are other connections with a
    // lock on a table of the operation's databases that conflicts with what the waiter
    // wants (a global lock when it waits for one).
    std::vector<std::string> dbs;
    for (const auto& d : o_.databases) dbs.push_back(quote_string(d));
    std::string modes = wants_strong_lock(info.statement)
                            ? std::string()
                            : " AND LOCK_MODE IN ('MDL_SHARED_NO_WRITE', 'MDL_SHARED_NO_READ_WRITE', "
                              "'MDL_SHARED_READ_ONLY', 'MDL_EXCLUSIVE')";
    std::string where =
        is_global_wait(info.state)
            ? "LOCK_TYPE IN ('Global read lock', 'Backup lock', 'Commit lock') AND LOCK_MODE NOT IN "
              "('MDL_BACKUP_DML', 'MDL_BACKUP_TRANS_DML', 'MDL_BACKUP_SYS_DML', 'MDL_BACKUP_DDL', "
              "'MDL_BACKUP_ALTER_COPY', 'MDL_INTENTION_EXCLUSIVE')"
            : fmt::format("LOCK_TYPE = 'Table metadata lock' AND TABLE_SCHEMA IN ({}){}",
                          fmt::join(dbs, ", "), modes);
    ResultSet r = s.query(
        fmt::format("SELECT THREAD_ID, LOCK_MODE, COALESCE(TABLE_SCHEMA, ''), COALESCE(TABLE_NAME, "
                    "''), LOCK_TYPE FROM information_schema.METADATA_LOCK_INFO WHERE THREAD_ID NOT "
                    "IN ({}) AND {} ORDER BY THREAD_ID",
                    id_list(ours), where),
        "reading information_schema.METADATA_LOCK_INFO");
    for (const auto& row : r.rows) {
      auto id = static_cast<std::uint64_t>(to_int(row.at(0)));
      std::string schema = row.at(2).value_or(""), name = row.at(3).value_or("");
      add_lock(id, schema.empty() ? fmt::format("{} ({})", row.at(1).value_or(""), row.at(4).value_or(""))
                                  : fmt::format("{} on {}.{}", row.at(1).value_or(""), schema, name));
    }
  } else {
    // No lock owners on this server: the likely holders are the connections with an open
    // transaction (a transaction keeps the metadata locks of every table it has read until
    // it ends) and those running a statement for as long as the wait, longest first.
    const std::string base = fmt::format(
        "SELECT p.ID FROM information_schema.PROCESSLIST p WHERE p.ID NOT IN ({}) AND p.COMMAND "
        "NOT IN ('Daemon', 'Binlog Dump', 'Binlog Dump GTID', 'Killed') AND ((p.COMMAND = 'Query' "
        "AND p.TIME >= {}){{}}) ORDER BY p.TIME DESC LIMIT {}",
        id_list(ours), static_cast<long long>(info.seconds), kMaxCandidates);
    ResultSet r;
    try {
      r = s.query(fmt::format(fmt::runtime(base), " OR p.ID IN (SELECT trx_mysql_thread_id FROM "
                                                  "information_schema.INNODB_TRX)"),
                  "listing open transactions");
    } catch (const Error&) {  // no INNODB_TRX (OceanBase): long statements only
      r = s.query(fmt::format(fmt::runtime(base), ""), "listing long statements");
    }
    for (const auto& row : r.rows) add_lock(static_cast<std::uint64_t>(to_int(row.at(0))), "");
  }
  for (const auto& [id, l] : locks) order.push_back(id);
  info.holders.clear();
  if (order.empty()) return;
  std::set<std::uint64_t> ids(order.begin(), order.end());
  std::map<std::uint64_t, std::int64_t> trx;
  try {
    for (const auto& row : s.query(fmt::format("SELECT trx_mysql_thread_id, MAX(TIMESTAMPDIFF(SECOND, "
                                               "trx_started, NOW())) FROM information_schema.INNODB_TRX "
                                               "WHERE trx_mysql_thread_id IN ({}) GROUP BY 1",
                                               id_list(ids)),
                                   "reading transaction ages")
                           .rows)
      trx[static_cast<std::uint64_t>(to_int(row.at(0)))] = to_int(row.at(1));
  } catch (const Error&) {
  }
  for (const auto& row :
       s.query(fmt::format("SELECT ID, COALESCE(USER, ''), COALESCE(HOST, ''), COALESCE(COMMAND, ''), "
                           "TIME, COALESCE(STATE, ''), LEFT(COALESCE(INFO, ''), 200) FROM "
                           "information_schema.PROCESSLIST WHERE ID IN ({}) ORDER BY TIME DESC",
                           id_list(ids)),
               "reading the lock holders")
           .rows) {
    LockHolder h;
    h.connection_id = static_cast<std::uint64_t>(to_int(row.at(0)));
    h.user = row.at(1).value_or("");
    h.host = row.at(2).value_or("");
    h.command = row.at(3).value_or("");
    h.seconds = to_int(row.at(4));
    h.state = row.at(5).value_or("");
    h.statement = one_line(row.at(6).value_or(""), 200);
    if (auto t = trx.find(h.connection_id); t != trx.end()) h.transaction_seconds = t->second;
    h.lock = locks[h.connection_id];
    info.holders.push_back(std::move(h));
  }
}

std::string LockWatch::describe_holders(const LockWait& w) const {
  std::vector<std::string> hs;
  for (const auto& h : w.holders) hs.push_back(describe(h));
  if (w.holders_certain)
    return hs.empty() ? "the holder is no longer visible"
                      : fmt::format("held by {}", fmt::join(hs, "; "));
  std::string why =
      "the server does not show who holds it (neither performance_schema.metadata_locks nor "
      "MariaDB's information_schema.METADATA_LOCK_INFO is available)";
  if (hs.empty())
    return why + "; no other connection with an open transaction or a long statement is "
                 "visible (the user may lack the PROCESS privilege)";
  return fmt::format("{}; it is most likely held by {}", why, fmt::join(hs, "; or "));
}

Error LockWatch::explain(const Error& e) const {
  std::lock_guard lock(mu_);
  const unsigned n = e.server_errno();
  std::vector<std::string> ids;
  if (last_wait_)
    for (const auto& h : last_wait_->holders) ids.push_back(fmt::format("KILL {}", h.connection_id));
  if (n == kQueryInterrupted && !killed_.empty()) {
    return Error(Errc::cancelled, e.object(),
                 fmt::format("cancelled by the caller while it waited for a lock{} (the waiting "
                             "statement was stopped with KILL QUERY; it had changed nothing)",
                             last_wait_ ? "; " + describe_holders(*last_wait_) : std::string()));
  }
  if (n != kLockWaitTimeout) return e;
  const std::string timeout =
      connection_.lock_wait_timeout_s
          ? fmt::format("--lock-wait-timeout (now {} s)", connection_.lock_wait_timeout_s)
          : std::string("--lock-wait-timeout (now the server's lock_wait_timeout)");
  if (last_wait_) {
    return e.with_note(fmt::format(
        "It waited {:.0f} s for a lock ({}); {}. End {}'s transaction or statement{}, or "
        "let it wait longer with {}",
        last_wait_->seconds, last_wait_->state, describe_holders(*last_wait_),
        last_wait_->holders.empty() ? std::string("the holder")
        : last_wait_->holders.size() == 1
            ? fmt::format("connection {}", last_wait_->holders[0].connection_id)
            : std::string("that connection"),
        ids.empty() ? std::string() : fmt::format(" ({})", fmt::join(ids, " or ")), timeout));
  }
  return e.with_note(fmt::format(
      "Another connection held a lock it needed for longer than {} (innodb_lock_wait_timeout for "
      "a row lock): look in information_schema.PROCESSLIST and INNODB_TRX for a long transaction "
      "on these databases ({}) and end it, or let it wait longer",
      timeout, fmt::join(o_.databases, ", ")));
}

}  // namespace omsbackup

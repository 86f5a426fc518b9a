// Waiting for locks, bounded and explained (docs/restore.md, "Waiting for locks").
//
// Every session waits at most ConnectionOptions::lock_wait_timeout_s for a metadata or
// table lock (set_lock_wait_timeout). A LockWatch, on a connection and a thread of its
// own, looks at the sessions it is given in information_schema.PROCESSLIST: one that waits
// for a lock is reported (who waits, for how long, and who holds the lock) through a
// callback; when the caller cancels, a statement that waits for a lock is stopped at once
// with KILL QUERY; and an error is explained (explain()): a lock wait timeout names the
// holder and what to do, a statement the watch stopped reads as cancelled.
//
// The holders come from performance_schema.metadata_locks (MySQL 8, where its instrument
// is enabled), else MariaDB's information_schema.METADATA_LOCK_INFO (where that plugin is
// loaded), else they are the likely ones: connections with an open transaction or a
// statement running for as long as the wait.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "omsbackup/connection.h"
#include "omsbackup/error.h"
#include "omsbackup/lock_wait.h"

namespace omsbackup {

class Session;

// SET SESSION lock_wait_timeout = seconds (nothing for 0; ignored where the server has no
// such variable).
void set_lock_wait_timeout(Session& s, unsigned seconds);

// True for the client library's numbers of a lost connection (2000-2999, 5000-5999) and
// the server's ER_CONNECTION_KILLED: the session is gone, not the statement refused.
bool is_connection_error(unsigned server_errno);

struct LockWatchOptions {
  // The databases the operation works on: a lock on one of their tables is what a
  // waiting statement may wait for.
  std::vector<std::string> databases;
  std::function<void(const LockWait&)> on_wait;  // optional
  const std::atomic<bool>* cancel = nullptr;     // optional
  // Whether a statement waiting for a lock may be stopped now that `cancel` is set; null:
  // always.
  std::function<bool()> may_cancel;
};

class LockWatch {
 public:
  // Opens its own connection (its default database is information_schema, which marks it
  // in PROCESSLIST) and starts watching (nothing until add() is called).
  LockWatch(const ConnectionOptions& connection, LockWatchOptions options);
  ~LockWatch();
  LockWatch(const LockWatch&) = delete;
  LockWatch& operator=(const LockWatch&) = delete;

  // Watches `s` (reads its connection id: call it from the thread that uses `s`, between
  // statements).
  void add(Session& s);

  // `e` explained: a statement the watch stopped because of a cancel becomes
  // Errc::cancelled; a lock wait timeout gets the holder and what to do. Other errors are
  // returned unchanged.
  Error explain(const Error& e) const;

 private:
  struct Wait {
    LockWait info;
    std::chrono::steady_clock::time_point first_seen, last_seen, holders_read, reported;
    bool ever_reported = false;
  };
  void connect();
  void loop();
  void poll(bool cancelling);
  void find_holders(Wait& w);
  std::string describe_holders(const LockWait& w) const;

  ConnectionOptions connection_;
  LockWatchOptions o_;
  std::unique_ptr<Session> session_;  // used by the watcher thread only (once started)
  std::uint64_t own_id_ = 0;
  enum class Source { unknown, performance_schema, metadata_lock_info, none } source_ =
      Source::unknown;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::set<std::uint64_t> watched_;
  std::map<std::uint64_t, Wait> waits_;     // current waits by connection id
  std::optional<LockWait> last_wait_;       // the latest wait seen, for explain()
  std::set<std::uint64_t> killed_;          // connections whose statement was stopped
  std::thread thread_;
};

}  // namespace omsbackup

#include "dump/snapshot.h"

#include <fmt/format.h>

#include <optional>

#include "scan/reader_session.h"
#include "omsbackup/error.h"
#include "sql/session.h"

namespace omsbackup {

namespace {

constexpr int kSnapshotAttempts = 5;

// The binary log position (file:pos, plus GTID state when there is one); nullopt
// when the server does not expose it (no binary log, no privilege, OceanBase).
std::optional<std::string> log_position(Session& s) {
  try {
    ResultSet r = s.query("SHOW MASTER STATUS", "reading the binary log position");
    if (r.rows.empty() || r.rows[0].size() < 2) return std::nullopt;
    std::string pos = fmt::format("{}:{}", r.rows[0][0].value_or(""), r.rows[0][1].value_or(""));
    if (r.rows[0].size() >= 5 && r.rows[0][4]) pos += " gtid " + *r.rows[0][4];
    return pos;
  } catch (const Error&) {
    return std::nullopt;
  }
}

void start_snapshot(Session& s) {
  s.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT", "starting the reader's snapshot");
}

std::vector<std::unique_ptr<Session>> connect_readers(const ConnectionOptions& o, unsigned n) {
  std::vector<std::unique_ptr<Session>> v;
  for (unsigned i = 0; i < n; ++i) {
    v.push_back(std::make_unique<Session>(o, pin_reader_session));
  }
  return v;
}

bool try_lock(Session& coordinator, ReaderSet& set, bool required) {
  if (coordinator.server().flavor == ServerFlavor::oceanbase) {
    if (required)
      throw Error(Errc::unsupported, "--consistency=lock",
                  "OceanBase cannot hold FLUSH TABLES WITH READ LOCK; use --consistency=snapshot");
    set.detail = "OceanBase: no global read lock";
    return false;
  }
  try {
    coordinator.execute("FLUSH TABLES WITH READ LOCK", "taking the global read lock");
  } catch (const Error& e) {
    if (required) throw;
    set.detail = fmt::format("no global read lock ({})", e.message());
    return false;
  }
  try {
    for (auto& r : set.readers) start_snapshot(*r);
  } catch (...) {
    try {
      coordinator.execute("UNLOCK TABLES");
    } catch (...) {
    }
    throw;
  }
  coordinator.execute("UNLOCK TABLES", "releasing the global read lock");
  set.achieved = "lock";
  set.detail = "FLUSH TABLES WITH READ LOCK held while the readers started their snapshots";
  return true;
}

void rollback_all(ReaderSet& set) {
  for (auto& r : set.readers) r->execute("ROLLBACK", "restarting the reader's snapshot");
}

void snapshots_checked(Session& coordinator, ReaderSet& set) {
  if (set.readers.size() == 1) {
    start_snapshot(*set.readers[0]);
    set.achieved = "snapshot";
    set.detail += (set.detail.empty() ? "" : "; ") + std::string("one reader: one snapshot");
    return;
  }
  for (int attempt = 1; attempt <= kSnapshotAttempts; ++attempt) {
    std::optional<std::string> before = log_position(coordinator);
    for (auto& r : set.readers) start_snapshot(*r);
    std::optional<std::string> after = log_position(coordinator);
    if (!before || !after) {
      set.achieved = "snapshot-unverified";
      set.detail += (set.detail.empty() ? "" : "; ") +
                    std::string("per-reader snapshots; the server shows no binary log position "
                                "to prove they are the same");
      return;
    }
    if (*before == *after) {
      set.achieved = "snapshot";
      set.detail += (set.detail.empty() ? "" : "; ") +
                    fmt::format("per-reader snapshots at binary log position {}", *after);
      return;
    }
    rollback_all(set);
  }
  throw Error(Errc::unsupported, "consistency",
              fmt::format("the server kept writing while the {} readers started their snapshots "
                          "({} attempts); stop the writers (stop OMS first), or use --threads 1, "
                          "or --consistency=lock with the RELOAD privilege",
                          set.readers.size(), kSnapshotAttempts));
}

}  // namespace

ReaderSet open_readers(Session& coordinator, const ConnectionOptions& o, unsigned count,
                       Consistency mode) {
  ReaderSet set;
  set.readers = connect_readers(o, count == 0 ? 1 : count);
  switch (mode) {
    case Consistency::none:
      for (auto& r : set.readers) start_snapshot(*r);
      set.achieved = "none";
      set.detail = "no coordination was asked for";
      return set;
    case Consistency::lock:
      try_lock(coordinator, set, true);
      return set;
    case Consistency::automatic:
      if (try_lock(coordinator, set, false)) return set;
      snapshots_checked(coordinator, set);
      return set;
    case Consistency::snapshot:
      snapshots_checked(coordinator, set);
      return set;
  }
  return set;
}

void close_readers(ReaderSet& set) noexcept {
  for (auto& r : set.readers) {
    try {
      r->execute("COMMIT");
    } catch (...) {
    }
  }
}

}  // namespace omsbackup

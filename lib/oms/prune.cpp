#include "oms/prune.h"

#include <fmt/format.h>
#include <fnmatch.h>

#include "omsbackup/error.h"
#include "plan/chunk_key.h"
#include "sql/quote.h"
#include "sql/session.h"
#include "util/cancel.h"

namespace omsbackup {

const char* prune_mode_name(PruneMode mode) noexcept {
  switch (mode) {
    case PruneMode::none: return "none";
    case PruneMode::filter: return "filter";
    case PruneMode::remove: return "delete";
  }
  return "none";
}

bool prune_matches(const PruneOptions& o, const std::string& db, const std::string& table) {
  if (o.mode == PruneMode::none) return false;
  std::string name = db + "." + table;
  for (const auto& p : o.tables)
    if (fnmatch(p.c_str(), name.c_str(), 0) == 0) return true;
  return false;
}

std::string prune_key(Session& s, const std::string& db, const std::string& table) {
  std::optional<ChunkKey> key = choose_chunk_key(s, db, table);
  if (!key || key->parts.size() != 1)
    throw Error(Errc::invalid_argument, db + "." + table,
                "cannot keep only the newest rows: the table has no single-column primary or "
                "unique NOT NULL key; use --prune-heartbeat=none or a narrower --prune-table");
  return key->parts[0].column;
}

PruneReport prune(const ConnectionOptions& connection, const std::vector<std::string>& databases,
                  const PruneOptions& o, const std::function<void(const PruneProgress&)>& on_progress,
                  const std::atomic<bool>* cancel) {
  if (o.keep_rows == 0)
    throw Error(Errc::invalid_argument, "--prune-keep",
                "keep at least one row: the newest row carries the AUTO_INCREMENT counter");
  if (o.batch_rows == 0) throw Error(Errc::invalid_argument, "--prune-batch", "must be positive");
  PruneReport report;
  if (o.mode != PruneMode::remove) return report;
  Session s(connection);
  for (const auto& db : databases) {
    ResultSet tables = s.query(
        fmt::format("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = {} "
                    "AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
                    quote_string(db)),
        fmt::format("listing the tables of {}", db));
    for (const auto& row : tables.rows) {
      std::string table = row.at(0).value_or("");
      if (!prune_matches(o, db, table)) continue;
      std::string name = db + "." + table;
      std::string key = prune_key(s, db, table);
      std::string qt = quote_qualified(db, table), qk = quote_identifier(key);
      PruneReport::Table tr{db, table, key, 0, 0};
      // The key of the oldest row that is kept; the rows below it go.
      std::optional<std::string> threshold = s.scalar(
          fmt::format("SELECT {} FROM {} ORDER BY {} DESC LIMIT 1 OFFSET {}", qk, qt, qk,
                      o.keep_rows - 1),
          fmt::format("finding the newest {} rows of {}", o.keep_rows, name));
      if (threshold) {
        std::string del = fmt::format("DELETE FROM {} WHERE {} < {} ORDER BY {} LIMIT {}", qt, qk,
                                      quote_string(*threshold), qk, o.batch_rows);
        for (;;) {
          if (cancel_requested(cancel))
            throw Error(Errc::cancelled, name,
                        fmt::format("pruning stopped after {} rows; run it again to finish",
                                    tr.deleted));
          s.execute(del, fmt::format("pruning {}", name));  // autocommit: one short transaction
          std::uint64_t n = s.affected_rows();
          tr.deleted += n;
          if (on_progress) on_progress(PruneProgress{name, tr.deleted});
          if (n < o.batch_rows) break;
        }
      }
      tr.kept = std::stoull(s.scalar(fmt::format("SELECT COUNT(*) FROM {}", qt)).value_or("0"));
      report.tables.push_back(tr);
    }
  }
  return report;
}

PruneInput prune_input(const ConnectionOptions& connection, const std::vector<std::string>& databases,
                       const PruneOptions& o) {
  PruneInput in;
  in.recorded["prune"] = prune_mode_name(o.mode);
  if (o.mode == PruneMode::none) return in;
  std::string patterns;
  for (const auto& p : o.tables) patterns += (patterns.empty() ? "" : " ") + p;
  in.recorded["prune_tables"] = patterns;
  in.recorded["prune_keep_rows"] = std::to_string(o.keep_rows);
  if (o.mode == PruneMode::filter) {
    in.keep_rows = o.keep_rows;
    in.newest_by = [o](Session& s, const std::string& db,
                       const std::string& table) -> std::optional<std::string> {
      if (!prune_matches(o, db, table)) return std::nullopt;
      return prune_key(s, db, table);
    };
  } else {
    in.remove = [connection, databases, o](const std::atomic<bool>* cancel) {
      return prune(connection, databases, o, {}, cancel);
    };
  }
  return in;
}

}  // namespace omsbackup

// omsdump: flags -> DumpOptions -> omsbackup::dump() -> summary and exit status.
#include <fmt/format.h>

#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "common/cli.h"
#include "common/progress.h"
#include "omsbackup/omsbackup.h"

using namespace omsbackup;
namespace t = omsbackup::tools;

namespace {

std::string progress_line(const DumpProgress& p) {
  double rate = p.seconds > 0 ? static_cast<double>(p.raw_bytes) / p.seconds : 0;
  std::string eta = "?";
  if (rate > 0 && p.estimated_bytes > p.raw_bytes)
    eta = t::human_duration(static_cast<double>(p.estimated_bytes - p.raw_bytes) / rate);
  else if (p.estimated_bytes <= p.raw_bytes)
    eta = "0:00";
  return fmt::format("tables {}/{}, chunks {}/{}, {} rows, {} read, {} written, {}/s, ETA {}",
                     p.tables_done, p.tables_total, p.chunks_done, p.chunks_total,
                     t::human_count(p.rows), t::human_bytes(p.raw_bytes),
                     t::human_bytes(p.stored_bytes), t::human_bytes(static_cast<std::uint64_t>(rate)),
                     eta);
}

nlohmann::ordered_json to_json(const DumpReport& r, bool dry_run) {
  nlohmann::ordered_json j;
  j["dry_run"] = dry_run;
  j["archive"] = r.archive;
  j["consistency"] = r.consistency;
  j["encrypted"] = !r.key_id.empty();
  if (!r.key_id.empty()) j["key_id"] = r.key_id;
  j["threads"] = r.threads;
  j["warnings"] = r.warnings;
  j["seconds"] = r.seconds;
  j["rows"] = r.total_rows();
  j["raw_bytes"] = r.total_raw_bytes();
  j["stored_bytes"] = r.total_stored_bytes();
  j["tables"] = nlohmann::json::array();
  for (const auto& tr : r.tables) {
    nlohmann::ordered_json jt = {{"database", tr.database}, {"table", tr.table},
                                 {"chunk_key", tr.chunk_key}, {"chunks", tr.chunks},
                                 {"pruned", tr.pruned}, {"pruned_deleted", tr.pruned_deleted},
                                 {"ddl_only", tr.ddl_only},
                                 {"rows", tr.rows}, {"raw_bytes", tr.raw_bytes},
                                 {"stored_bytes", tr.stored_bytes},
                                 {"estimated_rows", tr.estimated_rows},
                                 {"estimated_bytes", tr.estimated_bytes}};
    j["tables"].push_back(jt);
  }
  return j;
}

void print_plan(const DumpReport& r) {
  std::cout << fmt::format("dry run: {} tables would be dumped with {} threads\n", r.tables.size(),
                           r.threads);
  for (const auto& tr : r.tables) {
    if (!tr.ddl_only.empty()) {
      std::cout << fmt::format("  {}.{}: DDL only ({}: its rows are not its own)\n", tr.database,
                               tr.table, tr.ddl_only);
      continue;
    }
    std::string key = tr.chunk_key.empty() ? "no usable key: one scan cut by size" : "";
    for (const auto& k : tr.chunk_key) key += (key.empty() ? "key " : ", ") + k;
    std::cout << fmt::format("  {}.{}: ~{} rows, ~{}, {} chunk(s), {}\n", tr.database, tr.table,
                             tr.estimated_rows, t::human_bytes(tr.estimated_bytes), tr.chunks, key);
    for (const auto& c : tr.chunk_list) {
      if (tr.chunk_list.size() == 1 && c.lower.empty() && c.upper.empty()) break;
      std::cout << fmt::format("      [{} .. {})  ~{} rows\n", c.lower.empty() ? "-inf" : c.lower,
                               c.upper.empty() ? "+inf" : c.upper, c.estimated_rows);
    }
  }
}

void print_summary(const DumpReport& r) {
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> per_db;
  for (const auto& tr : r.tables) {
    per_db[tr.database].first += tr.rows;
    per_db[tr.database].second += tr.stored_bytes;
  }
  std::cerr << fmt::format("omsdump: wrote {} ({} consistency, {} threads{})\n",
                           r.archive == "-" ? "the archive stream to stdout" : r.archive,
                           r.consistency, r.threads,
                           r.key_id.empty() ? ""
                                            : fmt::format(", encrypted with AES-256-GCM, key id {}",
                                                          r.key_id));
  for (const auto& tr : r.tables) {
    if (!tr.ddl_only.empty())
      std::cerr << fmt::format("  {}.{}: DDL only, no rows archived ({}: its rows are not its "
                               "own)\n",
                               tr.database, tr.table, tr.ddl_only);
    if (tr.pruned_deleted != 0)
      std::cerr << fmt::format("  pruned {}.{}: {} older rows deleted on the source\n", tr.database,
                               tr.table, tr.pruned_deleted);
    if (tr.pruned)
      std::cerr << fmt::format("  pruned {}.{}: only its newest {} row(s) archived; its "
                               "AUTO_INCREMENT counter is kept\n",
                               tr.database, tr.table, tr.rows);
  }
  for (const auto& [db, v] : per_db)
    std::cerr << fmt::format("  {:<30} {:>12} rows {:>12}\n", db, v.first, t::human_bytes(v.second));
  std::cerr << fmt::format("  total: {} tables, {} rows, {} read, {} stored, {:.1f}s\n",
                           r.tables.size(), r.total_rows(), t::human_bytes(r.total_raw_bytes()),
                           t::human_bytes(r.total_stored_bytes()), r.seconds);
}

// omsdump --from-sql FILE: --databases names the file's database only when the file
// does not (a dump of one database without --databases).
int import_file(const std::string& file, DumpOptions& o, bool json, bool quiet) {
  ImportSqlOptions io;
  io.sql_file = file;
  t::ProgressPrinter progress("omsdump");
  if (!quiet) {
    o.on_progress = [&](const DumpProgress& p) {
      progress.update(progress_line(p), p.chunks_done == p.chunks_total);
    };
  }
  o.on_lock_wait = [&](const LockWait& w) { progress.note("waiting: " + w.message); };
  o.cancel = t::cancel_on_signals();
  io.dump = o;
  DumpReport r = import_sql(io);
  progress.finish();
  for (const auto& w : r.warnings) std::cerr << "omsdump: warning: " << w << "\n";
  if (json)
    std::cout << to_json(r, false).dump(2) << "\n";
  else
    print_summary(r);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return t::run_main("omsdump", [&] {
    CLI::App app{"omsdump: back up MySQL/MariaDB/OceanBase databases (OMS metadata) into a "
                 "verified, compressed archive directory",
                 "omsdump"};
    app.set_help_flag("--help", "Print this help and exit");
    app.set_version_flag("--version", version());
    t::ConnectionFlags conn;
    t::add_connection_flags(app, conn);
    DumpOptions o;
    bool json = false, skip_triggers = false, quiet = false;
    std::string consistency = "auto";
    app.add_option("--databases,-B", o.databases,
                   "Databases to dump: -B rm cm, -B rm,cm or -B rm -B cm (default with "
                   "--oms-config: rm, cm and every region's heartbeat database)")
        ->delimiter(',');
    app.add_option("-o,--output", o.output,
                   "Archive directory to create (must not exist), or - to write the archive as "
                   "one stream to stdout (omsdump -o - | aws s3 cp - s3://...)");
    app.add_option("--spool-dir", o.spool_dir,
                   "With -o -: where chunk files wait until streamed (default $TMPDIR, else /tmp)");
    app.add_option("-i,--include", o.include_tables,
                   "Dump only tables matching this db.table glob pattern (e.g. 'cm.*'; repeatable)")
        ->allow_extra_args(false);
    app.add_option("-x,--exclude", o.exclude_tables,
                   "Skip tables matching this db.table glob pattern (repeatable)")
        ->allow_extra_args(false);
    app.add_option("--threads,-t", o.threads,
                   "Reader connections; 0 (the default): the number of cores, lowered to what the "
                   "server accepts. More than the server accepts (max_connections less the "
                   "connections open) is refused");
    app.add_option("--chunk-size", o.chunk_bytes,
                   "Target uncompressed chunk size, e.g. 64MiB (default), 512KiB")
        ->transform(CLI::AsSizeValue(false));
    app.add_option("--compress-level", o.compress_level,
                   "zstd level 1-19 (default 1, the fastest; higher levels cost CPU and may not shrink the archive: docs/benchmarks.md)")
        ->check(CLI::Range(1, 19))
        ->capture_default_str();
    app.add_option("--consistency", consistency,
                   "auto (lock if allowed, else checked snapshots), lock, snapshot or none")
        ->check(CLI::IsMember({"auto", "lock", "snapshot", "none"}))
        ->capture_default_str();
    t::add_encryption_flag(app, o.encryption.key_file,
                           "Encrypt and authenticate every file of the archive with this key "
                           "(AES-256-GCM); recommended, the OMS metadata holds credentials");
    app.add_flag("--skip-triggers", skip_triggers, "Do not dump triggers (the old --triggers=false)");
    std::string prune_mode = "filter";
    std::vector<std::string> prune_tables;
    app.add_option("--prune-heartbeat", prune_mode,
                   "filter: keep only the newest heartbeat rows in the archive (source untouched); "
                   "delete: delete the older rows on the source in small batches first; none")
        ->check(CLI::IsMember({"filter", "delete", "none"}))
        ->capture_default_str();
    app.add_option("--prune-table", prune_tables,
                   "db.table glob pattern of the tables to prune (repeatable; default: "
                   "*.heatbeat_sequence)")
        ->allow_extra_args(false);
    app.add_option("--prune-keep", o.prune.keep_rows, "Newest rows kept per pruned table")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--prune-batch", o.prune.batch_rows, "Rows per DELETE transaction (delete mode)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_flag("--allow-empty", o.allow_empty,
                 "Complete the archive even if a requested database has no tables");
    std::string from_sql;
    app.add_option("--from-sql", from_sql,
                   "Import this mysqldump/mariadb-dump file (the old procedure's) into the archive "
                   "instead of reading databases: loaded into scratch databases on the server, "
                   "archived under the file's database names, then dropped (docs/from-sql.md)");
    app.add_flag("--dry-run", o.dry_run, "Print the plan (tables, chunks, estimates); write nothing");
    app.add_flag("--json", json, "Print a machine-readable report on stdout");
    app.add_flag("-q,--quiet", quiet, "No progress display");
    if (std::optional<int> status = t::parse(app, conn, argc, argv)) return *status;
    if (o.output.empty() && !o.dry_run)
      throw Error(Errc::invalid_argument, "--output", "name the archive directory to create");
    if (o.output == "-" && json)
      throw Error(Errc::invalid_argument, "--json",
                  "stdout carries the stream with -o -; the summary goes to stderr");
    o.triggers = !skip_triggers;
    o.prune.mode = prune_mode == "delete" ? PruneMode::remove
                   : prune_mode == "none" ? PruneMode::none
                                          : PruneMode::filter;
    if (!prune_tables.empty()) o.prune.tables = prune_tables;
    o.consistency = consistency == "lock"       ? Consistency::lock
                    : consistency == "snapshot" ? Consistency::snapshot
                    : consistency == "none"     ? Consistency::none
                                                : Consistency::automatic;
    o.connection = t::connection_options(conn);
    if (!from_sql.empty()) return import_file(from_sql, o, json, quiet);
    if (o.databases.empty()) o.databases = conn.oms_databases;
    if (o.databases.empty())
      throw Error(Errc::invalid_argument, "--databases",
                  "name the databases to dump, or give --oms-config");
    t::ProgressPrinter progress("omsdump");
    if (!quiet && !o.dry_run) {
      o.on_progress = [&](const DumpProgress& p) {
        progress.update(progress_line(p), p.chunks_done == p.chunks_total);
      };
    }
    o.on_lock_wait = [&](const LockWait& w) { progress.note("waiting: " + w.message); };
    o.cancel = t::cancel_on_signals();
    DumpReport r = dump(o);
    progress.finish();
    for (const auto& w : r.warnings) std::cerr << "omsdump: warning: " << w << "\n";
    if (json) {
      std::cout << to_json(r, o.dry_run).dump(2) << "\n";
    } else if (o.dry_run) {
      print_plan(r);
    } else {
      print_summary(r);
    }
    return 0;
  });
}

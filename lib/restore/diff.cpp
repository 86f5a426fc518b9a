// omsrestore --diff: the archive against the live databases a restore of it would replace.
//   verify the archive (as a restore does) -> choose the targets (as a restore does:
//   --databases, --rename) -> read the live catalog -> one READ ONLY consistent snapshot:
//   every compared table's rows, read and digested as the restore's proof reads them ->
//   the definitions again (unchanged while the rows were read) -> views, routines,
//   triggers and events, compared as the restore's object proof compares them.
// Nothing is written; docs/diff.md.
#include "restore/diff.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "archive/archive_reader.h"
#include "archive/archive_stream.h"
#include "catalog/catalog.h"
#include "catalog/table_filter.h"
#include "codec/content_digest.h"
#include "omsbackup/error.h"
#include "restore/objects.h"
#include "restore/restore_plan.h"
#include "restore/restore_state.h"
#include "restore/staging.h"
#include "scan/reader_session.h"
#include "scan/table_reader.h"
#include "sql/quote.h"
#include "sql/session.h"
#include "util/test_hook.h"

namespace omsbackup {

namespace {

constexpr unsigned kParseError = 1064, kUnknownSystemVariable = 1193;

std::string show_create_table(Session& s, const std::string& db, const std::string& table) {
  ResultSet r = s.query(fmt::format("SHOW CREATE TABLE {}", quote_qualified(db, table)),
                        fmt::format("reading the definition of {}.{}", db, table));
  if (r.rows.empty() || r.rows[0].size() < 2)
    throw Error(Errc::server, db + "." + table, "SHOW CREATE TABLE returned nothing");
  return r.rows[0][1].value_or("");
}

bool same_columns(const std::vector<ColumnDef>& a, const std::vector<ColumnDef>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const ColumnDef& x, const ColumnDef& y) {
    return x.name == y.name && x.data_type == y.data_type && x.column_type == y.column_type &&
           x.generated == y.generated && x.invisible == y.invisible;
  });
}

// A live table whose rows are read in the snapshot.
struct PendingRead {
  std::size_t database = 0, table = 0;  // in the report
  std::string live_db;
  TableDef def;             // the SELECT list: the archive's, or the live one when they differ
  std::string create_sql;   // the live definition read before the snapshot (AUTO_INCREMENT aside)
  std::optional<ContentDigest> expected;  // the archive's, when the digests are comparable
};

class DiffRun {
 public:
  DiffRun(const DiffOptions& o, OpenedArchive& archive, Env& env)
      : restore_options_(restore_options(o)), st_(restore_options_, archive, env) {}

  DiffReport run();

 private:
  static RestoreOptions restore_options(const DiffOptions& o) {
    RestoreOptions r;
    r.connection = o.connection;
    r.archive = o.archive;
    r.databases = o.databases;
    r.rename = o.rename;
    return r;
  }
  void pin(Session& s);
  void compare_catalog(Session& s, const Target& t, DatabaseDiff& d, std::size_t index);
  void read_rows(Session& s);
  void compare_objects_of(Session& s, const Target& t, DatabaseDiff& d);
  void tally();

  RestoreOptions restore_options_;
  RestoreState st_;
  DiffReport report_;
  std::vector<PendingRead> reads_;
  DigestKind kind_ = DigestKind::xxh3_128_sum;
};

// The proof's reader settings (binary results, REPEATABLE READ) and, where the server has
// it, READ ONLY for every transaction of the session: a write would fail.
void DiffRun::pin(Session& s) {
  pin_reader_session(s);
  try {
    s.execute("SET SESSION TRANSACTION READ ONLY", "making the session read-only");
    report_.read_only = true;
  } catch (const Error& e) {
    if (e.server_errno() != kParseError && e.server_errno() != kUnknownSystemVariable) throw;
    report_.warnings.push_back(fmt::format(
        "the server has no read-only transactions ({}); the diff only reads all the same", e.message()));
  }
}

DiffReport DiffRun::run() {
  RestorePlanner(st_).choose_targets();
  report_.warnings = st_.report.warnings;
  kind_ = digest_kind_of(st_.m.format_version);
  report_.digest = kind_ == DigestKind::sha256_sum ? "sha256-sum" : "xxh3-128-sum";
  Session s(st_.o.connection, [this](Session& w) { pin(w); });
  const ServerInfo& srv = s.server();
  if (std::string(flavor_name(srv.flavor)) != st_.m.server_flavor || srv.version != st_.m.server_version)
    report_.warnings.push_back(fmt::format(
        "the archive comes from {} {} and the server is {} {}: it may print the same definition "
        "differently, so a definition reported as changed may be the same",
        st_.m.server_flavor, st_.m.server_version, flavor_name(srv.flavor), srv.version));
  report_.databases.resize(st_.targets.size());
  for (std::size_t i = 0; i < st_.targets.size(); ++i)
    compare_catalog(s, st_.targets[i], report_.databases[i], i);
  read_rows(s);
  for (std::size_t i = 0; i < st_.targets.size(); ++i)
    compare_objects_of(s, st_.targets[i], report_.databases[i]);
  tally();
  return report_;
}

void DiffRun::compare_catalog(Session& s, const Target& t, DatabaseDiff& d, std::size_t index) {
  const DatabaseEntry& e = *t.entry;
  d.archive_name = e.name;
  d.live_name = t.names.name;
  std::map<std::string, TableDiff> tables;
  for (const TableEntry& te : e.tables) {
    TableDiff& td = tables[te.def.name];
    td.name = te.def.name;
    td.archive_kind = "table";
    td.ddl_only = te.def.ddl_only;
    if (te.def.ddl_only.empty()) td.archive_rows = te.rows;
    td.archive_auto_increment = te.def.auto_increment;
    td.state = DiffState::only_in_archive;
  }
  for (const ViewDef& v : e.objects.views) tables[v.name].archive_kind = "view";
  d.live_exists = database_exists(s, d.live_name);
  if (!d.live_exists) {
    // Every table is only in the archive (its objects too: compare_objects_of finds none).
    for (auto& [name, td] : tables)
      if (td.archive_kind == "table") d.tables.push_back(td);
    return;
  }
  const DatabaseDef live = read_database(s, d.live_name, CatalogOptions{false, false, false});
  std::string expected_db = expected_create_database(d.live_name, e);
  if (live.create_sql != expected_db) {
    d.definition_differs = true;
    d.detail = "SHOW CREATE DATABASE differs at " + first_difference(expected_db, live.create_sql);
  }
  for (const ViewDef& v : live.objects.views) tables[v.name].live_kind = "view";
  for (const auto& [name, what] : live.unsupported) tables[name].live_kind = what;
  std::map<std::string, const TableDef*> live_tables;
  for (const TableDef& lt : live.tables) {
    tables[lt.name].live_kind = "table";
    live_tables[lt.name] = &lt;
  }
  const TableFilter filter = TableFilter::from_recorded(st_.m.options);
  std::map<std::string, const TableEntry*> archived;
  for (const TableEntry& te : e.tables) archived[te.def.name] = &te;
  for (auto& [name, td] : tables) {
    td.name = name;
    if (td.archive_kind.empty() && td.live_kind.empty()) continue;
    if (td.archive_kind == "view" && td.live_kind == "view") continue;  // an object: compared below
    if (td.archive_kind.empty() && td.live_kind == "view") continue;    // a view created since
    if (td.archive_kind == "view" && td.live_kind.empty()) continue;    // a view dropped since
    if (td.archive_kind != td.live_kind) {
      td.state = td.archive_kind.empty() ? DiffState::only_live
                 : td.live_kind.empty()  ? DiffState::only_in_archive
                                         : DiffState::kind_changed;
      if (td.state == DiffState::only_live && !filter.selects(e.name, name)) {
        td.state = DiffState::excluded;
        td.detail = "not in the archive: the dump left it out (--include/--exclude)";
      }
      if (td.state == DiffState::kind_changed)
        td.detail = fmt::format("a {} in the archive, a {} on the server", td.archive_kind, td.live_kind);
      d.tables.push_back(td);
      if (td.live_kind == "table") {
        // Its rows are counted in the snapshot too.
        const TableDef& lt = *live_tables.at(name);
        d.tables.back().live_auto_increment = lt.auto_increment;
        if (lt.ddl_only.empty())
          reads_.push_back({index, d.tables.size() - 1, d.live_name, lt,
                            without_auto_increment(lt.create_sql), std::nullopt});
      }
      continue;
    }
    // A table on both sides.
    const TableEntry& te = *archived.at(name);
    const TableDef& lt = *live_tables.at(name);
    td.live_auto_increment = lt.auto_increment;
    td.auto_increment_differs = td.archive_auto_increment != td.live_auto_increment;
    const std::string want = without_auto_increment(te.def.create_sql);
    const std::string got = without_auto_increment(lt.create_sql);
    if (want != got) {
      td.definition_differs = true;
      td.detail = "SHOW CREATE TABLE differs at " + first_difference(want, got);
    }
    d.tables.push_back(td);
    if (!te.def.ddl_only.empty()) continue;  // DDL only: the definition is all there is
    PendingRead r{index, d.tables.size() - 1, d.live_name, te.def, got, std::nullopt};
    if (same_columns(te.def.columns, lt.columns)) {
      ContentDigest expected(kind_);
      for (const ChunkInfo& c : te.chunks) expected.merge(ContentDigest::from(kind_, c.rows, c.digest));
      r.expected = expected;
    } else {
      // Other columns: the rows are counted, their digests cannot be compared.
      r.def = lt;
      d.tables.back().detail += std::string(d.tables.back().detail.empty() ? "" : "; ") +
                                "the columns differ: rows counted, not compared";
    }
    reads_.push_back(std::move(r));
  }
}

// Every pending table's rows in one snapshot, READ ONLY where the server has it; then each
// table's definition again, under the metadata lock its read holds until the end of the
// snapshot: the rows were read from the table the catalog described.
void DiffRun::read_rows(Session& s) {
  s.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT", "starting the diff's snapshot");
  test_point("diff.snapshot");
  for (PendingRead& r : reads_) {
    TableDiff& td = report_.databases[r.database].tables[r.table];
    const std::string what = fmt::format("{}.{}", r.live_db, r.def.name);
    ReadResult got = read_table(s, r.live_db, r.def, "", what, kind_,
                                [](std::string_view, const ContentDigest&) {});
    td.live_rows = got.digest.rows();
    if (r.expected) td.rows_same = got.digest == *r.expected;
    test_point("diff.table-read");
  }
  for (const PendingRead& r : reads_)
    if (without_auto_increment(show_create_table(s, r.live_db, r.def.name)) != r.create_sql)
      throw Error(Errc::server, r.live_db + "." + r.def.name,
                  "its definition changed while the diff read it (DDL during the diff); run "
                  "the diff again");
  s.execute("COMMIT", "ending the diff's snapshot");
}

void DiffRun::compare_objects_of(Session& s, const Target& t, DatabaseDiff& d) {
  std::set<std::string> table_like;  // views reported as a table's kind_changed already
  for (const TableDiff& td : d.tables)
    if (td.state == DiffState::kind_changed) table_like.insert(td.name);
  for (const ObjectFinding& f : compare_objects(s, retarget(*t.entry, t.names.name))) {
    if (f.kind == "view" && table_like.count(f.name)) continue;
    static const char* const states[] = {"only in archive", "only live", "changed", "changed"};
    d.objects.push_back({f.kind, f.name, states[f.what], f.detail});
  }
}

void DiffRun::tally() {
  for (DatabaseDiff& d : report_.databases) {
    std::sort(d.tables.begin(), d.tables.end(),
              [](const TableDiff& a, const TableDiff& b) { return a.name < b.name; });
    for (TableDiff& td : d.tables) {
      if (td.archive_kind == "table" && td.live_kind == "table") {
        const bool rows_differ = td.rows_same ? !*td.rows_same : td.archive_rows != td.live_rows;
        td.state = td.definition_differs       ? DiffState::definition_changed
                   : rows_differ               ? DiffState::rows_changed
                   : td.auto_increment_differs ? DiffState::counter_changed
                                               : DiffState::same;
      }
      ++report_.tables_compared;
      if (td.state != DiffState::same && td.state != DiffState::excluded) ++report_.tables_differing;
    }
    report_.objects_differing += d.objects.size();
    if (!d.live_exists || d.definition_differs) report_.identical = false;
  }
  if (report_.tables_differing || report_.objects_differing) report_.identical = false;
}

}  // namespace

std::string without_auto_increment(const std::string& create_sql) {
  // The table options follow the last closing parenthesis of the column list
  // (parse_auto_increment reads the counter the same way).
  std::size_t close = create_sql.rfind(')');
  if (close == std::string::npos) return create_sql;
  static const std::string key = " AUTO_INCREMENT=";
  std::size_t pos = create_sql.find(key, close);
  if (pos == std::string::npos) return create_sql;
  std::size_t end = pos + key.size();
  while (end < create_sql.size() && create_sql[end] >= '0' && create_sql[end] <= '9') ++end;
  return create_sql.substr(0, pos) + create_sql.substr(end);
}

DiffReport run_diff(Env& env, const DiffOptions& options) {
  if (options.archive.empty())
    throw Error(Errc::invalid_argument, "ARCHIVE", "name the archive directory or stream to compare");
  auto t0 = std::chrono::steady_clock::now();
  // As a restore: the key first, then the whole archive, before the server is contacted.
  std::optional<SecretKey> key = load_key(env, options.encryption);
  // A stream is spooled whole (and removed afterwards) and then read like a directory.
  ArchiveDirectory dir(env, options.archive, options.spool_dir);
  DiffOptions o = options;
  o.archive = dir.dir();
  OpenedArchive archive = open_archive(env, o.archive, VerifyOptions{false, key ? &*key : nullptr});
  key.reset();
  DiffReport r = DiffRun(o, archive, env).run();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

const char* diff_state_name(DiffState state) noexcept {
  switch (state) {
    case DiffState::same: return "same";
    case DiffState::rows_changed: return "rows changed";
    case DiffState::definition_changed: return "definition changed";
    case DiffState::counter_changed: return "AUTO_INCREMENT changed";
    case DiffState::only_in_archive: return "only in archive";
    case DiffState::only_live: return "only live";
    case DiffState::excluded: return "not in archive (excluded by the dump)";
    case DiffState::kind_changed: return "kind changed";
  }
  return "?";
}

}  // namespace omsbackup

// omsrestore: flags -> RestoreOptions -> omsbackup::restore() (or verify() with
// --check) -> summary and exit status.
#include <fmt/format.h>

#include <iostream>
#include <map>

#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "common/cli.h"
#include "common/progress.h"
#include "omsbackup/omsbackup.h"

using namespace omsbackup;

static nlohmann::ordered_json check_json(const std::string& archive, const ArchiveInfo& a) {
  nlohmann::ordered_json j;
  j["archive"] = archive;
  j["ok"] = true;
  j["format_version"] = a.format_version;
  j["files"] = a.files;
  j["encrypted"] = a.encrypted;
  if (a.encrypted) {
    j["cipher"] = a.cipher;
    j["key_id"] = a.key_id;
  }
  j["tool_version"] = a.tool_version;
  j["server_flavor"] = a.server_flavor;
  j["server_version"] = a.server_version;
  j["started_at"] = a.started_at;
  j["finished_at"] = a.finished_at;
  j["consistency"] = a.consistency;
  j["options"] = a.options;
  j["databases"] = nlohmann::json::array();
  for (const auto& d : a.databases) {
    nlohmann::ordered_json jd = {{"name", d.name},         {"charset", d.charset},
                                 {"collation", d.collation}, {"views", d.views},
                                 {"routines", d.routines}, {"triggers", d.triggers},
                                 {"events", d.events}};
    jd["tables"] = nlohmann::json::array();
    for (const auto& t : a.tables) {
      if (t.database != d.name) continue;
      jd["tables"].push_back(nlohmann::ordered_json{{"table", t.table},
                                                    {"rows", t.rows},
                                                    {"chunks", t.chunks},
                                                    {"raw_bytes", t.raw_bytes},
                                                    {"stored_bytes", t.stored_bytes},
                                                    {"ddl_only", t.ddl_only}});
    }
    j["databases"].push_back(jd);
  }
  return j;
}

// --check (deep: every chunk decompressed and its rows proven) and --list (shallow: every
// file's size and SHA-256): what the archive holds.
static int check(const std::string& archive, const EncryptionOptions& encryption, bool json,
                 bool deep) {
  ArchiveInfo a = verify(archive, deep, encryption);
  if (json) {
    nlohmann::ordered_json j = check_json(archive, a);
    j["checked"] = deep ? "deep" : "files";
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << fmt::format(
      "archive {}: OK (format v{}, {} files verified{}{})\n", archive, a.format_version, a.files,
      a.encrypted ? fmt::format(", encrypted with {}, key id {}", a.cipher, a.key_id) : "",
      deep ? (a.encrypted ? ", every segment authenticated, every row proven" : ", every row proven")
           : "; rows not decompressed, --check does that");
  std::cout << fmt::format("taken {} .. {} from {} {} by omsbackup {}; consistency: {}\n",
                           a.started_at, a.finished_at, a.server_flavor, a.server_version,
                           a.tool_version, a.consistency);
  std::string opts;
  for (const auto& [k, v] : a.options) opts += fmt::format("{}{}={}", opts.empty() ? "" : ", ", k, v);
  std::cout << "dumped with: " << opts << "\n";
  for (const auto& d : a.databases) {
    std::uint64_t rows = 0, stored = 0, tables = 0;
    for (const auto& t : a.tables) {
      if (t.database != d.name) continue;
      ++tables;
      rows += t.rows;
      stored += t.stored_bytes;
    }
    std::cout << fmt::format("  database {} ({} / {}): {} tables, {} rows, {}; {} views, {} "
                             "routines, {} triggers, {} events\n",
                             d.name, d.charset, d.collation, tables, rows,
                             tools::human_bytes(stored), d.views, d.routines, d.triggers, d.events);
    for (const auto& t : a.tables) {
      if (t.database != d.name) continue;
      std::cout << fmt::format("    {:<40} {:>12} rows {:>5} chunks {:>10} -> {:>10}{}\n", t.table,
                               t.rows, t.chunks, tools::human_bytes(t.raw_bytes),
                               tools::human_bytes(t.stored_bytes),
                               t.ddl_only.empty() ? "" : " (DDL only: " + t.ddl_only + ")");
    }
  }
  return 0;
}

// --pack / --unpack: the summary goes to stderr (stdout may be the stream).
static int pack_stream(const std::string& archive, const std::string& to,
                       const EncryptionOptions& encryption) {
  StreamReport r = pack(archive, to, encryption);
  std::cerr << fmt::format("omsrestore: packed {} ({} files) into {}: {}{}\n", archive, r.files,
                           to == "-" ? "stdout" : to, tools::human_bytes(r.bytes),
                           r.verified ? ", verified first"
                                      : "; encrypted and packed without its key, so not verified "
                                        "(give --encrypt-key-file to verify first)");
  return 0;
}

static int unpack_stream(const std::string& stream, const std::string& to) {
  StreamReport r = unpack(stream, to);
  std::cerr << fmt::format("omsrestore: unpacked {} files ({}) into {}; verify it with "
                           "omsrestore {} --check\n",
                           r.files, tools::human_bytes(r.bytes), to, to);
  return 0;
}

// --to-sql: the archive as an SQL script (no server contacted). With "-" the script is
// the only thing on stdout; the summary goes to stderr.
static int to_sql(ExportSqlOptions& x, bool json, bool quiet) {
  if (json && x.output == "-")
    throw Error(Errc::invalid_argument, "--json",
                "--to-sql - writes the script to standard output; --json cannot share it");
  x.cancel = tools::cancel_on_signals();
  ExportSqlReport r = export_sql(x);
  for (const auto& w : r.warnings) std::cerr << "omsrestore: warning: " << w << "\n";
  if (json) {
    nlohmann::ordered_json j = {{"to_sql", x.output},    {"databases", r.databases},
                                {"tables", r.tables},    {"rows", r.rows},
                                {"objects", r.objects},  {"bytes", r.bytes},
                                {"longest_statement", r.longest_statement},
                                {"seconds", r.seconds},  {"warnings", r.warnings}};
    std::cout << j.dump(2) << "\n";
  } else if (!quiet) {
    std::cerr << fmt::format(
        "omsrestore: wrote {} ({}: {} tables, {} rows, {} objects; {}, longest statement {}) in "
        "{:.1f}s; load it with: mariadb --binary-mode --comments --default-character-set=binary "
        "--max-allowed-packet=1G ... < FILE\n",
        x.output == "-" ? "the SQL script to standard output" : x.output,
        fmt::join(r.databases, ", "), r.tables, r.rows, r.objects, tools::human_bytes(r.bytes),
        tools::human_bytes(r.longest_statement), r.seconds);
  }
  return 0;
}

// --diff: the archive against the live databases, one line per table that a restore would
// change; exit status 0 when nothing differs, 3 when something does (1 failure, 2 bad
// arguments).
static int diff_mode(const RestoreOptions& o, bool json) {
  DiffOptions d;
  d.connection = o.connection;
  d.archive = o.archive;
  d.spool_dir = o.spool_dir;
  d.encryption = o.encryption;
  d.databases = o.databases;
  d.rename = o.rename;
  DiffReport r = diff(d);
  for (const auto& w : r.warnings) std::cerr << "omsrestore: warning: " << w << "\n";
  auto rows = [](const std::optional<std::uint64_t>& n) { return n ? std::to_string(*n) : std::string("-"); };
  if (json) {
    nlohmann::ordered_json j = {{"archive", o.archive},         {"identical", r.identical},
                                {"digest", r.digest},           {"read_only", r.read_only},
                                {"tables_compared", r.tables_compared},
                                {"tables_differing", r.tables_differing},
                                {"objects_differing", r.objects_differing},
                                {"databases", nlohmann::json::array()},
                                {"warnings", r.warnings},       {"seconds", r.seconds}};
    auto opt = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(); };
    for (const auto& db : r.databases) {
      nlohmann::ordered_json jd = {{"archive_name", db.archive_name}, {"live_name", db.live_name},
                                   {"live_exists", db.live_exists},
                                   {"definition_differs", db.definition_differs},
                                   {"detail", db.detail}, {"tables", nlohmann::json::array()},
                                   {"objects", nlohmann::json::array()}};
      for (const auto& t : db.tables)
        jd["tables"].push_back(nlohmann::ordered_json{
            {"table", t.name}, {"state", diff_state_name(t.state)},
            {"archive_kind", t.archive_kind}, {"live_kind", t.live_kind},
            {"archive_rows", opt(t.archive_rows)}, {"live_rows", opt(t.live_rows)},
            {"rows_same", opt(t.rows_same)}, {"definition_differs", t.definition_differs},
            {"archive_auto_increment", opt(t.archive_auto_increment)},
            {"live_auto_increment", opt(t.live_auto_increment)},
            {"auto_increment_differs", t.auto_increment_differs}, {"ddl_only", t.ddl_only},
            {"detail", t.detail}});
      for (const auto& ob : db.objects)
        jd["objects"].push_back(nlohmann::ordered_json{
            {"kind", ob.kind}, {"name", ob.name}, {"state", ob.state}, {"detail", ob.detail}});
      j["databases"].push_back(jd);
    }
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << fmt::format("archive {} against the live databases ({} digests, one {}snapshot)\n",
                             o.archive, r.digest, r.read_only ? "READ ONLY " : "");
    for (const auto& db : r.databases) {
      std::cout << fmt::format("database {}{}{}{}\n", db.archive_name,
                               db.live_name == db.archive_name ? "" : " -> live " + db.live_name,
                               db.live_exists ? "" : ": not on the server",
                               db.definition_differs ? ": " + db.detail : "");
      std::cout << fmt::format("  {:<40} {:<38} {:>12} {:>12}\n", "table", "state", "archive rows",
                               "live rows");
      for (const auto& t : db.tables) {
        std::cout << fmt::format("  {:<40} {:<38} {:>12} {:>12}\n", t.name, diff_state_name(t.state),
                                 rows(t.archive_rows), rows(t.live_rows));
        std::vector<std::string> notes;
        if (t.definition_differs || t.state == DiffState::kind_changed || !t.detail.empty())
          notes.push_back(t.detail);
        if (t.rows_same && !*t.rows_same && t.archive_rows == t.live_rows)
          notes.push_back("same row count, other rows (content digest)");
        if (t.auto_increment_differs)
          notes.push_back(fmt::format("AUTO_INCREMENT {} in the archive, {} live",
                                      rows(t.archive_auto_increment), rows(t.live_auto_increment)));
        if (!t.ddl_only.empty()) notes.push_back("archived DDL only (" + t.ddl_only + "): definition compared");
        for (const auto& n : notes)
          if (!n.empty()) std::cout << "      " << n << "\n";
      }
      for (const auto& ob : db.objects)
        std::cout << fmt::format("  {} {}: {}{}\n", ob.kind, ob.name, ob.state,
                                 ob.detail.empty() ? "" : " (" + ob.detail + ")");
    }
    std::cout << fmt::format(
        "{} tables compared, {} differ, {} views/routines/triggers/events differ: {}\n",
        r.tables_compared, r.tables_differing, r.objects_differing,
        r.identical ? "identical, a restore would change nothing"
                    : "a restore of this archive would undo these differences");
  }
  return r.identical ? 0 : 3;
}

namespace {

std::string progress_line(const RestoreProgress& p) {
  double rate = p.seconds > 0 ? static_cast<double>(p.raw_bytes) / p.seconds : 0;
  std::string line = fmt::format(
      "{}: chunks {}/{}, {} rows, {} of {} ({}/s)", p.phase, p.chunks_done, p.chunks_total,
      tools::human_count(p.rows), tools::human_bytes(p.raw_bytes),
      tools::human_bytes(p.raw_bytes_total), tools::human_bytes(static_cast<std::uint64_t>(rate)));
  // The loads are most of a restore; the time they have left at the rate so far.
  if (p.phase == "load")
    line += ", ETA " + (rate > 0 && p.raw_bytes_total >= p.raw_bytes
                            ? tools::human_duration(
                                  static_cast<double>(p.raw_bytes_total - p.raw_bytes) / rate)
                            : std::string("?"));
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  return tools::run_main("omsrestore", [&] {
    CLI::App app{"omsrestore: verify an omsdump archive, then restore its databases (built under "
                 "a staging name, proven identical to the archive, swapped in) ",
                 "omsrestore"};
    app.set_help_flag("--help", "Print this help and exit");
    app.set_version_flag("--version", version());
    tools::ConnectionFlags conn;
    tools::add_connection_flags(app, conn);
    RestoreOptions o;
    bool check_only = false, list = false, diff_only = false, no_verify = false, json = false,
         quiet = false;
    std::string pack_to, unpack_to;
    std::string method = "auto";
    std::vector<std::string> renames;
    std::string to_sql_file;
    app.add_option("ARCHIVE", o.archive,
                   "Archive directory written by omsdump, or a stream of one: - (stdin, e.g. "
                   "from omsdump -o -) or a stream file; a stream is spooled whole and verified "
                   "before anything else")
        ->required();
    app.add_flag("--check", check_only,
                 "Only verify the archive deeply (every row; no server contacted) and print what "
                 "it holds");
    app.add_flag("--list", list,
                 "Print what the archive holds (server, time, consistency, options, databases, "
                 "tables, rows, sizes, key id) after checking every file's size and SHA-256; no "
                 "server contacted");
    app.add_option("--pack", pack_to,
                   "Write the archive directory ARCHIVE as one stream to FILE (- for stdout); no "
                   "server contacted");
    app.add_option("--unpack", unpack_to,
                   "Write the stream ARCHIVE (a file, or - for stdin) into the new directory DIR, "
                   "byte for byte; no server contacted");
    app.add_option("--spool-dir", o.spool_dir,
                   "Where a stream is spooled before it is verified and restored, exported "
                   "(--to-sql) or compared (--diff) (default "
                   "$TMPDIR, else /tmp); needs the archive's size free");
    app.add_option("--to-sql", to_sql_file,
                   "Write the archive as an SQL script for the mariadb/mysql client to FILE (or - "
                   "for standard output) instead of restoring; no server contacted "
                   "(-B, --rename and --encrypt-key-file apply)")
        ->allow_extra_args(false);
    app.add_flag("--diff", diff_only,
                 "Compare the archive with the live databases (per table: rows, content, "
                 "definition; views, routines, triggers, events) and change nothing. Exit status "
                 "0: identical, 3: they differ")
        ->excludes("--check");
    tools::add_encryption_flag(app, o.encryption.key_file,
                               "Key of an encrypted archive (also for --check); checked before "
                               "the server is contacted");
    // One value per flag (comma lists allowed), so that `-B rm ARCHIVE --dry-run` keeps ARCHIVE.
    app.add_option("--databases,-B", o.databases,
                   "Restore only these databases of the archive (-B rm,cm or -B rm -B cm)")
        ->delimiter(',')
        ->allow_extra_args(false);
    app.add_option("--rename", renames, "Restore database SRC as DST (SRC=DST, repeatable)")
        ->allow_extra_args(false);
    app.add_option("--threads,-t", o.threads,
                   "Loader connections; 0 (the default): the number of cores, lowered to what the "
                   "server accepts. More than the server accepts (max_connections less the "
                   "connections open) is refused");
    app.add_option("--load-method", method, "auto, load-data (LOAD DATA LOCAL INFILE) or insert")
        ->check(CLI::IsMember({"auto", "load-data", "insert"}))
        ->capture_default_str();
    app.add_flag("--in-place", o.in_place,
                 "The old procedure: DROP DATABASE, CREATE DATABASE, load (no staging copy; "
                 "still nothing is dropped before the archive is verified)");
    app.add_flag("--drop-excluded", o.drop_excluded,
                 "Restore even if a live database holds tables the dump left out with "
                 "--include/--exclude (they are dropped: base tables with the old copy, everything "
                 "with --in-place)");
    app.add_flag("--no-verify", no_verify, "Skip the proof after loading (row counts, digests)");
    app.add_flag("--skip-binlog", o.skip_binlog, "Do not write the load to the binary log");
    app.add_flag("--dry-run", o.dry_run, "Verify, connect, check and print the plan; change nothing");
    app.add_flag("--resume", o.resume, "Continue an interrupted restore from its journal");
    app.add_option("--journal", o.journal,
                   "Restore journal file (default: ARCHIVE.restore-journal)");
    app.add_flag("--json", json,
                 "Print a machine-readable report on stdout (with --check: what the archive holds)");
    app.add_flag("-q,--quiet", quiet, "No progress display");
    if (std::optional<int> status = tools::parse(app, conn, argc, argv)) return *status;
    if (int modes = check_only + list + diff_only + !pack_to.empty() + !unpack_to.empty() +
                    !to_sql_file.empty();
        modes > 1)
      throw Error(Errc::invalid_argument, "--check/--list/--diff/--pack/--unpack/--to-sql",
                  "give only one of them");
    if (check_only || list) return check(o.archive, o.encryption, json, check_only);
    if (!pack_to.empty()) return pack_stream(o.archive, pack_to, o.encryption);
    if (!unpack_to.empty()) return unpack_stream(o.archive, unpack_to);
    for (const auto& r : renames) {
      auto eq = r.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == r.size())
        throw Error(Errc::invalid_argument, "--rename " + r, "expected SRC=DST");
      std::string src = r.substr(0, eq);
      if (auto [it, added] = o.rename.emplace(src, r.substr(eq + 1)); !added)
        throw Error(Errc::invalid_argument, "--rename " + r,
                    fmt::format("{} is already renamed to {} by another --rename; give one "
                                "--rename per database",
                                src, it->second));
    }
    if (!to_sql_file.empty()) {
      if (check_only || o.dry_run || o.resume || o.in_place)
        throw Error(Errc::invalid_argument, "--to-sql",
                    "writes a script and restores nothing: --check, --dry-run, --resume and "
                    "--in-place do not apply");
      ExportSqlOptions x;
      x.archive = o.archive;
      x.spool_dir = o.spool_dir;
      x.encryption = o.encryption;
      x.databases = o.databases;
      x.rename = o.rename;
      x.output = to_sql_file;
      return to_sql(x, json, quiet);
    }
    o.verify = !no_verify;
    o.load_method = method == "load-data" ? LoadMethod::load_data
                    : method == "insert"  ? LoadMethod::insert
                                          : LoadMethod::automatic;
    o.connection = tools::connection_options(conn);
    // With --oms-config, exactly the databases the configuration names are restored.
    if (o.databases.empty()) o.databases = conn.oms_databases;
    if (diff_only) {
      for (const char* f : {"--dry-run", "--resume", "--journal", "--in-place", "--drop-excluded",
                            "--load-method", "--no-verify", "--skip-binlog", "--threads"})
        if (app.count(f))
          throw Error(Errc::invalid_argument, f, "not with --diff, which changes nothing");
      return diff_mode(o, json);
    }
    tools::ProgressPrinter progress("omsrestore");
    if (!quiet && !o.dry_run)
      o.on_progress = [&](const RestoreProgress& p) {
        progress.update(progress_line(p), p.phase == "done");  // the final state always shows
      };
    if (!o.dry_run)
      o.on_lock_wait = [&](const LockWait& w) { progress.note("waiting: " + w.message); };
    o.cancel = tools::cancel_on_signals();
    RestoreReport r = restore(o);
    progress.finish();
    for (const auto& w : r.warnings) std::cerr << "omsrestore: warning: " << w << "\n";
    if (json) {
      nlohmann::ordered_json j = {{"dry_run", o.dry_run},   {"databases", r.databases},
                                  {"tables", r.tables},     {"chunks", r.chunks},
                                  {"rows", r.rows},         {"raw_bytes", r.raw_bytes},
                                  {"load_method", r.load_method}, {"staged", r.staged},
                                  {"verified", r.verified}, {"resumed", r.resumed},
                                  {"threads", r.threads},   {"seconds", r.seconds},
                                  {"plan", r.plan},         {"warnings", r.warnings}};
      std::cout << j.dump(2) << "\n";
    } else if (o.dry_run) {
      std::cout << "dry run: nothing was changed\n";
      for (const auto& line : r.plan) std::cout << "  " << line << "\n";
    } else {
      std::cerr << fmt::format(
          "omsrestore: restored {} ({} tables, {} rows, {}) in {:.1f}s with {} threads ({}){}{}\n",
          fmt::join(r.databases, ", "), r.tables, r.rows, tools::human_bytes(r.raw_bytes),
          r.seconds, r.threads, r.load_method, r.staged ? ", staged and swapped in" : ", in place",
          r.verified ? "; every table proven identical to the archive" : "; NOT verified (--no-verify)");
    }
    return 0;
  });
}

#include "restore/sql_export.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "archive/archive_reader.h"
#include "archive/archive_stream.h"
#include "archive/atomic_file.h"
#include "archive/encryption.h"
#include "codec/column_codec.h"
#include "codec/row.h"
#include "codec/row_decoder.h"
#include "omsbackup/error.h"
#include "omsbackup/omsbackup.h"
#include "restore/objects.h"
#include "restore/restore_plan.h"
#include "restore/staging.h"
#include "sql/quote.h"
#include "util/cancel.h"
#include "util/clock.h"

namespace omsbackup {

namespace {

constexpr std::size_t kFlushBytes = 1024 * 1024;
constexpr std::size_t kReadPiece = 64 * 1024;

// What the client must be told, in the header and in the guard's message.
constexpr const char* kClientCommand =
    "mariadb --binary-mode --comments --default-character-set=binary --max-allowed-packet=1G";

// Standard output, written with write(2).
class StdoutFile final : public WritableFile {
 public:
  void append(std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = ::write(STDOUT_FILENO, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0)
        throw Error(Errc::io, "standard output",
                    fmt::format("cannot write the SQL script: {}", std::strerror(errno)));
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  void sync() override {}
  void close() override {}
};

// A JSON string: a name or path on one comment line, whatever bytes it holds.
std::string shown(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
}

class ScriptWriter {
 public:
  explicit ScriptWriter(WritableFile& out) : out_(out) {}

  void text(std::string_view s) {
    buf_.append(s);
    if (buf_.size() >= kFlushBytes) flush();
  }
  // `sql` and its terminator `delimiter` on a line of its own when `own_line`.
  void statement(std::string_view sql, std::string_view delimiter = ";", bool own_line = false) {
    longest_ = std::max<std::uint64_t>(longest_, sql.size());
    text(sql);
    if (own_line) text("\n");
    text(delimiter);
    text("\n");
  }
  void flush() {
    out_.append(buf_);
    bytes_ += buf_.size();
    buf_.clear();
  }
  std::uint64_t bytes() const { return bytes_ + buf_.size(); }
  std::uint64_t longest() const { return longest_; }

 private:
  WritableFile& out_;
  std::string buf_;
  std::uint64_t bytes_ = 0, longest_ = 0;
};

struct Chosen {
  const DatabaseEntry* entry;
  std::string target;
};

class SqlExport {
 public:
  // `dir`: where the archive is read (options.archive, or a stream's spool).
  SqlExport(Env& env, const ExportSqlOptions& o, const OpenedArchive& a, std::string key_id,
            std::string dir)
      : env_(env), o_(o), a_(a), m_(a.manifest), key_id_(std::move(key_id)), dir_(std::move(dir)) {}

  ExportSqlReport run(ScriptWriter& w);

 private:
  void header(ScriptWriter& w, const std::vector<Chosen>& dbs);
  void preamble(ScriptWriter& w);
  void database(ScriptWriter& w, const Chosen& c);
  void rows(ScriptWriter& w, const std::string& target, const TableEntry& te);
  void objects(ScriptWriter& w, const Chosen& c);
  void trailer(ScriptWriter& w);

  Env& env_;
  const ExportSqlOptions& o_;
  const OpenedArchive& a_;
  const Manifest& m_;
  std::string key_id_;
  std::string dir_;
  ExportSqlReport r_;
};

ExportSqlReport SqlExport::run(ScriptWriter& w) {
  std::vector<Chosen> dbs;
  for (const ChosenDatabase& c : choose_databases(m_, o_.databases, o_.rename, r_.warnings)) {
    dbs.push_back(Chosen{&m_.databases[c.index], c.target});
    r_.databases.push_back(c.target);
  }
  // Everything the client would change is refused before a byte is written.
  for (const Chosen& c : dbs) {
    check_client_safe(c.entry->create_sql, "database " + c.entry->name);
    for (const TableEntry& te : c.entry->tables)
      check_client_safe(te.def.create_sql, fmt::format("table {}.{}", c.entry->name, te.def.name));
    DatabaseEntry target = retarget(*c.entry, c.target);
    for (ObjectKind k : {ObjectKind::routines, ObjectKind::views, ObjectKind::triggers,
                         ObjectKind::events})
      for (const ObjectCreation& oc : object_creations(target, k)) check_client_safe(oc.sql, oc.what);
  }
  header(w, dbs);
  preamble(w);
  // Every database's tables first, then the objects: a view or routine may use a table of
  // another database of the script.
  for (const Chosen& c : dbs) database(w, c);
  for (const Chosen& c : dbs) objects(w, c);
  trailer(w);
  w.flush();
  r_.bytes = w.bytes();
  r_.longest_statement = w.longest();
  return r_;
}

void SqlExport::header(ScriptWriter& w, const std::vector<Chosen>& dbs) {
  std::string h;
  h += fmt::format("-- omsbackup SQL script, written by omsrestore --to-sql (omsbackup {}) at {}\n",
                   version(), utc_now_iso8601());
  h += fmt::format("-- from the archive {} (format version {}{})\n",
                   o_.archive == "-" ? std::string("stream read from standard input")
                                     : shown(o_.archive),
                   m_.format_version,
                   a_.cipher ? fmt::format(", encrypted with AES-256-GCM, key id {}", key_id_)
                             : std::string(", not encrypted"));
  h += fmt::format("-- dumped by omsbackup {} from {} {}, {} .. {}, consistency: {}\n",
                   m_.tool_version, m_.server_flavor, shown(m_.server_version), m_.started_at,
                   m_.finished_at, m_.consistency);
  h += "-- The archive was verified (every file's SHA-256, every chunk's rows against its digest)\n"
       "-- before this script was written.\n--\n-- Databases (each is DROPPED and created again):\n";
  for (const Chosen& c : dbs) {
    std::uint64_t total = 0;
    for (const TableEntry& te : c.entry->tables) total += te.rows;
    const DatabaseObjects& ob = c.entry->objects;
    h += fmt::format("--   {}{}: {} tables, {} rows; {} routines, {} views, {} triggers, {} events\n",
                     shown(c.target),
                     c.target == c.entry->name ? std::string()
                                               : " (archived as " + shown(c.entry->name) + ")",
                     c.entry->tables.size(), total, ob.routines.size(), ob.views.size(),
                     ob.triggers.size(), ob.events.size());
  }
  h += fmt::format(
      "--\n-- Load it with the mariadb (or mysql) client and exactly these options:\n"
      "--   {} [-h HOST -P PORT -u USER -p] < FILE\n"
      "-- --binary-mode keeps CR LF and NUL inside object bodies, --comments keeps the comments in\n"
      "-- them (the client strips them by default), --default-character-set=binary makes the\n"
      "-- client read the bytes one by one, and --max-allowed-packet lets it send the longest\n"
      "-- statement (at most {} bytes of rows per INSERT; a longer row gets an INSERT of its own).\n"
      "-- Without --binary-mode or --comments the first statements stop the load before anything\n"
      "-- is changed. Do not pass --force: the first error must stop the load. The server's\n"
      "-- max_allowed_packet must take the longest statement, which the last line gives.\n"
      "-- The user needs DROP and CREATE on these databases, INSERT, and CREATE ROUTINE, CREATE VIEW,\n"
      "-- TRIGGER, EVENT as the objects need (SUPER or SET USER for another DEFINER).\n",
      kClientCommand, o_.statement_bytes);
  w.text(h);
}

void SqlExport::preamble(ScriptWriter& w) {
  w.text("\n-- The client must keep comments and CR LF (see above): checked before anything changes.\n");
  // The comment reaches the server only with --comments; the string keeps its CR LF only
  // with --binary-mode. A failed check sets sql_mode to a value the server refuses, whose
  // error message says what to do.
  w.statement(
      "SET @omsb_statement = (SELECT INFO FROM information_schema.PROCESSLIST WHERE ID = "
      "CONNECTION_ID()) -- omsbackup: comments are kept",
      ";", true);
  w.statement("SET @omsb_crlf = '\r\n'");
  w.statement(fmt::format(
      "SET SESSION sql_mode = IF(LOCATE(CONCAT('omsbackup: comments', ' are kept'), "
      "@omsb_statement) > 0 AND LENGTH(@omsb_crlf) = 2, @@SESSION.sql_mode, "
      "'omsbackup: load this file with {}')",
      kClientCommand));
  w.text("\n-- The session's settings, put back at the end.\n");
  w.statement(
      "SET @omsb_saved_sql_mode = @@SESSION.sql_mode, @omsb_saved_time_zone = @@SESSION.time_zone, "
      "@omsb_saved_character_set_client = @@SESSION.character_set_client, "
      "@omsb_saved_character_set_connection = @@SESSION.character_set_connection, "
      "@omsb_saved_character_set_results = @@SESSION.character_set_results, "
      "@omsb_saved_collation_connection = @@SESSION.collation_connection, "
      "@omsb_saved_foreign_key_checks = @@SESSION.foreign_key_checks, "
      "@omsb_saved_unique_checks = @@SESSION.unique_checks");
  w.text("-- The restore's own: rows as the archive holds them (id 0, zero dates, UTC).\n");
  w.statement("SET NAMES utf8mb4");
  w.statement(
      "SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO', time_zone = '+00:00', "
      "foreign_key_checks = 0, unique_checks = 0");
  // MariaDB stores rows that break a CHECK constraint with the checks off; others skip it.
  w.statement(
      "SET @omsb_saved_check_constraint_checks = NULL /*M!100201 , "
      "@omsb_saved_check_constraint_checks = @@SESSION.check_constraint_checks, "
      "SESSION check_constraint_checks = 0 */");
  w.statement(
      "SET @omsb_sql_mode = @@SESSION.sql_mode, @omsb_time_zone = @@SESSION.time_zone, "
      "@omsb_character_set_client = @@SESSION.character_set_client, "
      "@omsb_collation_connection = @@SESSION.collation_connection");
}

void SqlExport::database(ScriptWriter& w, const Chosen& c) {
  const DatabaseEntry& db = *c.entry;
  std::string q = quote_identifier(c.target);
  w.text(fmt::format("\n-- Database {}{}\n", shown(c.target),
                     c.target == db.name ? std::string() : " (archived as " + shown(db.name) + ")"));
  w.statement("DROP DATABASE IF EXISTS " + q);
  w.statement(expected_create_database(c.target, db));
  w.statement("USE " + q);
  for (const TableEntry& te : db.tables) {
    throw_if_cancelled(o_.cancel, db.name + "." + te.def.name, "the SQL export was cancelled");
    ++r_.tables;
    w.text(fmt::format("\n-- Table {}.{}: {}\n", shown(c.target), shown(te.def.name),
                       te.def.ddl_only.empty()
                           ? fmt::format("{} rows", te.rows)
                           : fmt::format("archived as DDL only ({}): no rows", te.def.ddl_only)));
    w.statement(te.def.create_sql);
    if (te.def.ddl_only.empty()) rows(w, c.target, te);
  }
}

void SqlExport::rows(ScriptWriter& w, const std::string& target, const TableEntry& te) {
  std::vector<ValueKind> kinds;
  const std::string prefix = insert_prefix(target, te.def, &kinds);
  std::string stmt;
  std::uint64_t count = 0;
  Row row;
  std::vector<char> buf(kReadPiece);
  for (const ChunkInfo& chunk : te.chunks) {
    std::string label = fmt::format("{}.{} chunk {}", target, te.def.name, chunk.file);
    ChunkReader reader(env_, dir_, chunk.file, a_.cipher.get());
    RowDecoder dec(label);
    while (std::size_t n = reader.read(buf.data(), buf.size())) {
      dec.feed(std::string_view(buf.data(), n));
      while (dec.next_row(row)) {
        if (row.size() != kinds.size())
          throw Error(Errc::corrupt_archive, label,
                      fmt::format("row {} has {} fields, but the table has {} data columns",
                                  dec.rows(), row.size(), kinds.size()));
        std::size_t tuple = 2 + (kinds.empty() ? 0 : kinds.size() - 1);
        for (std::size_t i = 0; i < kinds.size(); ++i)
          tuple += insert_value_size(kinds[i], row.is_null(i), row.value(i), LiteralForm::hex);
        if (!stmt.empty() && stmt.size() + 1 + tuple > o_.statement_bytes) {
          w.statement(stmt);
          stmt.clear();
          throw_if_cancelled(o_.cancel, label, "the SQL export was cancelled");
        }
        stmt += stmt.empty() ? prefix : std::string(",");
        stmt += '(';
        for (std::size_t i = 0; i < kinds.size(); ++i) {
          if (i != 0) stmt += ',';
          append_insert_value(stmt, kinds[i], row.is_null(i), row.value(i), LiteralForm::hex);
        }
        stmt += ')';
        ++count;
      }
    }
    dec.finish();
  }
  if (!stmt.empty()) w.statement(stmt);
  if (count != te.rows)
    throw Error(Errc::corrupt_archive, target + "." + te.def.name,
                fmt::format("the chunks hold {} rows, the manifest says {}", count, te.rows));
  r_.rows += count;
}

void SqlExport::objects(ScriptWriter& w, const Chosen& c) {
  DatabaseEntry db = retarget(*c.entry, c.target);
  std::vector<ObjectCreation> all;
  // The restore's order: a view may call a stored function; triggers come after the rows.
  for (ObjectKind k : {ObjectKind::routines, ObjectKind::views, ObjectKind::triggers,
                       ObjectKind::events})
    for (ObjectCreation& oc : object_creations(db, k)) all.push_back(std::move(oc));
  if (all.empty()) return;
  std::string q = quote_identifier(c.target);
  w.text(fmt::format("\n-- Objects of {}: each with the settings it was created with, put back after\n",
                     shown(c.target)));
  w.statement("USE " + q);
  for (const ObjectCreation& oc : all) {
    ++r_.objects;
    // The database's collation switched while it is created, as the restore does.
    bool switch_db = !oc.database_collation.empty() && oc.database_collation != db.collation;
    // With --comments the client sends a comment with the statement after it; a comment
    // before a DELIMITER command it would send alone, which the server refuses as empty.
    if (switch_db || !oc.settings.empty()) w.text(fmt::format("\n-- {}\n", shown(oc.what)));
    if (switch_db)
      w.statement(fmt::format("ALTER DATABASE {} COLLATE {}", q, quote_string(oc.database_collation)));
    if (!oc.settings.empty()) w.statement(fmt::format("SET SESSION {}", fmt::join(oc.settings, ", ")));
    std::string d = delimiter_for(oc.sql);
    w.text("DELIMITER " + d + "\n");
    w.statement(oc.sql, d, true);
    w.text("DELIMITER ;\n");
    // sql_mode first, alone: the rest then reads as usual.
    w.statement("SET SESSION sql_mode = @omsb_sql_mode");
    w.statement(
        "SET SESSION character_set_client = @omsb_character_set_client, collation_connection = "
        "@omsb_collation_connection, time_zone = @omsb_time_zone");
    if (switch_db)
      w.statement(fmt::format("ALTER DATABASE {} CHARACTER SET {} COLLATE {}", q,
                              quote_string(db.charset), quote_string(db.collation)));
  }
}

void SqlExport::trailer(ScriptWriter& w) {
  w.text("\n-- The session's settings as they were.\n");
  w.statement(
      "SET SESSION sql_mode = @omsb_saved_sql_mode, time_zone = @omsb_saved_time_zone, "
      "foreign_key_checks = @omsb_saved_foreign_key_checks, "
      "unique_checks = @omsb_saved_unique_checks");
  w.statement(
      "SET SESSION character_set_client = @omsb_saved_character_set_client, "
      "character_set_connection = @omsb_saved_character_set_connection, "
      "character_set_results = @omsb_saved_character_set_results, "
      "collation_connection = @omsb_saved_collation_connection");
  w.statement(
      "SET @omsb_statement = NULL, @omsb_crlf = NULL /*M!100201 , SESSION check_constraint_checks = "
      "@omsb_saved_check_constraint_checks */");
  // The last line, a statement (a comment alone at the end would be sent as an empty query).
  w.statement(fmt::format(
      "SET @omsb_end = 'omsbackup: end of the script: {} databases, {} tables, {} rows, {} "
      "objects; the longest statement has {} bytes'",
      r_.databases.size(), r_.tables, r_.rows, r_.objects, w.longest()));
}

}  // namespace

std::string delimiter_for(std::string_view text) {
  for (const char* d : {";;", "$$", "//"})
    if (text.find(d) == std::string_view::npos) return d;
  for (unsigned i = 1;; ++i) {
    std::string d = fmt::format(";;omsb{}", i);
    if (text.find(d) == std::string_view::npos) return d;
  }
}

void check_client_safe(std::string_view text, const std::string& what) {
  constexpr std::string_view kWord = "delimiter";
  std::size_t line = 1;
  for (std::size_t at = 0; at <= text.size();) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::size_t i = at;
    while (i < end && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r')) ++i;
    if (end - i >= kWord.size()) {
      bool same = true;
      for (std::size_t k = 0; k < kWord.size() && same; ++k)
        same = (text[i + k] | 0x20) == kWord[k];
      if (same)
        throw Error(Errc::unsupported, what,
                    fmt::format("line {} of its definition begins with the word DELIMITER, which the "
                                "mariadb/mysql client takes for its own command even inside a "
                                "statement: an SQL script cannot carry it unchanged; restore this "
                                "archive with omsrestore instead",
                                line));
    }
    at = end + 1;
    ++line;
  }
}

ExportSqlReport run_sql_export(Env& env, const ExportSqlOptions& options) {
  auto t0 = std::chrono::steady_clock::now();
  if (options.archive.empty())
    throw Error(Errc::invalid_argument, "ARCHIVE", "name the archive directory or stream to export");
  if (options.output.empty())
    throw Error(Errc::invalid_argument, "--to-sql", "name the file to write, or - for standard output");
  if (options.statement_bytes < 1024)
    throw Error(Errc::invalid_argument, "statement_bytes", "must be at least 1024");
  bool to_stdout = options.output == "-";
  if (!to_stdout && env.stat(options.output))
    throw Error(Errc::invalid_argument, options.output,
                "exists; remove it or name another file (an SQL script is never written over a file)");
  // The whole archive is proven (the key first, then every file and every chunk's rows)
  // before a byte of SQL is written.
  std::optional<SecretKey> key = load_key(env, options.encryption);
  std::string id = key ? key_id(*key) : std::string();
  // A stream is spooled whole (and removed afterwards) and then proven like a directory.
  ArchiveDirectory dir(env, options.archive, options.spool_dir);
  OpenedArchive archive = open_archive(env, dir.dir(), VerifyOptions{true, key ? &*key : nullptr});
  key.reset();
  SqlExport run(env, options, archive, id, dir.dir());
  ExportSqlReport r;
  if (to_stdout) {
    StdoutFile out;
    ScriptWriter w(out);
    r = run.run(w);
  } else {
    AtomicFileWriter file(env, options.output, 0600);
    ScriptWriter w(file.sink());
    r = run.run(w);
    file.commit();
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace omsbackup

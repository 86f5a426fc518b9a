// omsdump --from-sql: run a mysqldump file into scratch databases, statement by statement
// (only what statement_policy allows, on the scratch copies only), dump them, drop them.
#include <fmt/format.h>

#include <cstring>
#include <map>
#include <random>
#include <set>

#include "import/import_pipeline.h"
#include "import/sql_script.h"
#include "import/statement_policy.h"
#include "omsbackup/error.h"
#include "sql/object_rewrite.h"
#include "sql/quote.h"
#include "sql/session.h"
#include "util/cancel.h"

namespace omsbackup {

namespace {

constexpr const char* kScratchPrefix = "omsb_import_";

std::string scratch_name() {
  std::random_device rd;
  std::uint64_t v = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  return fmt::format("{}{:016x}", kScratchPrefix, v);
}

std::string base_name(const std::string& path) {
  std::size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The scratch databases created so far, dropped by drop_all() (also after a failure or a
// cancel), on a new connection when the import's own has failed.
class ScratchDatabases {
 public:
  explicit ScratchDatabases(const ConnectionOptions& c) : connection_(c) {}
  void add(std::string name) { names_.push_back(std::move(name)); }

  // Empty when every scratch database is gone; else what to drop by hand.
  std::string drop_all(Session* session) {
    std::vector<std::string> left;
    std::unique_ptr<Session> fresh;
    for (const std::string& n : names_) {
      for (int attempt = 0; attempt < 2; ++attempt) {
        try {
          if (session == nullptr || attempt == 1) {
            if (!fresh) fresh = std::make_unique<Session>(connection_);
            session = fresh.get();
          }
          session->execute("DROP DATABASE IF EXISTS " + quote_identifier(n),
                           "dropping the import's scratch database " + n);
          break;
        } catch (const Error&) {
          if (attempt == 1) left.push_back(n);
        }
      }
    }
    names_.clear();
    std::string note;
    for (const std::string& n : left) note += (note.empty() ? "" : " ") + quote_identifier(n);
    return note.empty() ? "" : "drop the import's scratch database(s) by hand: DROP DATABASE " + note;
  }

 private:
  ConnectionOptions connection_;
  std::vector<std::string> names_;
};

class Importer {
 public:
  Importer(Session& s, ScriptReader& reader, const ImportSqlOptions& o, ScratchDatabases& scratch)
      : s_(s), r_(reader), o_(o), scratch_(scratch) {
    ctx_.server = s.server();
    for (const auto& row : s.query("SHOW DATABASES", "listing the server's databases").rows)
      if (row.at(0)) ctx_.forbidden.insert(lower(*row.at(0)));
    for (const char* sys : {"mysql", "information_schema", "performance_schema", "sys"})
      ctx_.forbidden.insert(sys);
    for (const std::string& n : ctx_.forbidden)
      if (n.rfind(kScratchPrefix, 0) == 0)
        warnings_.push_back(fmt::format("the server holds {}, a scratch database an interrupted "
                                        "import left behind: drop it when no import runs",
                                        n));
    given_.insert(o.dump.databases.begin(), o.dump.databases.end());
    // As the mysql client starts: the server's own sql_mode and time zone (a file made with
    // --skip-tz-utc holds TIMESTAMPs in the time zone it was dumped in).
    s_.execute("SET SESSION sql_mode = @@GLOBAL.sql_mode, time_zone = @@GLOBAL.time_zone",
               "setting the import session's sql_mode and time zone to the server's defaults");
    read_sql_mode();
  }

  void run() {
    while (std::optional<ScriptStatement> st = r_.next(mode_)) {
      throw_if_cancelled(o_.dump.cancel, o_.sql_file, "cancelled by the caller");
      const std::string where = r_.where(st->line);
      Verdict v = judge_statement(st->text, mode_, ctx_, where);
      try {
        apply(*st, v, where);
      } catch (const Error& e) {
        if (e.code() == Errc::unsupported && e.object() == where) throw;
        throw e.with_context(where);
      }
    }
    finish();
  }

  ImportedDatabases imported() const {
    ImportedDatabases out;
    for (const auto& [name, scratch] : order_) out.names.emplace_back(scratch, name);
    out.options["from_sql"] = base_name(o_.sql_file);
    std::string header;
    for (const std::string& h : r_.header()) header += (header.empty() ? "" : "; ") + h;
    if (!header.empty()) out.options["from_sql_header"] = header;
    if (!defaulted_.empty()) out.options["from_sql_database_defaults"] = defaulted_;
    return out;
  }

  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  void read_sql_mode() {
    sql_mode_ = s_.scalar("SELECT @@SESSION.sql_mode", "reading the session's sql_mode").value_or("");
    mode_ = sql::LexMode::of_sql_mode(sql_mode_);
  }

  [[noreturn]] void refuse(const std::string& where, const std::string& message) const {
    throw Error(Errc::unsupported, where, message);
  }

  void apply(const ScriptStatement& st, const Verdict& v, const std::string& where) {
    switch (v.kind) {
      case StatementKind::skip:
        return;
      case StatementKind::create_database:
        create_database(v.database, st.text, v, where);
        return;
      case StatementKind::use_database:
        use(v.database, where);
        return;
      case StatementKind::drop_database:
        drop_database(v, where);
        return;
      case StatementKind::alter_database:
        if (v.name_end == 0) {
          need_current(where);
          run_statement(st.text, v);
        } else {
          auto it = scratch_of_.find(v.database);
          if (it == scratch_of_.end())
            refuse(where, fmt::format("ALTER DATABASE {}: not one of the file's databases (an import "
                                      "changes nothing but its scratch copies)",
                                      v.database));
          run_statement(replace_name(st.text, v, it->second), v);
        }
        return;
      case StatementKind::run:
        if (v.what != "SET" && v.what != "COMMIT") need_current(where);
        if (v.event) check_event_scheduler(where);
        run_statement(v.qualified ? map_names(st.text) : st.text, v);
        if (v.sets) read_sql_mode();
        if (v.autocommit) {
          autocommit_ = *v.autocommit;
          if (autocommit_) open_writes_ = 0;
        }
        if (v.commits) open_writes_ = 0;
        if (v.writes && !autocommit_ && open_writes_ == 0) open_writes_ = st.line;
        return;
    }
  }

  void run_statement(const std::string& sql, const Verdict& v) {
    s_.execute(sql, fmt::format("running the file's {} statement", v.what));
  }

  std::string map_names(std::string text) const {
    for (const auto& [name, scratch] : order_)
      text = rename_database_references(text, name, scratch, sql_mode_, true);
    return text;
  }

  static std::string replace_name(const std::string& text, const Verdict& v,
                                  const std::string& scratch) {
    return text.substr(0, v.name_begin) + quote_identifier(scratch) + text.substr(v.name_end);
  }

  void check_given(const std::string& name, const std::string& where) const {
    if (is_system_schema(name))
      refuse(where, fmt::format("the file holds the system schema {} (a dump made with "
                                "--all-databases?): an import takes only the OMS databases; dump "
                                "them with --databases",
                                name));
    if (!given_.empty() && given_.count(name) == 0)
      refuse(where, fmt::format("the file holds database {}, which --databases does not name: "
                                "name every database of the file, or none",
                                name));
  }

  void create_database(const std::string& name, const std::string& text, const Verdict& v,
                       const std::string& where) {
    check_given(name, where);
    if (scratch_of_.count(name) != 0)
      refuse(where, fmt::format("CREATE DATABASE {} a second time", name));
    std::string scratch = new_scratch(where);
    s_.execute(replace_name(text, v, scratch),
               fmt::format("creating the scratch database {} for {}", scratch, name));
    adopt(name, scratch);
  }

  // A database the file uses without creating it: the scratch copy gets the server's
  // default character set and collation, since the file does not say the original's.
  void create_default(const std::string& name, const std::string& where) {
    check_given(name, where);
    std::string scratch = new_scratch(where);
    s_.execute("CREATE DATABASE " + quote_identifier(scratch),
               fmt::format("creating the scratch database {} for {}", scratch, name));
    adopt(name, scratch);
    defaulted_ += (defaulted_.empty() ? "" : ",") + name;
    warnings_.push_back(fmt::format(
        "the file does not say database {}'s character set and collation (no CREATE "
        "DATABASE): the archive records the server's defaults, which a restore gives it",
        name));
  }

  std::string new_scratch(const std::string& where) {
    std::string scratch = scratch_name();
    if (s_.scalar(fmt::format("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE "
                              "SCHEMA_NAME = {}",
                              quote_string(scratch)),
                  "checking the scratch database's name"))
      refuse(where, fmt::format("the scratch database name {} exists on the server: run the "
                                "import again (it draws another)",
                                scratch));
    return scratch;
  }

  void adopt(const std::string& name, const std::string& scratch) {
    scratch_.add(scratch);
    scratch_of_[name] = scratch;
    order_.emplace_back(name, scratch);
    ctx_.file_databases.insert(name);
    dropped_ahead_.erase(name);
  }

  void use(const std::string& name, const std::string& where) {
    if (scratch_of_.count(name) == 0) create_default(name, where);
    s_.execute("USE " + quote_identifier(scratch_of_.at(name)),
               fmt::format("using the scratch database of {}", name));
    current_ = name;
  }

  // A statement on tables or objects: the file must have said its database by now, or
  // --databases names exactly one.
  void need_current(const std::string& where) {
    if (!current_.empty()) return;
    if (given_.size() == 1) {
      use(*given_.begin(), where);
      return;
    }
    std::string hint;
    for (const std::string& h : r_.header())
      if (std::size_t p = h.find("Database: "); p != std::string::npos)
        hint = fmt::format(" (its header says \"{}\")", h.substr(p));
    refuse(where, fmt::format("the file does not say which database it is (no CREATE DATABASE or "
                              "USE before this statement){}: name it with --databases NAME",
                              hint));
  }

  // mysqldump --add-drop-database writes DROP DATABASE before CREATE DATABASE: nothing to
  // drop in a scratch copy not made yet. Anything else would drop what the file loaded.
  void drop_database(const Verdict& v, const std::string& where) {
    if (is_system_schema(v.database) || scratch_of_.count(v.database) != 0)
      refuse(where, fmt::format("DROP DATABASE {}: an import drops no database (only its own "
                                "scratch copies, at the end); remove the statement",
                                v.database));
    dropped_ahead_[v.database] = where;
  }

  void check_event_scheduler(const std::string& where) {
    if (scheduler_checked_) return;
    std::string on = lower(s_.scalar("SELECT @@GLOBAL.event_scheduler", "reading event_scheduler")
                               .value_or(""));
    if (on == "on" || on == "1")
      refuse(where, "the server's event scheduler is ON: the file's event would run in the scratch "
                    "copy before it is archived, and change it; import while event_scheduler is "
                    "OFF (or on a server where it is)");
    scheduler_checked_ = true;
  }

  void finish() {
    const std::string& end = o_.sql_file;
    if (!dropped_ahead_.empty())
      refuse(dropped_ahead_.begin()->second,
             fmt::format("DROP DATABASE {} without a CREATE DATABASE of it after: an import "
                         "drops no database; remove the statement",
                         dropped_ahead_.begin()->first));
    if (!autocommit_ && open_writes_ != 0)
      refuse(r_.where(open_writes_),
             "the file ends inside a transaction (autocommit=0, no COMMIT after the rows from "
             "here on): the file is cut short");
    if (!r_.header().empty() && !r_.completed())
      refuse(end, "the file has mysqldump's header but not its last line (\"-- Dump completed "
                  "on ...\"): the file is cut short");
    if (r_.header().empty())
      warnings_.push_back("the file has no mysqldump header (made with --skip-comments or "
                          "--compact?): whether it is complete cannot be told from it");
    if (order_.empty())
      refuse(end, "the file holds no database (no CREATE DATABASE, USE or table): nothing to "
                  "import");
    s_.execute("COMMIT", "committing the import");
  }

  Session& s_;
  ScriptReader& r_;
  const ImportSqlOptions& o_;
  ScratchDatabases& scratch_;
  PolicyContext ctx_;
  std::set<std::string> given_;
  std::map<std::string, std::string> scratch_of_;                // the file's name -> scratch
  std::vector<std::pair<std::string, std::string>> order_;       // (name, scratch)
  std::map<std::string, std::string> dropped_ahead_;            // name -> where
  std::string current_;
  std::string sql_mode_;
  sql::LexMode mode_;
  bool autocommit_ = true;
  std::size_t open_writes_ = 0;  // the line of the first uncommitted INSERT
  bool scheduler_checked_ = false;
  std::string defaulted_;
  std::vector<std::string> warnings_;
};

void check_options(const ImportSqlOptions& o) {
  if (o.sql_file.empty())
    throw Error(Errc::invalid_argument, "--from-sql", "name the mysqldump file to import");
  if (o.dump.output.empty())
    throw Error(Errc::invalid_argument, "--output", "name the archive directory to create");
  if (o.dump.dry_run)
    throw Error(Errc::invalid_argument, "--dry-run", "an import loads the file to know what it holds: no dry run");
  if (!o.dump.include_tables.empty() || !o.dump.exclude_tables.empty())
    throw Error(Errc::invalid_argument, "--include/--exclude",
                "an import archives the whole file: no --include/--exclude");
}

}  // namespace

DumpReport run_import(Env& env, const ImportSqlOptions& o, const DumpScratch& dump) {
  check_options(o);
  if (env.stat(o.dump.output))
    throw Error(Errc::invalid_argument, o.dump.output, "the archive directory exists: name a new one");
  FileInfo info;
  int err = 0;
  std::unique_ptr<SequentialFile> file = env.open_named_file(o.sql_file, info, err);
  if (!file)
    throw Error(Errc::io, o.sql_file, fmt::format("cannot open the file to import: {}", std::strerror(err)));

  Session s(o.dump.connection);
  ScratchDatabases scratch(o.dump.connection);
  std::vector<std::string> warnings;
  DumpReport report;
  try {
    std::uint64_t max_packet = std::stoull(
        s.scalar("SELECT @@max_allowed_packet", "reading max_allowed_packet").value_or("16777216"));
    ScriptReader reader(*file, o.sql_file, static_cast<std::size_t>(max_packet));
    Importer importer(s, reader, o, scratch);
    importer.run();
    warnings = importer.warnings();
    ImportedDatabases imported = importer.imported();
    DumpOptions d = o.dump;
    d.databases.clear();
    for (const auto& [scratch_db, name] : imported.names) d.databases.push_back(scratch_db);
    d.prune.mode = PruneMode::none;
    // Nothing else writes the scratch copies: no lock, no snapshot coordination needed.
    d.consistency = Consistency::none;
    report = dump(d, imported);
  } catch (const Error& e) {
    std::string left = scratch.drop_all(&s);
    throw e.with_note(left.empty() ? "The import's scratch databases were dropped" : left);
  }
  if (std::string left = scratch.drop_all(&s); !left.empty()) warnings.push_back(left);
  report.warnings.insert(report.warnings.begin(), warnings.begin(), warnings.end());
  return report;
}

}  // namespace omsbackup

#include "import/statement_policy.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "omsbackup/error.h"

namespace omsbackup {

using sql::Token;
using sql::TokenKind;

namespace {

constexpr const char* kSee = " (docs/from-sql.md lists what an import runs)";

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Does the server run the executable comment that `open` begins (/*!NNNNN, /*M!NNNNNN)?
bool executes(const Token& open, const ServerInfo& server) {
  std::string_view t = open.text;
  const bool maria_only = t.size() > 3 && t[2] == 'M';
  std::string_view digits = t.substr(maria_only ? 4 : 3);
  const bool mariadb = server.flavor == ServerFlavor::mariadb;
  if (maria_only && !mariadb) return false;
  if (digits.empty()) return true;
  if (digits.size() != 5 && digits.size() != 6) return false;  // refused by effective_tokens
  unsigned long version = std::stoul(std::string(digits));
  unsigned long ours = server.major * 10000ul + server.minor * 100ul + server.patch;
  if (version > ours) return false;
  // MariaDB skips MySQL 5.7+ versions (50700-99999) unless the comment is /*M!.
  if (mariadb && !maria_only && version >= 50700 && version <= 99999) return false;
  return true;
}

bool is_name(const Token& t) {
  if (t.kind == TokenKind::identifier) return t.text.size() > 1 && t.text.back() == t.text.front();
  return t.kind == TokenKind::word && !t.is_word("NEW") && !t.is_word("OLD") &&
         !std::isdigit(static_cast<unsigned char>(t.text[0]));
}

class Judge {
 public:
  Judge(std::string_view text, const sql::LexMode& mode, const PolicyContext& c,
        const std::string& where)
      : c_(c), where_(where) {
    toks_ = effective_tokens(sql::lex(text, mode), c.server, where);
  }

  Verdict run() {
    Verdict v;
    if (toks_.empty()) {
      v.kind = StatementKind::skip;
      return v;
    }
    check_names(v);
    const Token& first = toks_[0];
    v.what = upper_word(0);
    if (first.is_word("SET")) return set(v);
    if (first.is_word("LOCK") || first.is_word("UNLOCK")) {
      if (toks_.size() < 2 || !(toks_[1].is_word("TABLES") || toks_[1].is_word("TABLE")))
        refuse(v.what);
      v.kind = StatementKind::skip;  // the import is alone in its scratch copy
      return v;
    }
    if (first.is_word("COMMIT") && toks_.size() == 1) {
      v.commits = true;
      return v;
    }
    if (first.is_word("USE")) {
      if (toks_.size() != 2 || !is_name(toks_[1])) refuse("USE");
      v.kind = StatementKind::use_database;
      name_at(v, 1);
      return v;
    }
    if (first.is_word("INSERT") || first.is_word("REPLACE")) return insert(v);
    if (first.is_word("CREATE")) return create(v);
    if (first.is_word("DROP")) return drop(v);
    if (first.is_word("ALTER")) return alter(v);
    refuse(v.what);
  }

 private:
  std::string upper_word(std::size_t i) const {
    std::string w(i < toks_.size() ? toks_[i].text : std::string_view("end of statement"));
    if (i < toks_.size() && toks_[i].kind == TokenKind::word)
      for (char& ch : w) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return w;
  }

  [[noreturn]] void refuse(const std::string& what, const std::string& why = {}) const {
    std::string advice;
    if (what == "GRANT" || what == "REVOKE")
      advice = "privileges belong to accounts, not to a database: give them by hand";
    else if (what == "SOURCE")
      advice = "a mysql client command: import each file on its own";
    else if (what == "CHANGE")
      advice = "replication settings (mysqldump --master-data): dump without them";
    else
      advice = "mysqldump does not write it: remove it from the file, or run it by hand after "
               "the restore";
    throw Error(Errc::unsupported, where_,
                fmt::format("{} is not a statement an import runs{}{}; {}; nothing was changed "
                            "outside the import's scratch databases{}",
                            what.empty() ? "this" : what, why.empty() ? "" : ": ", why, advice,
                            kSee));
  }

  // Qualified names: `db`.`t` of a file database is mapped; of any other database the
  // server has (or a system schema) it is refused.
  void check_names(Verdict& v) const {
    for (std::size_t i = 0; i + 2 < toks_.size(); ++i) {
      if (!is_name(toks_[i]) || !toks_[i + 1].is_punct('.') || !is_name(toks_[i + 2])) continue;
      if (i > 0 && toks_[i - 1].is_punct('.')) continue;
      std::string db = toks_[i].name();
      if (c_.file_databases.count(db) != 0) {
        v.qualified = true;
      } else if (c_.forbidden.count(lower(db)) != 0) {
        throw Error(Errc::unsupported, where_,
                    fmt::format("the statement names database {} ({}.{}), which is not one of "
                                "the file's databases: an import changes nothing but its scratch "
                                "copies; remove the statement, or dump that database on its own",
                                db, db, toks_[i + 2].name()));
      }
    }
    for (const Token& t : toks_)
      if (t.is_punct('\\'))
        throw Error(Errc::unsupported, where_,
                    "a backslash outside quotes (a mysql client command such as \\. or \\!): "
                    "mysqldump never writes one; an import runs SQL statements only");
  }

  void name_at(Verdict& v, std::size_t i) const {
    if (i >= toks_.size() || !is_name(toks_[i])) refuse(v.what, "no database name");
    v.database = toks_[i].name();
    v.name_begin = toks_[i].offset;
    v.name_end = toks_[i].end();
  }

  bool word_anywhere(std::string_view w) const {
    return std::any_of(toks_.begin(), toks_.end(), [&](const Token& t) { return t.is_word(w); });
  }

  Verdict set(Verdict& v) {
    v.sets = true;
    if (toks_.size() > 1)
      for (const char* w : {"PASSWORD", "ROLE", "DEFAULT", "STATEMENT", "TRANSACTION"})
        if (toks_[1].is_word(w)) refuse("SET " + std::string(w));
    for (std::size_t i = 0; i < toks_.size(); ++i) {
      if (toks_[i].is_word("GLOBAL") || toks_[i].is_word("PERSIST") ||
          toks_[i].is_word("PERSIST_ONLY"))
        refuse("SET GLOBAL", "it changes the server, not the import's session (a MySQL dump "
                             "with GTIDs sets @@GLOBAL.GTID_PURGED: dump with "
                             "--set-gtid-purged=OFF)");
      if (toks_[i].is_word("AUTOCOMMIT") && i + 2 < toks_.size() && toks_[i + 1].is_punct('=')) {
        const Token& val = toks_[i + 2];
        if (val.text == "0" || val.is_word("OFF")) v.autocommit = false;
        else if (val.text == "1" || val.is_word("ON")) v.autocommit = true;
        else refuse("SET autocommit", "only 0 or 1");
      }
    }
    return v;
  }

  // INSERT [IGNORE] INTO t [(columns)] VALUES (literals), ...: nothing but constants after
  // VALUES, as mysqldump writes them.
  Verdict insert(Verdict& v) {
    v.writes = true;
    std::size_t i = 1;
    while (i < toks_.size() && (toks_[i].is_word("IGNORE") || toks_[i].is_word("LOW_PRIORITY") ||
                                toks_[i].is_word("DELAYED") || toks_[i].is_word("HIGH_PRIORITY")))
      ++i;
    if (i < toks_.size() && toks_[i].is_word("INTO")) ++i;
    std::size_t values = i;
    while (values < toks_.size() && !toks_[values].is_word("VALUES") &&
           !toks_[values].is_word("VALUE"))
      ++values;
    if (values == toks_.size()) refuse(v.what, "only INSERT ... VALUES with constants");
    for (std::size_t k = values + 1; k < toks_.size(); ++k) {
      const Token& t = toks_[k];
      if (t.kind == TokenKind::string) continue;
      if (t.kind == TokenKind::punct) {
        if (std::string_view("(),+-.").find(t.text[0]) != std::string_view::npos) continue;
      } else if (t.kind == TokenKind::word) {
        const bool followed_by_string =
            k + 1 < toks_.size() && toks_[k + 1].kind == TokenKind::string;
        if (std::isdigit(static_cast<unsigned char>(t.text[0])) || t.is_word("NULL") ||
            t.is_word("TRUE") || t.is_word("FALSE") || t.is_word("DEFAULT") ||
            (t.text[0] == '_' && followed_by_string) ||
            ((t.is_word("X") || t.is_word("B") || t.is_word("N")) && followed_by_string))
          continue;
      }
      refuse(v.what, fmt::format("'{}' after VALUES: mysqldump writes only constants there",
                                 std::string(t.text.substr(0, 40))));
    }
    return v;
  }

  // After CREATE: OR REPLACE, ALGORITHM=, DEFINER=, SQL SECURITY, AGGREGATE, then the kind.
  std::size_t skip_create_options(std::size_t i) const {
    for (;;) {
      if (i + 1 < toks_.size() && toks_[i].is_word("OR") && toks_[i + 1].is_word("REPLACE")) {
        i += 2;
      } else if (i + 2 < toks_.size() && toks_[i].is_word("ALGORITHM") &&
                 toks_[i + 1].is_punct('=')) {
        i += 3;
      } else if (i + 2 < toks_.size() && toks_[i].is_word("DEFINER") &&
                 toks_[i + 1].is_punct('=')) {
        i += 3;  // user, CURRENT_USER, CURRENT_USER(), user@host, role
        if (i + 1 < toks_.size() && toks_[i].is_punct('(') && toks_[i + 1].is_punct(')')) i += 2;
        if (i + 1 < toks_.size() && toks_[i].is_punct('@')) i += 2;
      } else if (i + 2 < toks_.size() && toks_[i].is_word("SQL") && toks_[i + 1].is_word("SECURITY")) {
        i += 3;
      } else if (i < toks_.size() && toks_[i].is_word("AGGREGATE")) {
        i += 1;
      } else {
        return i;
      }
    }
  }

  Verdict create(Verdict& v) {
    std::size_t i = skip_create_options(1);
    std::string kind = upper_word(i);
    v.what = "CREATE " + kind;
    v.commits = true;
    if (kind == "DATABASE" || kind == "SCHEMA") {
      v.kind = StatementKind::create_database;
      ++i;
      if (i + 2 < toks_.size() && toks_[i].is_word("IF") && toks_[i + 1].is_word("NOT")) i += 3;
      name_at(v, i);
      return v;
    }
    if (kind == "TABLE") {
      if (word_anywhere("DIRECTORY"))
        refuse(v.what, "DATA/INDEX DIRECTORY writes files outside the data directory");
      if (word_anywhere("SELECT")) refuse(v.what, "CREATE TABLE ... SELECT");
      if (word_anywhere("CONNECTION"))
        refuse(v.what, "a table whose rows are on another server (CONNECTION=)");
      for (std::size_t k = 0; k + 1 < toks_.size(); ++k) {
        if (!toks_[k].is_word("ENGINE")) continue;
        std::size_t e = toks_[k + 1].is_punct('=') ? k + 2 : k + 1;
        if (e < toks_.size())
          for (const char* remote : {"FEDERATED", "SPIDER", "CONNECT", "SPHINX"})
            if (toks_[e].is_word(remote))
              refuse(v.what, fmt::format("ENGINE={}: its rows are on another server or in files "
                                         "outside the database; the import would write there",
                                         remote));
      }
      return v;
    }
    if (kind == "FUNCTION" && word_anywhere("SONAME"))
      refuse(v.what, "a user-defined function from a shared library (SONAME) is server-wide");
    if (kind == "EVENT") v.event = true;
    if (kind == "VIEW" || kind == "PROCEDURE" || kind == "FUNCTION" || kind == "TRIGGER" ||
        kind == "EVENT" || kind == "PACKAGE")
      return v;
    refuse(v.what);
  }

  Verdict drop(Verdict& v) {
    std::size_t i = 1;
    std::string kind = upper_word(i);
    v.what = "DROP " + kind;
    v.commits = true;
    if (kind == "DATABASE" || kind == "SCHEMA") {
      v.kind = StatementKind::drop_database;
      ++i;
      if (i + 1 < toks_.size() && toks_[i].is_word("IF") && toks_[i + 1].is_word("EXISTS")) {
        v.if_exists = true;
        i += 2;
      }
      name_at(v, i);
      if (i + 1 != toks_.size()) refuse(v.what, "one database, nothing after it");
      return v;
    }
    if (kind == "TABLE" || kind == "VIEW" || kind == "PROCEDURE" || kind == "FUNCTION" ||
        kind == "TRIGGER" || kind == "EVENT" || kind == "PACKAGE")
      return v;
    refuse(v.what);
  }

  Verdict alter(Verdict& v) {
    std::string kind = upper_word(1);
    v.what = "ALTER " + kind;
    v.commits = true;
    if (kind == "DATABASE" || kind == "SCHEMA") {
      v.kind = StatementKind::alter_database;
      if (toks_.size() > 2 && is_name(toks_[2]) && !toks_[2].is_word("CHARACTER") &&
          !toks_[2].is_word("DEFAULT") && !toks_[2].is_word("COLLATE") &&
          !toks_[2].is_word("CHARSET") && !toks_[2].is_word("COMMENT"))
        name_at(v, 2);
      for (std::size_t k = 2; k < toks_.size(); ++k)
        if (toks_[k].is_word("UPGRADE") || toks_[k].is_word("READ"))
          refuse(v.what, "only the character set, collation and comment");
      return v;
    }
    // mysqldump's /*!40000 ALTER TABLE `t` DISABLE KEYS */ and ENABLE KEYS.
    std::size_t n = toks_.size();
    if (kind == "TABLE" && (n == 5 || n == 7) && toks_[n - 1].is_word("KEYS") &&
        (toks_[n - 2].is_word("DISABLE") || toks_[n - 2].is_word("ENABLE")))
      return v;
    refuse(v.what, "mysqldump writes only ALTER TABLE ... DISABLE KEYS / ENABLE KEYS");
  }

  const PolicyContext& c_;
  const std::string& where_;
  std::vector<Token> toks_;
};

}  // namespace

bool is_system_schema(std::string_view name) {
  std::string n = lower(name);
  return n == "mysql" || n == "information_schema" || n == "performance_schema" || n == "sys";
}

std::vector<Token> effective_tokens(const sql::Lexed& lexed, const ServerInfo& server,
                                    const std::string& where) {
  std::vector<Token> out;
  bool skipping = false;
  for (const Token& t : lexed.tokens) {
    if (t.kind == TokenKind::comment) continue;
    if (t.kind == TokenKind::executable_open) {
      std::size_t digits = t.text.size() - (t.text.size() > 3 && t.text[2] == 'M' ? 4 : 3);
      if (digits != 0 && digits != 5 && digits != 6)
        throw Error(Errc::unsupported, where,
                    fmt::format("a versioned comment with {} digits ({}): servers read 5 or 6, "
                                "mysqldump writes 5 or 6; remove it",
                                digits, std::string(t.text)));
      skipping = !executes(t, server);
      continue;
    }
    if (t.kind == TokenKind::executable_close) {
      skipping = false;
      continue;
    }
    if (skipping) {
      if (t.kind == TokenKind::string || t.kind == TokenKind::identifier)
        throw Error(Errc::unsupported, where,
                    "a quote inside a versioned comment this server skips (/*!NNNNN ... */): "
                    "where the comment ends depends on who reads it; remove the comment");
      continue;
    }
    out.push_back(t);
  }
  return out;
}

Verdict judge_statement(std::string_view text, const sql::LexMode& mode,
                        const PolicyContext& context, const std::string& where) {
  return Judge(text, mode, context, where).run();
}

}  // namespace omsbackup

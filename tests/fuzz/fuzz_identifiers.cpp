// libFuzzer target: identifier handling — quoting (sql/quote.h) and the code that reads
// names back out of SQL text or makes names: view_references, trigger_order_clause /
// trigger_restore_statement, rename_database_references (--rename), split_secondary_indexes
// and staging_names.
//
// Byte 0 picks a check; the rest (through FuzzedDataProvider) gives names, strings and
// choices. Names are arbitrary bytes: backticks, quotes, spaces, dots, NUL, any UTF-8.
// Findings (abort, "fuzz_identifiers: FINDING: ..." on stderr), per check:
//   0 quoting: quote_identifier / quote_string do not read back (by an independent reader
//     of MySQL's rules) as the original, or a view definition built with them is read by
//     view_references as referencing anything but the one view it names;
//   1 rename: a statement built from pieces (names qualified with the source database, as
//     the first of two or three parts, unquoted where possible, or as the middle part;
//     strings and comments holding the quoted name; other names), in the default,
//     ANSI_QUOTES or NO_BACKSLASH_ESCAPES sql_mode, is not rewritten exactly to the same
//     pieces with only the database qualifiers replaced;
//   2 triggers: a FOLLOWS/PRECEDES clause naming any trigger is not found and cut exactly;
//     on arbitrary text, a clause range outside the text or not starting with the keyword;
//   3 deferred indexes: a table whose column and key have arbitrary names does not get its
//     key deferred as `ALTER TABLE <table> ADD KEY <key> (<column>)`; on arbitrary text, a
//     result that does not start as it should, or that splits again;
//   4 staging names: a staging or old name that is not a valid, different database name, or
//     two targets whose names collide where choose_targets() would not refuse them.
// Any exception is a finding: none of these functions throws.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/objects.h"
#include "restore/deferred_indexes.h"
#include "sql/object_rewrite.h"
#include "restore/objects.h"
#include "restore/staging.h"
#include "sql/quote.h"
#include "finding.h"

using namespace omsbackup;

namespace {

using omsbackup::fuzz::finding;

std::string show(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

// ---- independent readers of MySQL's quoting -------------------------------------------

// The name inside a quoted identifier that must span all of `q`; nullopt if it does not.
std::optional<std::string> read_identifier(std::string_view q, char quote = '`') {
  if (q.size() < 2 || q.front() != quote || q.back() != quote) return std::nullopt;
  std::string out;
  for (std::size_t i = 1; i + 1 < q.size(); ++i) {
    if (q[i] == quote) {
      if (i + 2 >= q.size() || q[i + 1] != quote) return std::nullopt;  // ends early
      ++i;
    }
    out.push_back(q[i]);
  }
  return out;
}

// The value of a single-quoted string literal that must span all of `q` (backslash escapes
// as MySQL reads them without NO_BACKSLASH_ESCAPES); nullopt if it does not.
std::optional<std::string> read_string(std::string_view q) {
  if (q.size() < 2 || q.front() != '\'' || q.back() != '\'') return std::nullopt;
  std::string out;
  std::size_t i = 1;
  for (; i + 1 < q.size(); ++i) {
    char c = q[i];
    if (c == '\\') {
      if (i + 2 >= q.size()) return std::nullopt;  // escapes the closing quote
      char e = q[++i];
      switch (e) {
        case '0': out += '\0'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 'Z': out += '\x1a'; break;
        case 't': out += '\t'; break;
        case 'b': out += '\b'; break;
        default: out += e;  // \\ \' \" and any other byte stand for themselves
      }
    } else if (c == '\'') {
      if (i + 2 >= q.size() || q[i + 1] != '\'') return std::nullopt;
      out += '\'';
      ++i;
    } else {
      out += c;
    }
  }
  return out;
}

// A name as a statement can hold it: the server's names never hold NUL.
std::string name(FuzzedDataProvider& p, std::size_t max = 24) {
  std::string s = p.ConsumeRandomLengthString(max);
  for (char& c : s)
    if (c == '\0') c = '0';
  return s;
}

// ---- 0: quoting -------------------------------------------------------------------------

void check_quoting(FuzzedDataProvider& p) {
  std::string db = name(p), view = name(p), alias = name(p);
  std::string value = p.ConsumeRandomLengthString(64);  // a value may hold any byte
  std::string qi = quote_identifier(view);
  if (read_identifier(qi) != view) finding("quote_identifier does not read back: " + show(qi));
  std::string qs = quote_string(value);
  if (read_string(qs) != value) finding("quote_string does not read back: " + show(qs));
  std::string qq = quote_qualified(db, view);
  if (qq != quote_identifier(db) + "." + quote_identifier(view))
    finding("quote_qualified is not `db`.`name`: " + show(qq));

  // A view definition as SHOW CREATE VIEW writes it: only `view` is referenced; the alias,
  // the string's content and the database are not.
  if (view.empty() || alias == db || value == db || alias == view || value == view) return;
  std::string def = "CREATE ALGORITHM=UNDEFINED DEFINER=`root`@`localhost` SQL SECURITY "
                    "DEFINER VIEW " + quote_qualified(db, "self") + " AS select " + qs +
                    " AS " + quote_identifier(alias) + "," + quote_qualified(db, view) +
                    ".`c` AS `c` from " + quote_qualified(db, view);
  std::vector<std::string> names = {view, alias, value};
  std::vector<std::string> got = view_references(def, db, names, "self");
  if (view == "self") {
    if (!got.empty()) finding("view_references returned self: " + show(def));
  } else if (got != std::vector<std::string>{view}) {
    std::string list;
    for (const auto& g : got) list += " [" + show(g) + "]";
    finding("view_references of " + show(def) + " gave" + list);
  }
}

// ---- 1: rename_database_references ------------------------------------------------------

enum class Mode { plain, ansi, no_backslash };

bool plain_word(const std::string& s) {
  if (s.empty()) return false;
  bool digits_only = true;
  for (unsigned char c : s) {
    bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '$' || c >= 0x80;
    if (!word) return false;
    digits_only = digits_only && c >= '0' && c <= '9';
  }
  // Unquoted NEW and OLD before a '.' are a trigger's rows, never a database.
  std::string up;
  for (char c : s) up += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  return !digits_only && up != "NEW" && up != "OLD";
}

std::string string_literal(const std::string& v, Mode mode) {
  if (mode != Mode::no_backslash) return quote_string(v);
  std::string out = "'";
  for (char c : v) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string ansi_identifier(const std::string& v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void check_rename(FuzzedDataProvider& p) {
  const Mode mode = static_cast<Mode>(p.ConsumeIntegralInRange<int>(0, 2));
  const char* sql_mode = mode == Mode::ansi           ? "ANSI_QUOTES,STRICT_TRANS_TABLES"
                         : mode == Mode::no_backslash ? "NO_BACKSLASH_ESCAPES"
                                                      : "STRICT_TRANS_TABLES";
  const std::string from = name(p), to = name(p);
  if (from.empty()) return;
  const std::string qf = quote_identifier(from), qt = quote_identifier(to);
  std::string sql = "CREATE TRIGGER `tr` BEFORE INSERT ON `t` FOR EACH ROW BEGIN ";
  std::string want = sql;
  int pieces = p.ConsumeIntegralInRange<int>(1, 8);
  for (int i = 0; i < pieces && p.remaining_bytes() > 0; ++i) {
    const std::string other = name(p);
    const std::string qo = quote_identifier(other);
    std::string in, out;
    switch (p.ConsumeIntegralInRange<int>(0, 8)) {
      case 0: in = qf + "." + qo; out = qt + "." + qo; break;
      case 1: in = qf + "." + qo + ".`c`"; out = qt + "." + qo + ".`c`"; break;
      case 2:  // blanks around the dot are allowed
        in = qf + " . " + qo; out = qt + " . " + qo; break;
      case 3:
        if (plain_word(from)) {
          in = from + "." + qo;
          out = qt + "." + qo;
        } else {
          in = out = qo;
        }
        break;
      case 4:  // the middle part is a table, not a database
        in = out = (other == from ? quote_identifier(from + "x") : qo) + "." + qf + ".`c`";
        break;
      case 5: in = out = string_literal(qf + "." + other, mode); break;
      case 6: {
        std::string c = qf + ".`t` " + other;
        for (std::size_t k; (k = c.find("*/")) != std::string::npos;) c.erase(k, 2);
        in = out = "/* " + c + " */";
        break;
      }
      case 7: in = out = qf; break;  // not qualifying anything
      case 8:
        if (mode == Mode::ansi) {
          in = ansi_identifier(from) + "." + qo;
          out = qt + "." + qo;
        } else {
          in = qo + ".`t`";
          out = (other == from ? qt : qo) + ".`t`";
        }
        break;
    }
    sql += in + ";\n";
    want += out + ";\n";
  }
  sql += "END";
  want += "END";
  std::string got = rename_database_references(sql, from, to, sql_mode);
  if (got != want)
    finding("rename " + show(from) + " -> " + show(to) + " (" + sql_mode + ") of\n  " +
            show(sql) + "\ngave\n  " + show(got) + "\nnot\n  " + show(want));
}

// ---- 2: triggers ------------------------------------------------------------------------

bool starts_with_ci(std::string_view s, std::string_view w) {
  if (s.size() < w.size()) return false;
  for (std::size_t i = 0; i < w.size(); ++i) {
    char c = s[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != w[i]) return false;
  }
  return true;
}

void check_triggers(FuzzedDataProvider& p) {
  if (p.ConsumeBool()) {
    std::string sql_mode = p.ConsumeRandomLengthString(40);
    std::string text = p.ConsumeRemainingBytesAsString();
    auto clause = trigger_order_clause(text, sql_mode);
    if (!clause) return;
    auto [b, e] = *clause;
    if (!(b < e && e <= text.size())) finding("clause range outside the text: " + show(text));
    std::string_view c = std::string_view(text).substr(b, e - b);
    if (!starts_with_ci(c, "FOLLOWS") && !starts_with_ci(c, "PRECEDES"))
      finding("clause does not start with FOLLOWS/PRECEDES: " + show(c));
    TriggerDef t;
    t.create_sql = text;
    t.sql_mode = sql_mode;
    std::string r = trigger_restore_statement(t);
    if (r.size() >= text.size()) finding("the clause was not cut: " + show(text));
    return;
  }
  const std::string trigger = name(p), table = name(p), other = name(p);
  const std::string value = p.ConsumeRandomLengthString(32);
  const bool ansi = p.ConsumeBool();
  const std::string sql_mode = ansi ? "ANSI_QUOTES" : "";
  // Strings and names that hold the words the reader looks for must not confuse it.
  std::string head = "CREATE DEFINER=`root`@`localhost` TRIGGER " + quote_identifier(trigger) +
                     " BEFORE INSERT ON " + quote_identifier(table) + " FOR EACH ROW";
  std::string clause = std::string(p.ConsumeBool() ? "FOLLOWS " : "precedes ") +
                       (ansi && p.ConsumeBool() ? ansi_identifier(other) : quote_identifier(other));
  std::string body = " SET NEW.x = " + (ansi ? string_literal(value, Mode::plain)
                                             : quote_string(value)) +
                     " /* FOR EACH ROW FOLLOWS `x` */";
  std::string sql = head + " " + clause + body;
  auto got = trigger_order_clause(sql, sql_mode);
  if (!got || got->first != head.size() + 1 || got->second != head.size() + 1 + clause.size())
    finding("the FOLLOWS/PRECEDES clause of " + show(sql) + " was not found exactly");
  TriggerDef t;
  t.create_sql = sql;
  t.sql_mode = sql_mode;
  if (trigger_restore_statement(t) != head + body)
    finding("trigger_restore_statement of " + show(sql) + " gave " +
            show(trigger_restore_statement(t)));
}

// ---- 3: deferred indexes ----------------------------------------------------------------

void check_deferred(FuzzedDataProvider& p) {
  if (p.ConsumeBool()) {
    std::string q = quote_qualified(name(p), name(p));
    std::string text = p.ConsumeRemainingBytesAsString();
    SplitDdl s = split_secondary_indexes(text, q);
    if (s.add_indexes_sql.empty()) {
      if (s.create_sql != text) finding("nothing deferred, yet the DDL changed: " + show(text));
      return;
    }
    if (s.add_indexes_sql.rfind("ALTER TABLE " + q + " ADD ", 0) != 0)
      finding("the ALTER does not start with the table: " + show(s.add_indexes_sql));
    if (s.create_sql.size() >= text.size()) finding("deferred, yet the DDL did not shrink");
    SplitDdl again = split_secondary_indexes(s.create_sql, q);
    if (!again.add_indexes_sql.empty())
      finding("the DDL left splits again: " + show(s.create_sql));
    return;
  }
  const std::string table = name(p), column = name(p, 64), key = name(p, 64);
  if (column.empty() || column == "id" || key.empty()) return;
  const std::string qc = quote_identifier(column), qk = quote_identifier(key);
  const std::string head = "CREATE TABLE " + quote_identifier(table) +
                           " (\n  `id` int(11) NOT NULL,\n  " + qc +
                           " varchar(10) DEFAULT NULL COMMENT 'KEY `x` (`id`), ''q''',\n"
                           "  PRIMARY KEY (`id`)";
  const std::string tail = "\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
  const std::string key_def = "KEY " + qk + " (" + qc + ")";
  const std::string qualified = quote_qualified("db", table);
  SplitDdl s = split_secondary_indexes(head + ",\n  " + key_def + tail, qualified);
  if (s.create_sql != head + tail || s.add_indexes_sql != "ALTER TABLE " + qualified + " ADD " + key_def)
    finding("key " + show(key) + " on column " + show(column) + " split as\n  " +
            show(s.create_sql) + "\n  " + show(s.add_indexes_sql));
}

// ---- 4: staging names -------------------------------------------------------------------

std::size_t chars(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

void check_staging(FuzzedDataProvider& p) {
  const std::string a = name(p, 80), b = name(p, 80);
  if (a.empty()) return;
  TargetNames in_place = staging_names(a, true);
  if (in_place.name != a || in_place.work != a || !in_place.old.empty())
    finding("--in-place names of " + show(a));
  TargetNames n = staging_names(a, false);
  if (n.name != a) finding("staging changed the name " + show(a));
  if (n.work == a || n.old == a || n.work == n.old)
    finding("staging names of " + show(a) + " are not distinct");
  if (n.work.empty() || n.old.empty() || chars(n.work) > 64 || chars(n.old) > 64)
    finding("staging names of " + show(a) + " are not valid database names: " + show(n.work) +
            " " + show(n.old));
  if (staging_names(a, false).work != n.work) finding("staging names are not deterministic");
  if (b.empty() || b == a) return;
  TargetNames m = staging_names(b, false);
  // Two different targets never share a staging or old name (choose_targets() refuses a
  // target that is another one's staging or old name, so those cases need no check).
  if (n.work == m.work || n.old == m.old || n.work == m.old || n.old == m.work)
    finding("targets " + show(a) + " and " + show(b) + " share a staging name");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  FuzzedDataProvider p(data + 1, size - 1);
  try {
    switch (data[0] % 5) {
      case 0: check_quoting(p); break;
      case 1: check_rename(p); break;
      case 2: check_triggers(p); break;
      case 3: check_deferred(p); break;
      case 4: check_staging(p); break;
    }
  } catch (const std::exception& e) {
    finding(std::string("unexpected exception: ") + e.what());
  } catch (...) {
    finding("unexpected non-standard exception");
  }
  return 0;
}

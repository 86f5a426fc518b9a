#include "restore/deferred_indexes.h"

#include <algorithm>
#include <cstddef>
#include <set>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "sql/lexer.h"

namespace omsbackup {

namespace {

using sql::Token;
using sql::TokenKind;

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

// False when the text does not lex (an unterminated quote or comment) or has a line
// comment, which SHOW CREATE TABLE never writes.
bool lex(std::string_view s, std::vector<Token>& out) {
  sql::Lexed lexed = sql::lex(s);
  out = std::move(lexed.tokens);
  if (!lexed.complete) return false;
  return std::none_of(out.begin(), out.end(), [](const Token& t) {
    return t.kind == TokenKind::comment && t.text[0] != '/';
  });
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

bool is_word(const std::vector<Token>& t, std::size_t i, std::string_view w) {
  return i < t.size() && t[i].is_word(w);
}
bool is_punct(const std::vector<Token>& t, std::size_t i, char c) {
  return i < t.size() && t[i].is_punct(c);
}
bool is_kind(const std::vector<Token>& t, std::size_t i, TokenKind k) {
  return i < t.size() && t[i].kind == k;
}
bool is_number(const std::vector<Token>& t, std::size_t i) {
  return is_kind(t, i, TokenKind::word) &&
         std::all_of(t[i].text.begin(), t[i].text.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

// ---- definitions -------------------------------------------------------------------

enum class DefKind { column, primary, unique_key, key, fulltext, spatial, check, foreign, other };

struct KeyShape {
  bool understood = false;   // name, plain column parts and known options only
  bool using_hash = false;   // USING HASH / RTREE: not deferred
  std::vector<std::string> columns;
};

// Parses `name (parts) options` of a KEY / UNIQUE KEY definition from token `i`.
KeyShape parse_key(const std::vector<Token>& t, std::size_t i) {
  KeyShape k;
  if (!is_kind(t, i, TokenKind::identifier)) return k;
  ++i;
  if (!is_punct(t, i, '(')) return k;
  ++i;
  for (;;) {
    // A part: `col`, `col`(n), optionally ASC or DESC. Anything else (MySQL's functional
    // key parts) is not deferred.
    if (!is_kind(t, i, TokenKind::identifier)) return k;
    k.columns.push_back(t[i].name());
    ++i;
    if (is_punct(t, i, '(')) {
      if (!is_number(t, i + 1) || !is_punct(t, i + 2, ')')) return k;
      i += 3;
    }
    if (is_word(t, i, "ASC") || is_word(t, i, "DESC")) ++i;
    if (is_punct(t, i, ',')) {
      ++i;
      continue;
    }
    if (is_punct(t, i, ')')) {
      ++i;
      break;
    }
    return k;
  }
  while (i < t.size()) {
    if (is_word(t, i, "USING") && (is_word(t, i + 1, "BTREE") || is_word(t, i + 1, "HASH") ||
                                   is_word(t, i + 1, "RTREE"))) {
      if (!is_word(t, i + 1, "BTREE")) k.using_hash = true;
      i += 2;
    } else if (is_word(t, i, "KEY_BLOCK_SIZE") && is_punct(t, i + 1, '=') && is_number(t, i + 2)) {
      i += 3;
    } else if (is_word(t, i, "COMMENT") && is_kind(t, i + 1, TokenKind::string)) {
      i += 2;
    } else if (is_word(t, i, "IGNORED")) {  // MariaDB's ignored indexes
      ++i;
    } else if (is_kind(t, i, TokenKind::executable_open) &&
               is_kind(t, i + 2, TokenKind::executable_close) &&
               std::string_view(t[i].text.data(), t[i + 2].end() - t[i].offset) ==
                   "/*!80000 INVISIBLE */") {
      i += 3;
    } else {
      return k;
    }
  }
  k.understood = true;
  return k;
}

struct Definition {
  std::string_view text;
  DefKind kind = DefKind::other;
  KeyShape key;            // for unique_key and key
  bool auto_increment = false;  // for column
  std::string column;      // for column
};

Definition classify(std::string_view text) {
  Definition d;
  d.text = text;
  std::vector<Token> t;
  if (!lex(text, t) || t.empty()) return d;
  if (t[0].kind == TokenKind::identifier) {
    d.kind = DefKind::column;
    d.column = t[0].name();
    for (std::size_t i = 1; i < t.size(); ++i)
      if (is_word(t, i, "AUTO_INCREMENT")) d.auto_increment = true;
  } else if (is_word(t, 0, "PRIMARY") && is_word(t, 1, "KEY")) {
    d.kind = DefKind::primary;
  } else if (is_word(t, 0, "UNIQUE") && is_word(t, 1, "KEY")) {
    d.kind = DefKind::unique_key;
    d.key = parse_key(t, 2);
  } else if (is_word(t, 0, "KEY")) {
    d.kind = DefKind::key;
    d.key = parse_key(t, 1);
  } else if (is_word(t, 0, "FULLTEXT") && is_word(t, 1, "KEY")) {
    d.kind = DefKind::fulltext;
  } else if (is_word(t, 0, "SPATIAL") && is_word(t, 1, "KEY")) {
    d.kind = DefKind::spatial;
  } else if (is_word(t, 0, "FOREIGN") ||
             (is_word(t, 0, "CONSTRAINT") && is_kind(t, 1, TokenKind::identifier) &&
              is_word(t, 2, "FOREIGN"))) {
    d.kind = DefKind::foreign;
  } else if (is_word(t, 0, "CHECK") ||
             (is_word(t, 0, "CONSTRAINT") && is_kind(t, 1, TokenKind::identifier) &&
              is_word(t, 2, "CHECK"))) {
    d.kind = DefKind::check;
  }
  return d;
}

// Where a definition may stand: columns, then keys, then constraints.
int section_of(DefKind k) {
  switch (k) {
    case DefKind::column: return 0;
    case DefKind::primary:
    case DefKind::unique_key:
    case DefKind::key:
    case DefKind::fulltext:
    case DefKind::spatial: return 1;
    default: return 2;
  }
}

bool contains_word_ci(std::string_view s, std::string_view w) {
  for (std::size_t i = 0; i + w.size() <= s.size(); ++i)
    if (iequals(s.substr(i, w.size()), w)) return true;
  return false;
}

constexpr std::string_view kIndent = "\n  ";

}  // namespace

SplitDdl split_secondary_indexes(const std::string& create_sql,
                                 const std::string& qualified_table) {
  const SplitDdl unchanged{create_sql, ""};
  const std::string_view s = create_sql;

  // CREATE TABLE `name` ( definitions ) tail
  std::vector<Token> t;
  if (s.substr(0, 13) != "CREATE TABLE " || !lex(s, t)) return unchanged;
  if (!is_word(t, 0, "CREATE") || !is_word(t, 1, "TABLE") ||
      !is_kind(t, 2, TokenKind::identifier) ||
      !is_punct(t, 3, '(')) {
    return unchanged;
  }
  const std::size_t open = t[3].offset;
  std::vector<std::size_t> commas;
  std::size_t close = std::string_view::npos;
  int depth = 0;
  for (std::size_t i = 4; i < t.size() && close == std::string_view::npos; ++i) {
    if (is_punct(t, i, '(')) {
      ++depth;
    } else if (is_punct(t, i, ')')) {
      if (depth == 0) close = t[i].offset;
      --depth;
    } else if (depth == 0 && is_punct(t, i, ',')) {
      commas.push_back(t[i].offset);
    }
  }
  if (close == std::string_view::npos) return unchanged;
  // A table whose rows are not its own (a MERGE table's are its UNION tables') is loaded
  // with nothing: deferring its keys buys nothing, and a MERGE table's keys must match
  // its UNION tables' whenever it is opened.
  for (std::size_t i = 0; i + 2 < t.size(); ++i) {
    if (t[i].offset <= close) continue;
    if (is_word(t, i, "ENGINE") && is_punct(t, i + 1, '=') &&
        !ddl_only_reason(t[i + 2].text).empty())
      return unchanged;
  }

  // Every definition is on its own line, indented by two spaces; ")" on a line of its own.
  std::vector<Definition> defs;
  std::size_t begin = open + 1;
  commas.push_back(close);
  for (std::size_t end : commas) {
    std::string_view piece = s.substr(begin, end - begin);
    if (piece.substr(0, kIndent.size()) != kIndent) return unchanged;
    piece.remove_prefix(kIndent.size());
    if (end == close) {
      if (piece.empty() || piece.back() != '\n') return unchanged;
      piece.remove_suffix(1);
    }
    if (piece.empty() || is_space(piece.front()) || is_space(piece.back())) return unchanged;
    defs.push_back(classify(piece));
    begin = end + 1;
  }
  const std::string_view head = s.substr(0, open + 1);
  const std::string_view tail = s.substr(close);

  auto assemble = [&](const std::vector<std::string_view>& parts) {
    std::string out(head);
    for (std::size_t i = 0; i < parts.size(); ++i) {
      out += i == 0 ? "\n  " : ",\n  ";
      out += parts[i];
    }
    out += '\n';
    out += tail;
    return out;
  };
  {
    std::vector<std::string_view> all;
    for (const Definition& d : defs) all.push_back(d.text);
    if (assemble(all) != create_sql) return unchanged;  // not the layout we understand
  }

  bool has_primary = false;
  int section = 0;
  std::set<std::string> auto_columns;
  for (const Definition& d : defs) {
    if (d.kind == DefKind::other || d.kind == DefKind::foreign) return unchanged;
    if (section_of(d.kind) < section) return unchanged;
    section = section_of(d.kind);
    if (d.kind == DefKind::primary) has_primary = true;
    if (d.kind == DefKind::column && d.auto_increment) auto_columns.insert(d.column);
  }
  // `PARTITION BY KEY ()` uses the primary or a unique key; with MySQL it is in a comment.
  const bool partitioned = contains_word_ci(tail, "PARTITION");

  auto deferrable = [&](const Definition& d) {
    if (d.kind != DefKind::key && d.kind != DefKind::unique_key) return false;
    if (!d.key.understood || d.key.using_hash) return false;
    // Without a primary key InnoDB clusters on the first NOT NULL unique key.
    if (d.kind == DefKind::unique_key && (!has_primary || partitioned)) return false;
    for (const std::string& c : d.key.columns)
      if (auto_columns.count(c) != 0) return false;
    return true;
  };
  // The server keeps keys sorted: unique before plain keys, FULLTEXT last, otherwise in
  // the order they were added. Keys added back come after the kept keys of their class, so
  // only keys after the last kept non-FULLTEXT key are deferred.
  std::size_t first = 0;
  for (std::size_t i = 0; i < defs.size(); ++i) {
    if (section_of(defs[i].kind) == 1 && defs[i].kind != DefKind::fulltext &&
        !deferrable(defs[i])) {
      first = i + 1;
    }
  }

  std::vector<std::string_view> kept;
  std::string alter;
  for (std::size_t i = 0; i < defs.size(); ++i) {
    if (i >= first && deferrable(defs[i])) {
      alter += alter.empty() ? "ALTER TABLE " + qualified_table + " ADD " : ", ADD ";
      alter += defs[i].text;
    } else {
      kept.push_back(defs[i].text);
    }
  }
  if (alter.empty()) return unchanged;
  return SplitDdl{assemble(kept), alter};
}

}  // namespace omsbackup

#include "sql/object_rewrite.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "sql/lexer.h"
#include "sql/quote.h"

namespace omsbackup {

using sql::Token;
using sql::TokenKind;

std::optional<std::pair<std::size_t, std::size_t>> trigger_order_clause(
    std::string_view create_sql, std::string_view sql_mode) {
  std::vector<Token> toks =
      sql::statement_tokens(sql::lex(create_sql, sql::LexMode::of_sql_mode(sql_mode)));
  for (std::size_t i = 0; i + 2 < toks.size(); ++i) {
    if (!toks[i].is_word("FOR") || !toks[i + 1].is_word("EACH") || !toks[i + 2].is_word("ROW"))
      continue;
    std::size_t k = i + 3;
    if (k + 1 < toks.size() && (toks[k].is_word("FOLLOWS") || toks[k].is_word("PRECEDES")) &&
        (toks[k + 1].kind == TokenKind::identifier || toks[k + 1].kind == TokenKind::word)) {
      return std::make_pair(toks[k].offset, toks[k + 1].end());
    }
    return std::nullopt;
  }
  return std::nullopt;
}

std::string rename_database_references(std::string_view sql, std::string_view from,
                                       std::string_view to, std::string_view sql_mode,
                                       bool keep_unquoted) {
  std::vector<Token> toks =
      sql::statement_tokens(sql::lex(sql, sql::LexMode::of_sql_mode(sql_mode)));
  auto is_name = [&](std::size_t i) {
    if (i >= toks.size()) return false;
    const Token& t = toks[i];
    // A quoted name must be closed.
    if (t.kind == TokenKind::identifier)
      return t.text.size() > 1 && t.text.back() == t.text.front();
    // An unquoted name: a word that is not a number (1.5). NEW and OLD before a '.' are
    // a trigger's rows (NEW.col), whatever databases exist.
    return t.kind == TokenKind::word && !t.is_word("NEW") && !t.is_word("OLD") &&
           !std::all_of(t.text.begin(), t.text.end(),
                        [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  };
  const std::string quoted = quote_identifier(to);
  const bool plain = keep_unquoted && !to.empty() &&
                     std::all_of(to.begin(), to.end(), [](char c) {
                       return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                     });
  std::string out;
  out.reserve(sql.size());
  std::size_t copied = 0;
  for (std::size_t i = 0; i + 2 < toks.size(); ++i) {
    if (!is_name(i) || toks[i].name() != from || !toks[i + 1].is_punct('.') || !is_name(i + 2))
      continue;
    if (i > 0 && toks[i - 1].is_punct('.')) continue;
    out.append(sql.substr(copied, toks[i].offset - copied));
    if (plain && toks[i].kind == TokenKind::word)
      out += to;
    else
      out += quoted;
    copied = toks[i].end();
  }
  out.append(sql.substr(copied));
  return out;
}

}  // namespace omsbackup

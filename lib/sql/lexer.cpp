#include "sql/lexer.h"

namespace omsbackup::sql {

namespace {

char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

bool word_byte(char c) {
  auto u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
         u == '_' || u == '$' || u >= 0x80;
}

// The server's blanks (my_isspace).
bool blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// What may follow "--" for it to start a comment: a blank or a control byte.
bool blank_or_control(char c) { return blank(c) || static_cast<unsigned char>(c) < 0x20; }

// One past the closing quote of the quoted token at s[i]; npos when it is not closed.
std::size_t skip_quoted(std::string_view s, std::size_t i, bool backslash_escapes) {
  const char q = s[i];
  for (std::size_t j = i + 1; j < s.size(); ++j) {
    if (s[j] == '\\' && backslash_escapes) {
      ++j;
    } else if (s[j] == q) {
      if (j + 1 < s.size() && s[j + 1] == q) {
        ++j;
      } else {
        return j + 1;
      }
    }
  }
  return std::string_view::npos;
}

}  // namespace

bool Token::is_word(std::string_view w) const {
  if (kind != TokenKind::word || text.size() != w.size()) return false;
  for (std::size_t i = 0; i < w.size(); ++i)
    if (upper(text[i]) != w[i]) return false;
  return true;
}

std::string Token::name() const {
  return kind == TokenKind::identifier ? identifier_name(text) : std::string(text);
}

LexMode LexMode::of_sql_mode(std::string_view sql_mode) {
  std::string up;
  for (char c : sql_mode) up.push_back(upper(c));
  auto has = [&](std::string_view flag) {
    std::size_t pos = 0;
    while ((pos = up.find(flag, pos)) != std::string::npos) {
      bool left = pos == 0 || up[pos - 1] == ',';
      bool right = pos + flag.size() == up.size() || up[pos + flag.size()] == ',';
      if (left && right) return true;
      pos += flag.size();
    }
    return false;
  };
  LexMode m;
  m.ansi_quotes = has("ANSI_QUOTES") || has("ANSI");
  m.no_backslash_escapes = has("NO_BACKSLASH_ESCAPES");
  return m;
}

Lexed lex(std::string_view s, LexMode mode) {
  Lexed out;
  const std::size_t n = s.size();
  auto at = [&](std::size_t i) { return i < n ? s[i] : '\0'; };
  auto push = [&](TokenKind kind, std::size_t begin, std::size_t end) {
    out.tokens.push_back(Token{kind, s.substr(begin, end - begin), begin});
  };
  bool in_executable = false;
  std::size_t i = 0;
  while (i < n) {
    const char c = s[i];
    std::size_t end = i + 1;
    if (blank(c)) {
      ++i;
      continue;
    }
    if (c == '#' || (c == '-' && at(i + 1) == '-' && (i + 2 >= n || blank_or_control(s[i + 2])))) {
      end = s.find('\n', i);
      if (end == std::string_view::npos) end = n;
      push(TokenKind::comment, i, end);
    } else if (c == '/' && at(i + 1) == '*') {
      if (at(i + 2) == '!' || (at(i + 2) == 'M' && at(i + 3) == '!')) {
        end = i + (at(i + 2) == '!' ? 3 : 4);
        while (end < n && s[end] >= '0' && s[end] <= '9') ++end;
        push(TokenKind::executable_open, i, end);
        in_executable = true;
      } else {
        std::size_t close = s.find("*/", i + 2);
        if (close == std::string_view::npos) out.complete = false;
        end = close == std::string_view::npos ? n : close + 2;
        push(TokenKind::comment, i, end);
      }
    } else if (c == '*' && at(i + 1) == '/' && in_executable) {
      end = i + 2;
      push(TokenKind::executable_close, i, end);
      in_executable = false;
    } else if (c == '`' || c == '"' || c == '\'') {
      const bool identifier = c == '`' || (c == '"' && mode.ansi_quotes);
      end = skip_quoted(s, i, !identifier && !mode.no_backslash_escapes);
      if (end == std::string_view::npos) {
        out.complete = false;
        end = n;
      }
      push(identifier ? TokenKind::identifier : TokenKind::string, i, end);
    } else if (word_byte(c)) {
      while (end < n && word_byte(s[end])) ++end;
      push(TokenKind::word, i, end);
    } else {
      push(TokenKind::punct, i, end);
    }
    i = end;
  }
  if (in_executable) out.complete = false;
  return out;
}

std::vector<Token> statement_tokens(const Lexed& lexed) {
  std::vector<Token> out;
  out.reserve(lexed.tokens.size());
  for (const Token& t : lexed.tokens) {
    if (t.kind != TokenKind::comment && t.kind != TokenKind::executable_open &&
        t.kind != TokenKind::executable_close)
      out.push_back(t);
  }
  return out;
}

std::string identifier_name(std::string_view quoted) {
  std::string out;
  if (quoted.empty()) return out;
  const char q = quoted[0];
  for (std::size_t j = 1; j < quoted.size(); ++j) {
    if (quoted[j] == q) {
      if (j + 1 < quoted.size() && quoted[j + 1] == q) {
        out.push_back(q);
        ++j;
        continue;
      }
      break;
    }
    out.push_back(quoted[j]);
  }
  return out;
}

}  // namespace omsbackup::sql

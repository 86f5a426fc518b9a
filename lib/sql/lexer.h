// One lexer for MySQL / MariaDB statement text: enough to tell names from strings,
// comments, keywords and punctuation. It does not parse. Used to read names out of saved
// definitions (views, triggers, routines, events) and out of SHOW CREATE TABLE.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace omsbackup::sql {

enum class TokenKind {
  // A keyword, an unquoted name or a number: a run of ASCII letters and digits, '_', '$'
  // and bytes from 0x80 (any UTF-8 beyond ASCII). "1.5" is three tokens.
  word,
  // `name`, or "name" under ANSI_QUOTES: a doubled quote stands for itself, a backslash is
  // a plain byte.
  identifier,
  // 'text', or "text" without ANSI_QUOTES: a doubled quote stands for itself, and a
  // backslash escapes the next byte unless NO_BACKSLASH_ESCAPES.
  string,
  // /* ... */, and # ... or "-- " ... up to the end of the line (the newline is not part
  // of it). "--" is a comment only when a blank, a control byte or the end of the text
  // follows it; otherwise it is two '-'.
  comment,
  // /*!50001 or /*M!100000 (the digits are optional): what follows up to the next
  // executable_close is part of the statement (the server runs it) and is lexed as such.
  executable_open,
  // The "*/" that ends an executable comment (elsewhere "*/" is '*' and '/').
  executable_close,
  // Any other byte, one token each (a control byte outside quotes too).
  punct,
};

struct Token {
  TokenKind kind;
  // A view into the lexed text, as written: quotes and comment marks included.
  std::string_view text;
  std::size_t offset = 0;  // where `text` begins in the lexed text

  std::size_t end() const { return offset + text.size(); }
  // A word equal to `upper` (upper-case ASCII), case-insensitively.
  bool is_word(std::string_view upper) const;
  bool is_punct(char c) const { return kind == TokenKind::punct && text[0] == c; }
  // The name an identifier stands for (identifier_name); any other token's text.
  std::string name() const;
};

// How the session's sql_mode makes the server read quotes.
struct LexMode {
  bool ansi_quotes = false;           // ANSI_QUOTES (or ANSI): "..." is an identifier
  bool no_backslash_escapes = false;  // NO_BACKSLASH_ESCAPES: '\' in a string is a byte

  // The mode of a sql_mode value as SHOW CREATE or @@sql_mode give it ("A,B,C", any case).
  static LexMode of_sql_mode(std::string_view sql_mode);
};

struct Lexed {
  std::vector<Token> tokens;
  // False when a quote, a comment or an executable comment is not closed by the end of
  // the text; the unclosed quote or comment is then the last token and runs to the end.
  bool complete = true;
};

// Blanks (space, tab, newline, vertical tab, form feed, carriage return) separate tokens
// and are not tokens.
Lexed lex(std::string_view sql, LexMode mode = {});

// The tokens the server reads as the statement: without comments, and without the marks
// of executable comments (their content stays).
std::vector<Token> statement_tokens(const Lexed& lexed);

// The name a quoted identifier stands for: without its quotes and with doubled quotes
// undone (`a``b` -> a`b, "a""b" -> a"b). An unterminated one stands for all the bytes
// after its opening quote.
std::string identifier_name(std::string_view quoted);

}  // namespace omsbackup::sql

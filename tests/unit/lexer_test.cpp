// The SQL lexer (lib/sql/lexer.h): quotes of each kind under each sql_mode, comments,
// executable comments, unterminated text, offsets.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "sql/lexer.h"

using namespace omsbackup::sql;
using Strings = std::vector<std::string>;

namespace {

char letter(TokenKind k) {
  switch (k) {
    case TokenKind::word: return 'w';
    case TokenKind::identifier: return 'i';
    case TokenKind::string: return 's';
    case TokenKind::comment: return 'c';
    case TokenKind::executable_open: return '<';
    case TokenKind::executable_close: return '>';
    case TokenKind::punct: return 'p';
  }
  return '?';
}

// Each token as "<kind letter> <text>".
Strings tokens(const Lexed& l) {
  Strings out;
  for (const Token& t : l.tokens) out.push_back(std::string(1, letter(t.kind)) + " " + std::string(t.text));
  return out;
}

Strings lexed(std::string_view sql, LexMode mode = {}) {
  Lexed l = lex(sql, mode);
  CHECK(l.complete);
  // Every token is the text at its offset.
  for (const Token& t : l.tokens) CHECK(sql.substr(t.offset, t.text.size()) == t.text);
  return tokens(l);
}

const LexMode kAnsi{true, false};
const LexMode kNoBackslash{false, true};

}  // namespace

TEST_CASE("lexer: words, punctuation and blanks", "[lexer]") {
  CHECK(lexed("SELECT a1,$b_ FROM t WHERE x>=1.5") ==
        Strings{"w SELECT", "w a1", "p ,", "w $b_", "w FROM", "w t", "w WHERE", "w x", "p >",
                "p =", "w 1", "p .", "w 5"});
  CHECK(lexed(" \t\n\v\f\rx\r\n").size() == 1);
  // A control byte that is not a blank is not skipped: the server would not take it.
  CHECK(lexed("a\x01" "b") == Strings{"w a", "p \x01", "w b"});
  // Bytes from 0x80 are part of words: unquoted UTF-8 names.
  CHECK(lexed("SELECT 心跳.ä FROM x") == Strings{"w SELECT", "w 心跳", "p .", "w ä", "w FROM", "w x"});
  Lexed l = lex("  ab  `c`");
  REQUIRE(l.tokens.size() == 2);
  CHECK(l.tokens[0].offset == 2);
  CHECK(l.tokens[0].end() == 4);
  CHECK(l.tokens[1].offset == 6);
  CHECK(l.tokens[1].end() == 9);
  CHECK(l.tokens[0].is_word("AB"));
  CHECK_FALSE(l.tokens[0].is_word("A"));
  CHECK_FALSE(l.tokens[1].is_word("C"));  // an identifier is not a keyword
}

TEST_CASE("lexer: backtick identifiers double their backticks and hold any quote", "[lexer]") {
  CHECK(lexed("`a``b` `it's \"q\"` `a\\`") ==
        Strings{"i `a``b`", "i `it's \"q\"`", "i `a\\`"});
  Lexed l = lex("`a``b`.`it's \"q\"`.`c\\` ``");
  REQUIRE(l.tokens.size() == 6);
  CHECK(l.tokens[0].name() == "a`b");
  CHECK(l.tokens[2].name() == "it's \"q\"");
  CHECK(l.tokens[4].name() == "c\\");  // no backslash escapes in identifiers
  CHECK(l.tokens[5].name().empty());
  CHECK(l.tokens[1].name() == ".");
  // The same under every mode.
  CHECK(lexed("`a\\``b`", kNoBackslash) == Strings{"i `a\\``b`"});
  CHECK(lexed("`a\"b`", kAnsi) == Strings{"i `a\"b`"});
}

TEST_CASE("lexer: single-quoted strings, doubled quotes and backslash escapes", "[lexer]") {
  CHECK(lexed("'it''s' 'a\\'b' x") == Strings{"s 'it''s'", "s 'a\\'b'", "w x"});
  CHECK(lexed("'a\\\\' x") == Strings{"s 'a\\\\'", "w x"});
  CHECK(lexed("'`' `'`") == Strings{"s '`'", "i `'`"});
  // NO_BACKSLASH_ESCAPES: a backslash is a byte, the quote after it ends the string.
  CHECK(lexed("'a\\' x", kNoBackslash) == Strings{"s 'a\\'", "w x"});
  CHECK(lexed("'a\\'' x'", kNoBackslash) == Strings{"s 'a\\'' x'"});
  // Without it the same text is one unterminated string.
  Lexed l = lex("'a\\' x");
  CHECK_FALSE(l.complete);
  CHECK(tokens(l) == Strings{"s 'a\\' x"});
}

TEST_CASE("lexer: double quotes are strings, or identifiers under ANSI_QUOTES", "[lexer]") {
  CHECK(lexed("\"a\"\"b\" \"c\\\"d\"") == Strings{"s \"a\"\"b\"", "s \"c\\\"d\""});
  CHECK(lexed("\"a\"\"b\" \"c\\\"", kAnsi) == Strings{"i \"a\"\"b\"", "i \"c\\\""});
  Lexed l = lex("\"a\"\"b\".\"c\\\"", kAnsi);
  REQUIRE(l.tokens.size() == 3);
  CHECK(l.tokens[0].name() == "a\"b");
  CHECK(l.tokens[2].name() == "c\\");
  CHECK(lexed("\"a\\\"\" x\"", kNoBackslash) == Strings{"s \"a\\\"\" x\""});
}

TEST_CASE("lexer: the sql_mode sets the mode", "[lexer]") {
  auto mode = [](std::string_view m) {
    LexMode x = LexMode::of_sql_mode(m);
    return std::string(x.ansi_quotes ? "A" : "-") + (x.no_backslash_escapes ? "N" : "-");
  };
  CHECK(mode("") == "--");
  CHECK(mode("STRICT_TRANS_TABLES,ANSI_QUOTES") == "A-");
  CHECK(mode("ansi") == "A-");
  CHECK(mode("NO_BACKSLASH_ESCAPES,ANSI_QUOTES") == "AN");
  CHECK(mode("NO_BACKSLASH_ESCAPES") == "-N");
  // Whole flags only.
  CHECK(mode("ANSI_QUOTES_X,XANSI,NO_BACKSLASH_ESCAPESS") == "--");
}

TEST_CASE("lexer: comments", "[lexer]") {
  CHECK(lexed("a /* b `c */ d") == Strings{"w a", "c /* b `c */", "w d"});
  CHECK(lexed("a # b 'c\nd") == Strings{"w a", "c # b 'c", "w d"});
  CHECK(lexed("a -- b 'c\nd") == Strings{"w a", "c -- b 'c", "w d"});
  CHECK(lexed("a --\tb\nd") == Strings{"w a", "c --\tb", "w d"});
  CHECK(lexed("a --") == Strings{"w a", "c --"});
  // "--" with no blank after it is two minus signs.
  CHECK(lexed("a--1") == Strings{"w a", "p -", "p -", "w 1"});
  // Comment marks inside quotes are text.
  CHECK(lexed("'/*' `#` \"--\n\"") == Strings{"s '/*'", "i `#`", "s \"--\n\""});
  // "*/" outside a comment is two bytes.
  CHECK(lexed("*/") == Strings{"p *", "p /"});
}

TEST_CASE("lexer: executable comments are part of the statement", "[lexer]") {
  CHECK(lexed("a /*!50001 b `c` */ d") ==
        Strings{"w a", "< /*!50001", "w b", "i `c`", "> */", "w d"});
  CHECK(lexed("/*M!100000 x*//*!y*/") == Strings{"< /*M!100000", "w x", "> */", "< /*!", "w y", "> */"});
  // A plain comment inside one ends at its own "*/".
  CHECK(lexed("/*!1 a /* b */ c */") ==
        Strings{"< /*!1", "w a", "c /* b */", "w c", "> */"});
  // statement_tokens keeps what the server runs.
  Lexed l = lex("a /*!50001 b */ /* c */ -- d\n e");
  Strings kept;
  for (const Token& t : statement_tokens(l)) kept.emplace_back(t.text);
  CHECK(kept == Strings{"a", "b", "e"});
}

TEST_CASE("lexer: an unterminated quote or comment runs to the end and is reported", "[lexer]") {
  struct Case {
    const char* sql;
    Strings tokens;
  };
  for (const Case& c : {Case{"a 'b", {"w a", "s 'b"}}, Case{"a \"b''", {"w a", "s \"b''"}},
                        Case{"a `b``", {"w a", "i `b``"}}, Case{"a /* b", {"w a", "c /* b"}},
                        Case{"a /*!5 b", {"w a", "< /*!5", "w b"}},
                        Case{"a 'b\\'", {"w a", "s 'b\\'"}}}) {
    Lexed l = lex(c.sql);
    INFO(c.sql);
    CHECK_FALSE(l.complete);
    CHECK(tokens(l) == c.tokens);
  }
  Lexed ansi = lex("\"a", kAnsi);
  CHECK_FALSE(ansi.complete);
  CHECK(tokens(ansi) == Strings{"i \"a"});
  CHECK(ansi.tokens[0].name() == "a");
  CHECK(lex("`a``").tokens[0].name() == "a`");
  // A line comment needs no end.
  CHECK(lex("a # b").complete);
}

TEST_CASE("lexer: multi-byte UTF-8 inside quotes is kept byte for byte", "[lexer]") {
  // '安徽' and a name whose last byte would be a quote if it were read wrongly: every
  // byte of a multi-byte character is >= 0x80, never a quote or a backslash.
  CHECK(lexed("'安徽''s' `心跳`.`ü` \"é\\\"\"") ==
        Strings{"s '安徽''s'", "i `心跳`", "p .", "i `ü`", "s \"é\\\"\""});
  Lexed l = lex("`心``跳` x");
  REQUIRE(l.tokens.size() == 2);
  CHECK(l.tokens[0].name() == "心`跳");
  CHECK(l.tokens[1].offset == std::string_view("`心``跳` ").size());
}

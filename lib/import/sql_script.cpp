#include "import/sql_script.h"

#include <fmt/format.h>

#include <algorithm>

#include "omsbackup/error.h"

namespace omsbackup {

namespace {

constexpr std::size_t kReadBytes = 64 * 1024;
constexpr std::size_t kHeaderLines = 20;  // mysqldump's header is in its first lines

bool blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

bool starts_with_ci(std::string_view s, std::string_view upper_prefix) {
  if (s.size() < upper_prefix.size()) return false;
  for (std::size_t i = 0; i < upper_prefix.size(); ++i)
    if (upper(s[i]) != upper_prefix[i]) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

bool protected_token(const sql::Token& t) {
  return t.kind == sql::TokenKind::string || t.kind == sql::TokenKind::identifier ||
         t.kind == sql::TokenKind::comment;
}

// Where a statement's text begins after blanks and comments (executable comments are text).
std::size_t statement_start(std::string_view t) {
  std::size_t i = 0;
  for (;;) {
    while (i < t.size() && blank(t[i])) ++i;
    if (t.compare(i, 1, "#") == 0 ||
        (t.compare(i, 2, "--") == 0 && (i + 2 == t.size() || blank(t[i + 2])))) {
      i = t.find('\n', i);
      if (i == std::string_view::npos) return t.size();
    } else if (t.compare(i, 2, "/*") == 0 && t.compare(i, 3, "/*!") != 0 &&
               t.compare(i, 4, "/*M!") != 0) {
      i = t.find("*/", i + 2);
      if (i == std::string_view::npos) return t.size();
      i += 2;
    } else {
      return i;
    }
  }
}

}  // namespace

ScriptReader::ScriptReader(SequentialFile& file, std::string name, std::size_t max_statement)
    : file_(file), name_(std::move(name)), max_statement_(max_statement) {}

std::string ScriptReader::where(std::size_t line) const {
  return fmt::format("{} line {}", name_, line);
}

void ScriptReader::refuse(std::size_t line, const std::string& message) const {
  throw Error(Errc::unsupported, where(line), message);
}

std::size_t ScriptReader::line_at(std::size_t offset) const {
  offset = std::min(offset, pending_.size());
  return pending_line_ +
         static_cast<std::size_t>(std::count(pending_.begin(), pending_.begin() + offset, '\n'));
}

bool ScriptReader::read_line(std::string& line) {
  for (;;) {
    std::size_t nl = buf_.find('\n', buf_pos_);
    if (nl != std::string::npos || (eof_ && buf_pos_ < buf_.size())) {
      std::size_t end = nl == std::string::npos ? buf_.size() : nl + 1;
      line.assign(buf_, buf_pos_, end - buf_pos_);
      buf_pos_ = end;
      ++lines_read_;
      return true;
    }
    if (eof_) return false;
    if (buf_.size() - buf_pos_ > max_statement_ + delimiter_.size())
      refuse(lines_read_ + 1,
             fmt::format("a line longer than the server's max_allowed_packet ({} bytes): the "
                         "server could not take the statement; raise max_allowed_packet, or this "
                         "is not a mysqldump file",
                         max_statement_));
    buf_.erase(0, buf_pos_);
    buf_pos_ = 0;
    std::size_t had = buf_.size();
    buf_.resize(had + kReadBytes);
    std::size_t got = file_.read(buf_.data() + had, kReadBytes);
    buf_.resize(had + got);
    if (got == 0) eof_ = true;
  }
}

void ScriptReader::note_comment_line(const std::string& line) {
  std::string_view l = trim(line);
  if (starts_with_ci(l, "-- DUMP COMPLETED")) completed_ = true;
  if (lines_read_ > kHeaderLines || !starts_with_ci(l, "-- ")) return;
  l.remove_prefix(3);
  l = trim(l);
  if (starts_with_ci(l, "MYSQL DUMP") || starts_with_ci(l, "MARIADB DUMP") ||
      starts_with_ci(l, "HOST:") || starts_with_ci(l, "SERVER VERSION")) {
    std::string text;
    for (char c : l) {  // tabs and runs of blanks as one space
      if (blank(c)) {
        if (!text.empty() && text.back() != ' ') text.push_back(' ');
      } else {
        text.push_back(c);
      }
    }
    header_.push_back(text);
  }
}

std::optional<std::size_t> ScriptReader::find_delimiter(const sql::LexMode& mode) const {
  sql::Lexed lexed = sql::lex(pending_, mode);
  for (const sql::Token& t : lexed.tokens) {
    if (protected_token(t)) continue;
    for (std::size_t p = t.offset; p < t.end(); ++p)
      if (pending_.compare(p, delimiter_.size(), delimiter_) == 0) return p;
  }
  return std::nullopt;
}

std::optional<ScriptStatement> ScriptReader::take(std::size_t end) {
  ScriptStatement s;
  s.text = pending_.substr(0, end);
  s.line = line_at(statement_start(s.text));
  std::size_t consumed = end + delimiter_.size();
  pending_line_ = line_at(consumed);
  pending_.erase(0, consumed);
  return s;
}

std::optional<ScriptStatement> ScriptReader::next(const sql::LexMode& mode) {
  bool check = !pending_.empty();  // what is left of the last line may hold a statement
  for (;;) {
    if (check) {
      if (std::optional<std::size_t> end = find_delimiter(mode)) return take(*end);
    }
    if (pending_.size() > max_statement_) {
      refuse(line_at(statement_start(pending_)),
             fmt::format("the statement that begins here is longer than the server's "
                         "max_allowed_packet ({} bytes): raise max_allowed_packet on the server",
                         max_statement_));
    }
    std::string line;
    if (!read_line(line)) break;
    note_comment_line(line);
    std::string_view l = trim(line);
    if (starts_with_ci(l, "DELIMITER") && (l.size() == 9 || blank(l[9]))) {
      // The mysql client's command, only where no statement has begun.
      sql::Lexed before = sql::lex(pending_, mode);
      if (before.complete && sql::statement_tokens(before).empty()) {
        std::string_view d = trim(l.substr(9));
        std::size_t stop = 0;
        while (stop < d.size() && !blank(d[stop])) ++stop;
        if (stop == 0) refuse(lines_read_, "DELIMITER without a delimiter");
        delimiter_ = std::string(d.substr(0, stop));
        pending_.clear();
        pending_line_ = lines_read_ + 1;
        check = false;
        continue;
      }
    }
    if (pending_.empty() || std::all_of(pending_.begin(), pending_.end(), blank)) {
      pending_.clear();
      pending_line_ = lines_read_;
    }
    pending_ += line;
    check = line.find(delimiter_[0]) != std::string::npos;
  }
  // The end of the file: what is left must be blanks and comments.
  sql::Lexed rest = sql::lex(pending_, mode);
  if (!rest.complete) {
    // An open quote or comment is the last token; else an executable comment is open.
    std::size_t open = rest.tokens.back().offset;
    if (!protected_token(rest.tokens.back()) ||
        sql::lex(rest.tokens.back().text, mode).complete) {
      for (const sql::Token& t : rest.tokens)
        if (t.kind == sql::TokenKind::executable_open) open = t.offset;
    }
    refuse(line_at(open),
           "a quote or comment that begins here is not closed by the end of the file: the "
           "file is cut short or is not a mysqldump file");
  }
  std::vector<sql::Token> toks = sql::statement_tokens(rest);
  if (!toks.empty())
    refuse(line_at(toks.front().offset),
           fmt::format("the file ends inside the statement that begins here (no '{}' after "
                       "it): the file is cut short",
                       delimiter_));
  pending_.clear();
  return std::nullopt;
}

}  // namespace omsbackup

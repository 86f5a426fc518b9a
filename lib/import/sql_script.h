// Reading a mysqldump file statement by statement, as the mysql client splits it: on its
// delimiter (";", or what a DELIMITER line sets) outside strings, quoted names and
// comments (sql::lex), streamed from the file so that memory holds one statement, whatever
// the file's size.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "sql/lexer.h"
#include "util/env.h"

namespace omsbackup {

struct ScriptStatement {
  std::string text;      // without its delimiter; comments kept (the server reads them)
  std::size_t line = 0;  // the file's line where it begins (1-based)
};

class ScriptReader {
 public:
  // `name` names the file in errors; a statement longer than `max_statement` bytes is
  // refused (the server's max_allowed_packet).
  ScriptReader(SequentialFile& file, std::string name, std::size_t max_statement);

  // The next statement, lexed under `mode` (the session's sql_mode: ANSI_QUOTES,
  // NO_BACKSLASH_ESCAPES); nullopt at the end of the file. Throws Error(unsupported)
  // naming the line: a quote or comment still open at the end of the file (the line where
  // it begins), a statement without its delimiter at the end (a cut file), a statement
  // longer than the limit, a DELIMITER line without a delimiter.
  std::optional<ScriptStatement> next(const sql::LexMode& mode);

  // "FILE line N", for errors.
  std::string where(std::size_t line) const;
  // The lines of mysqldump's header that say what the file is ("MariaDB dump 10.19
  // Distrib ...", "Host: ... Database: ...", "Server version ..."), without "-- ".
  const std::vector<std::string>& header() const { return header_; }
  // mysqldump's last line ("-- Dump completed on ...") was read.
  bool completed() const { return completed_; }

 private:
  bool read_line(std::string& line);  // false at the end of the file
  void note_comment_line(const std::string& line);
  // Where the delimiter ends a statement in pending_ (nullopt: read more lines).
  std::optional<std::size_t> find_delimiter(const sql::LexMode& mode) const;
  std::optional<ScriptStatement> take(std::size_t end);
  [[noreturn]] void refuse(std::size_t line, const std::string& message) const;
  std::size_t line_at(std::size_t offset) const;  // the file line of pending_[offset]

  SequentialFile& file_;
  std::string name_;
  std::size_t max_statement_;
  std::string buf_;        // bytes read from the file, not yet split into lines
  std::size_t buf_pos_ = 0;
  bool eof_ = false;
  std::size_t lines_read_ = 0;
  std::string pending_;           // text after the last statement
  std::size_t pending_line_ = 1;  // the file line where pending_ begins
  std::string delimiter_ = ";";
  std::vector<std::string> header_;
  bool completed_ = false;
};

}  // namespace omsbackup

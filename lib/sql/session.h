// The server seam: one connection to a MySQL-compatible server. The only code that
// includes <mysql.h> lives in lib/sql/.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "omsbackup/connection.h"
#include "sql/server_info.h"

struct st_mysql;
struct st_mysql_res;

namespace omsbackup {

// A fully buffered result (small catalog queries).
struct ResultSet {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
};

// A result read row by row from the server (mysql_use_result): memory stays flat
// whatever the table size. The Session must not run other statements until the
// stream is exhausted or destroyed.
class RowStream {
 public:
  RowStream(RowStream&&) noexcept;
  RowStream& operator=(RowStream&&) = delete;
  ~RowStream();

  // Advances to the next row; false at the end. Throws Error on a server error.
  bool next();
  unsigned field_count() const noexcept { return fields_; }
  bool is_null(unsigned i) const noexcept { return row_[i] == nullptr; }
  std::string_view value(unsigned i) const noexcept {
    return row_[i] ? std::string_view(row_[i], lengths_[i]) : std::string_view();
  }

 private:
  friend class Session;
  RowStream(st_mysql* mysql, st_mysql_res* res, std::string doing);
  st_mysql* mysql_;
  st_mysql_res* res_;
  std::string doing_;
  unsigned fields_ = 0;
  char** row_ = nullptr;
  unsigned long* lengths_ = nullptr;
};

// Feeds LOAD DATA LOCAL INFILE: returns the number of bytes written into buf (0 at
// the end). May throw; the error is reported by load_data_local().
using LocalInfileSource = std::function<std::size_t(char* buf, std::size_t size)>;

class Session {
 public:
  // Connects, pins utf8mb4, sql_mode and time_zone, runs `pin` (the caller's own session
  // settings, e.g. a reader's) and then options.init_commands, so that those come last.
  // Throws Error naming the server on failure: the endpoint Connector/C tried, with what
  // it read from the option files.
  explicit Session(const ConnectionOptions& options,
                   const std::function<void(Session&)>& pin = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Runs a statement and discards any result. `doing` names what is being done
  // for error messages; the statement itself is used when it is empty.
  void execute(std::string_view sql, std::string_view doing = {});
  ResultSet query(std::string_view sql, std::string_view doing = {});
  RowStream stream(std::string_view sql, std::string_view doing = {});
  // The first column of the first row; nullopt when it is NULL or there is no row.
  std::optional<std::string> scalar(std::string_view sql, std::string_view doing = {});

  // Runs a LOAD DATA LOCAL INFILE statement whose file name is fed by `source`.
  // Returns the number of rows loaded (affected rows).
  std::uint64_t load_data_local(std::string_view sql, const LocalInfileSource& source,
                                std::string_view doing = {});

  // Runs `sql`, a statement without a result (an INSERT), as a prepared statement whose
  // `?` placeholders are binary strings (MYSQL_TYPE_LONG_BLOB, no character set
  // conversion): placeholder i gets values[i], sent with mysql_stmt_send_long_data() in
  // pieces of at most `piece_bytes` (keep it under max_allowed_packet). No packet holds
  // more than the statement text or one piece, so a row longer than max_allowed_packet
  // goes through; the server still refuses a single value longer than max_allowed_packet.
  // The values are not copied. Returns the number of rows changed (also affected_rows()).
  std::uint64_t execute_long_data(std::string_view sql, const std::vector<std::string_view>& values,
                                  std::size_t piece_bytes, std::string_view doing = {});

  // Rows changed by the last execute() (or load_data_local(), execute_long_data()).
  std::uint64_t affected_rows() const;
  unsigned warning_count() const;
  const ServerInfo& server() const noexcept { return server_; }
  // What the client library connected to: "host:port" or the socket path.
  const std::string& endpoint() const noexcept { return endpoint_; }

 private:
  [[noreturn]] void fail(std::string_view sql, std::string_view doing) const;
  void run(std::string_view sql, std::string_view doing);
  void run_init_commands(const std::vector<std::string>& commands);
  std::vector<std::string> read_settings(std::vector<std::string>& names);

  st_mysql* mysql_ = nullptr;
  std::string endpoint_;
  ServerInfo server_;
  std::uint64_t affected_ = 0;
};

}  // namespace omsbackup

// omsbackup — how to reach a MySQL-compatible server (MariaDB, MySQL, OceanBase MySQL mode).
#pragma once

#include "omsbackup/export.h"

#include <optional>
#include <string>
#include <vector>

namespace omsbackup {

enum class SslMode { preferred, disabled, required, verify_ca, verify_identity };

struct OMSBACKUP_API ConnectionOptions {
  std::string host;    // empty with a socket: connect through the socket
  unsigned port = 0;   // 0: the client default (3306) or the option file's
  std::string socket;  // unix socket path
  std::string user;    // OceanBase users may carry @tenant and #cluster
  // The password. Unset: Connector/C takes it from the option file's [client] group, else
  // from MYSQL_PWD -- the mysql client's order (set > option file > MYSQL_PWD).
  // Never printed, logged or written to an archive.
  std::optional<std::string> password;
  // A MySQL option file read through Connector/C (only this file); empty: the default
  // ones (/etc/my.cnf, /etc/mysql/my.cnf, ~/.my.cnf, ...), as the mysql client reads them.
  // Whatever is set above wins over the file's [client] group.
  std::string defaults_file;
  std::string defaults_group = "client";

  SslMode ssl_mode = SslMode::preferred;
  std::string ssl_ca, ssl_cert, ssl_key;

  unsigned connect_timeout_s = 10;
  unsigned read_timeout_s = 3600;   // long reads and loads must not be cut
  unsigned write_timeout_s = 3600;
  // How long one statement may wait for a metadata or table lock another connection holds
  // (SET SESSION lock_wait_timeout on every session; the server's own default is a day).
  // When it runs out the statement fails, naming the holder (docs/restore.md, "Waiting for
  // locks"). 0: leave the server's setting.
  unsigned lock_wait_timeout_s = 60;

  // SQL run, in this order, on every connection once the library has set it up
  // (sql_mode, time_zone, character sets, isolation, timeouts), so its settings win over
  // the library's own: e.g. OceanBase's "SET SESSION ob_query_timeout = ...". One statement
  // each. An error names the command. A command that changes a setting exactness depends
  // on (sql_mode, time_zone, the character sets, the isolation level, sql_select_limit,
  // autocommit, sql_quote_show_create) is refused (Errc::invalid_argument).
  std::vector<std::string> init_commands;

  // What these options say about the server, before any option file is read: "host:port"
  // or the socket path, with what an option file or the client's default may still
  // supply named as such. A connected Session says what was really used
  // (Session::endpoint()). Never contains credentials.
  std::string describe() const;
};

}  // namespace omsbackup

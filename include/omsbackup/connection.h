// omsbackup — how to reach a MySQL-compatible server (MariaDB, MySQL, OceanBase MySQL mode).
#pragma once

#include <optional>
#include <string>

namespace omsbackup {

enum class SslMode { preferred, disabled, required, verify_ca, verify_identity };

struct ConnectionOptions {
  std::string host;    // empty with a socket: connect through the socket
  unsigned port = 0;   // 0: the client default (3306) or the option file's
  std::string socket;  // unix socket path
  std::string user;    // OceanBase users may carry @tenant and #cluster
  // The password. Unset: taken from the option file's [client] group, if any.
  // Never printed, logged or written to an archive.
  std::optional<std::string> password;
  std::string defaults_file;            // a MySQL option file read through Connector/C
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

  // "host:port" or the socket path: for messages. Never contains credentials.
  std::string describe() const;
};

}  // namespace omsbackup

#include "sql/session.h"

#include <mysql.h>
#include <mysqld_error.h>
#include <errmsg.h>

#include <netdb.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>

#include <fmt/format.h>

#include "omsbackup/error.h"
#include "sql/lock_watch.h"

namespace omsbackup {

std::string ConnectionOptions::describe() const {
  // Connector/C's choice (mthd_my_real_connect): the unix socket when the host is empty or
  // "localhost", else TCP; what is not set here comes from the option files' [client]
  // group, else from the library's default.
  const std::string files = defaults_file.empty() ? "the option files" : defaults_file;
  if (host.empty() || host == "localhost") {
    if (!socket.empty()) return socket;
    return host.empty() ? fmt::format("the server {} names (else the local default socket)", files)
                        : fmt::format("localhost (through the socket {} names, else the default one)",
                                      files);
  }
  if (port != 0) return fmt::format("{}:{}", host, port);
  return fmt::format("{} (on the port {} names, else the default port)", host, files);
}

namespace {

// mysql_library_init is not thread-safe; run it once before the first connection.
void library_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
}

std::string short_sql(std::string_view sql) {
  constexpr std::size_t kMax = 200;
  if (sql.size() <= kMax) return std::string(sql);
  return std::string(sql.substr(0, kMax)) + "...";
}

// The server's message, and what it means when the connection is gone: Connector/C says
// 2006 or 2013, or over TLS 2026 "TLS/SSL error: unexpected eof while reading", which
// reads like a TLS problem when the server merely closed the connection.
std::string server_message(unsigned err, const char* error) {
  std::string msg = error;
  switch (err) {
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_SSL_CONNECTION_ERROR:
    case ER_CONNECTION_KILLED:
      msg += " (the connection to the server was lost: it was killed, or the server stopped or "
             "restarted)";
      break;
    default: break;
  }
  return msg;
}
std::string server_message(MYSQL* m) { return server_message(mysql_errno(m), mysql_error(m)); }

// The endpoint the client library connected to: what it reports for the connection.
std::string connected_endpoint(MYSQL* m) {
  const char* host = nullptr;
  const char* socket = nullptr;
  unsigned int port = 0;
  mariadb_get_infov(m, MARIADB_CONNECTION_HOST, &host);
  mariadb_get_infov(m, MARIADB_CONNECTION_PORT, &port);
  mariadb_get_infov(m, MARIADB_CONNECTION_UNIX_SOCKET, &socket);
  if (socket != nullptr && *socket != '\0') return socket;
  return fmt::format("{}:{}", host != nullptr ? host : "localhost", port);
}

// The endpoint a failed mysql_real_connect tried. Connector/C reads the option files inside
// mysql_real_connect into mysql->options and, with CLIENT_REMEMBER_OPTIONS, keeps them after
// a failure (it has no getter for them); the rest is its own choice in
// mthd_my_real_connect: an argument first, then the option files, then its default
// (MYSQL_TCP_PORT, the "mysql" service, 3306; MYSQL_UNIX_PORT, MARIADB_UNIX_PORT,
// MARIADB_UNIX_ADDR), and the socket when the host is empty or localhost.
std::string attempted_endpoint(MYSQL* m, const ConnectionOptions& o) {
  const st_mysql_options& read = m->options;
  std::string host = !o.host.empty() ? o.host : read.host != nullptr ? read.host : "";
  std::string socket = !o.socket.empty()          ? o.socket
                       : read.unix_socket != nullptr ? read.unix_socket
                                                     : "";
  unsigned port = o.port != 0 ? o.port : read.port;
  if ((host.empty() || host == "localhost") && read.protocol != MYSQL_PROTOCOL_TCP) {
    if (socket.empty()) {
      const char* env = std::getenv("MYSQL_UNIX_PORT");
      if (env == nullptr) env = std::getenv("MARIADB_UNIX_PORT");
      socket = env != nullptr ? env : MARIADB_UNIX_ADDR;
    }
    return socket;
  }
  if (port == 0) {
    port = MARIADB_PORT;
    if (const servent* s = getservbyname("mysql", "tcp"); s != nullptr)
      port = ntohs(static_cast<std::uint16_t>(s->s_port));
    if (const char* env = std::getenv("MYSQL_TCP_PORT"); env != nullptr)
      port = static_cast<unsigned>(std::atoi(env));
  }
  return fmt::format("{}:{}", host.empty() ? "localhost" : host, port);
}

// The session settings exactness depends on: how values and DDL are sent and returned,
// what a snapshot sees, that every SELECT returns every row (sql_select_limit), that a
// statement commits (autocommit) and that SHOW CREATE quotes names. An --init-command must
// leave them as the library set them.
std::vector<std::string> guarded_settings(const ServerInfo& v) {
  return {"sql_mode", "time_zone", "character_set_client", "character_set_connection",
          "character_set_results", "collation_connection",
          v.flavor == ServerFlavor::mysql && v.major >= 8 ? "transaction_isolation" : "tx_isolation",
          "sql_select_limit", "autocommit", "sql_quote_show_create"};
}

void set_option(MYSQL* m, mysql_option opt, const void* arg, const char* name) {
  if (mysql_optionsv(m, opt, arg) != 0)
    throw Error(Errc::invalid_argument, name, "the client library refused this connection option");
}

}  // namespace

Session::Session(const ConnectionOptions& o, const std::function<void(Session&)>& pin) {
  library_init_once();
  mysql_ = mysql_init(nullptr);
  if (mysql_ == nullptr) throw Error(Errc::internal, "mysql_init", "out of memory");
  try {
    if (!o.defaults_file.empty()) {
      set_option(mysql_, MYSQL_READ_DEFAULT_FILE, o.defaults_file.c_str(), "--defaults-file");
    }
    if (!o.defaults_group.empty()) {
      set_option(mysql_, MYSQL_READ_DEFAULT_GROUP, o.defaults_group.c_str(), "option group");
    }
    set_option(mysql_, MYSQL_SET_CHARSET_NAME, "utf8mb4", "character set");
    set_option(mysql_, MYSQL_OPT_CONNECT_TIMEOUT, &o.connect_timeout_s, "connect timeout");
    set_option(mysql_, MYSQL_OPT_READ_TIMEOUT, &o.read_timeout_s, "read timeout");
    set_option(mysql_, MYSQL_OPT_WRITE_TIMEOUT, &o.write_timeout_s, "write timeout");
    unsigned int local_infile = 1;
    set_option(mysql_, MYSQL_OPT_LOCAL_INFILE, &local_infile, "local infile");
    if (o.ssl_mode != SslMode::disabled) {
      if (!o.ssl_ca.empty()) set_option(mysql_, MYSQL_OPT_SSL_CA, o.ssl_ca.c_str(), "--ssl-ca");
      if (!o.ssl_cert.empty())
        set_option(mysql_, MYSQL_OPT_SSL_CERT, o.ssl_cert.c_str(), "--ssl-cert");
      if (!o.ssl_key.empty()) set_option(mysql_, MYSQL_OPT_SSL_KEY, o.ssl_key.c_str(), "--ssl-key");
      // Connector/C 3.3 (measured against 3.3.20): MYSQL_OPT_SSL_ENFORCE only asks for
      // TLS -- against a server without TLS it quietly connects in plaintext; a CA
      // (ssl_ca, or ssl-ca from an option file) makes it check the server's certificate
      // chain against that CA in any mode; MYSQL_OPT_SSL_VERIFY_SERVER_CERT checks the
      // chain (against the system's CAs when no CA is given) *and* the host name, and
      // is the only setting that refuses a server without TLS before authenticating.
      //   preferred: TLS when the server offers it, else plaintext.
      //   required: TLS or no connection; no certificate check (unless a CA is given,
      //     as with the MySQL client).
      //   verify_ca: required + chain checked against ssl_ca, host name not checked.
      //     Without an explicit ssl_ca it falls back to verify_identity's checks rather
      //     than connecting unverified.
      //   verify_identity: required + chain and host name (CN/SAN) checked.
      // required/verify_ca against a server without TLS are therefore refused right
      // after the handshake (see below): authentication has run in plaintext by then
      // (a challenge response for mysql_native_password), but no statement is sent.
      my_bool on = 1;
      set_option(mysql_, MYSQL_OPT_SSL_ENFORCE, &on, "--ssl-mode");
      if (o.ssl_mode == SslMode::verify_identity ||
          (o.ssl_mode == SslMode::verify_ca && o.ssl_ca.empty()))
        set_option(mysql_, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on, "--ssl-mode");
    } else {
      my_bool off = 0;
      set_option(mysql_, MYSQL_OPT_SSL_ENFORCE, &off, "--ssl-mode");
    }
    const char* host = o.host.empty() ? nullptr : o.host.c_str();
    const char* user = o.user.empty() ? nullptr : o.user.c_str();
    // Unset: Connector/C takes the option file's password, else MYSQL_PWD.
    const char* pass = o.password ? o.password->c_str() : nullptr;
    const char* sock = o.socket.empty() ? nullptr : o.socket.c_str();
    if (!mysql_real_connect(mysql_, host, user, pass, nullptr, o.port, sock,
                            CLIENT_MULTI_RESULTS | CLIENT_REMEMBER_OPTIONS)) {
      throw Error::server(mysql_errno(mysql_), mysql_sqlstate(mysql_), mysql_error(mysql_),
                          fmt::format("connecting to {}", attempted_endpoint(mysql_, o)));
    }
    endpoint_ = connected_endpoint(mysql_);
    if (o.ssl_mode != SslMode::preferred && o.ssl_mode != SslMode::disabled &&
        mysql_get_ssl_cipher(mysql_) == nullptr) {
      throw Error::server(CR_SSL_CONNECTION_ERROR, "HY000",
                          "TLS/SSL error: SSL is required, but the server does not support it",
                          fmt::format("connecting to {}", endpoint_));
    }
    // An option file's default-character-set (read at connect, after our option) must not
    // change the connection's character set.
    if (std::strcmp(mysql_character_set_name(mysql_), "utf8mb4") != 0 &&
        mysql_set_character_set(mysql_, "utf8mb4") != 0)
      fail("SET NAMES utf8mb4", "pinning the connection's character set to utf8mb4");
    // Pin what changes how values and DDL look: no ANSI_QUOTES or
    // NO_BACKSLASH_ESCAPES (our quoting relies on that), id 0 kept as 0, zero dates
    // accepted, UTC for TIMESTAMP values.
    execute("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO', time_zone = '+00:00'",
            "pinning the session's sql_mode and time_zone");
    set_lock_wait_timeout(*this, o.lock_wait_timeout_s);  // a bounded wait for locks
    ResultSet v = query("SELECT VERSION(), @@version_comment", "detecting the server");
    if (!v.rows.empty()) {
      server_ = ServerInfo::parse(v.rows[0][0].value_or(""), v.rows[0][1].value_or(""));
    }
    if (pin) pin(*this);
    run_init_commands(o.init_commands);
  } catch (...) {
    mysql_close(mysql_);
    mysql_ = nullptr;
    throw;
  }
}

// The values of `names` (those the server has: an unknown one is dropped from `names`).
std::vector<std::string> Session::read_settings(std::vector<std::string>& names) {
  std::vector<std::string> values;
  for (auto it = names.begin(); it != names.end();) {
    try {
      values.push_back(scalar(fmt::format("SELECT @@SESSION.{}", *it),
                              "reading the session settings --init-command must leave alone")
                           .value_or("NULL"));
      ++it;
    } catch (const Error& e) {
      if (e.server_errno() != ER_UNKNOWN_SYSTEM_VARIABLE) throw;
      it = names.erase(it);
    }
  }
  return values;
}

void Session::run_init_commands(const std::vector<std::string>& commands) {
  if (commands.empty()) return;
  std::vector<std::string> names = guarded_settings(server_);
  const std::vector<std::string> before = read_settings(names);
  for (const auto& sql : commands) {
    const std::string flag = fmt::format("--init-command \"{}\"", short_sql(sql));
    execute(sql, "running " + flag);
    std::vector<std::string> still = names;
    const std::vector<std::string> after = read_settings(still);
    for (std::size_t i = 0; i < names.size() && i < after.size(); ++i) {
      if (before[i] == after[i]) continue;
      throw Error(Errc::invalid_argument, flag,
                  fmt::format("changes {} from '{}' to '{}' (on {}), which omsbackup sets on every "
                              "connection so that nothing is read or written differently; leave "
                              "it out of --init-command",
                              names[i], before[i], after[i], endpoint_));
    }
  }
}

Session::~Session() {
  if (mysql_ != nullptr) mysql_close(mysql_);
}

void Session::fail(std::string_view sql, std::string_view doing) const {
  std::string what = doing.empty() ? fmt::format("running: {}", short_sql(sql)) : std::string(doing);
  throw Error::server(mysql_errno(mysql_), mysql_sqlstate(mysql_), server_message(mysql_),
                      fmt::format("{} (on {})", what, endpoint_));
}

void Session::run(std::string_view sql, std::string_view doing) {
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) fail(sql, doing);
}

void Session::execute(std::string_view sql, std::string_view doing) {
  run(sql, doing);
  affected_ = mysql_affected_rows(mysql_);
  // Drain every result so the connection is ready for the next statement.
  do {
    if (mysql_field_count(mysql_) != 0) {
      MYSQL_RES* res = mysql_store_result(mysql_);
      if (res == nullptr) fail(sql, doing);
      mysql_free_result(res);
    }
    int more = mysql_next_result(mysql_);
    if (more > 0) fail(sql, doing);
    if (more < 0) break;
  } while (true);
}

ResultSet Session::query(std::string_view sql, std::string_view doing) {
  run(sql, doing);
  MYSQL_RES* res = mysql_store_result(mysql_);
  ResultSet out;
  if (res == nullptr) {
    if (mysql_field_count(mysql_) != 0) fail(sql, doing);
    return out;
  }
  unsigned n = mysql_num_fields(res);
  MYSQL_FIELD* fields = mysql_fetch_fields(res);
  for (unsigned i = 0; i < n; ++i) out.columns.emplace_back(fields[i].name, fields[i].name_length);
  while (MYSQL_ROW row = mysql_fetch_row(res)) {
    unsigned long* len = mysql_fetch_lengths(res);
    auto& r = out.rows.emplace_back();
    r.reserve(n);
    for (unsigned i = 0; i < n; ++i) {
      if (row[i] == nullptr) r.emplace_back(std::nullopt);
      else r.emplace_back(std::string(row[i], len[i]));
    }
  }
  mysql_free_result(res);
  while (mysql_next_result(mysql_) == 0) {
    if (MYSQL_RES* extra = mysql_store_result(mysql_)) mysql_free_result(extra);
  }
  return out;
}

std::optional<std::string> Session::scalar(std::string_view sql, std::string_view doing) {
  ResultSet r = query(sql, doing);
  if (r.rows.empty() || r.rows[0].empty()) return std::nullopt;
  return r.rows[0][0];
}

RowStream Session::stream(std::string_view sql, std::string_view doing) {
  run(sql, doing);
  MYSQL_RES* res = mysql_use_result(mysql_);
  if (res == nullptr) fail(sql, doing);
  return RowStream(mysql_, res, doing.empty() ? fmt::format("reading: {}", short_sql(sql))
                                              : std::string(doing));
}

std::uint64_t Session::affected_rows() const { return affected_; }
unsigned Session::warning_count() const { return mysql_warning_count(mysql_); }

RowStream::RowStream(st_mysql* mysql, st_mysql_res* res, std::string doing)
    : mysql_(mysql), res_(res), doing_(std::move(doing)), fields_(mysql_num_fields(res)) {}

RowStream::RowStream(RowStream&& o) noexcept
    : mysql_(o.mysql_), res_(o.res_), doing_(std::move(o.doing_)), fields_(o.fields_),
      row_(o.row_), lengths_(o.lengths_) {
  o.res_ = nullptr;
}

RowStream::~RowStream() {
  if (res_ != nullptr) mysql_free_result(res_);  // reads and discards what is left
}

bool RowStream::next() {
  if (res_ == nullptr) return false;
  row_ = mysql_fetch_row(res_);
  if (row_ == nullptr) {
    unsigned err = mysql_errno(mysql_);
    if (err != 0) {
      throw Error::server(err, mysql_sqlstate(mysql_), server_message(mysql_), doing_);
    }
    mysql_free_result(res_);
    res_ = nullptr;
    return false;
  }
  lengths_ = mysql_fetch_lengths(res_);
  return true;
}

// ---- prepared statements with long data -------------------------------------

std::uint64_t Session::execute_long_data(std::string_view sql,
                                         const std::vector<std::string_view>& values,
                                         std::size_t piece_bytes, std::string_view doing) {
  std::unique_ptr<MYSQL_STMT, decltype(&mysql_stmt_close)> stmt(mysql_stmt_init(mysql_),
                                                                &mysql_stmt_close);
  if (!stmt) throw Error(Errc::internal, "mysql_stmt_init", "out of memory");
  MYSQL_STMT* st = stmt.get();
  auto fail_stmt = [&] {
    std::string what =
        doing.empty() ? fmt::format("running: {}", short_sql(sql)) : std::string(doing);
    throw Error::server(mysql_stmt_errno(st), mysql_stmt_sqlstate(st),
                        server_message(mysql_stmt_errno(st), mysql_stmt_error(st)),
                        fmt::format("{} (on {})", what, endpoint_));
  };
  if (mysql_stmt_prepare(st, sql.data(), static_cast<unsigned long>(sql.size())) != 0) fail_stmt();
  if (mysql_stmt_param_count(st) != values.size()) {
    throw Error(Errc::internal, std::string(doing.empty() ? short_sql(sql) : doing),
                fmt::format("the statement has {} placeholders for {} values",
                            mysql_stmt_param_count(st), values.size()));
  }
  std::vector<MYSQL_BIND> binds(values.size());
  if (!binds.empty()) {
    std::memset(binds.data(), 0, binds.size() * sizeof(MYSQL_BIND));
    for (MYSQL_BIND& b : binds) b.buffer_type = MYSQL_TYPE_LONG_BLOB;
    if (mysql_stmt_bind_param(st, binds.data()) != 0) fail_stmt();
  }
  if (piece_bytes == 0) piece_bytes = 1;
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::string_view v = values[i];
    // The first call marks the placeholder as long data, even for an empty value.
    do {
      std::size_t n = std::min(v.size(), piece_bytes);
      if (mysql_stmt_send_long_data(st, static_cast<unsigned>(i), v.data(),
                                    static_cast<unsigned long>(n)) != 0)
        fail_stmt();
      v.remove_prefix(n);
    } while (!v.empty());
  }
  if (mysql_stmt_execute(st) != 0) fail_stmt();
  affected_ = mysql_stmt_affected_rows(st);
  return affected_;
}

// ---- LOAD DATA LOCAL INFILE -------------------------------------------------

namespace {

struct InfileState {
  const LocalInfileSource* source;
  std::string error;
};

int infile_init(void** ptr, const char* /*filename*/, void* userdata) {
  *ptr = userdata;
  return 0;
}

int infile_read(void* ptr, char* buf, unsigned int size) {
  auto* st = static_cast<InfileState*>(ptr);
  try {
    return static_cast<int>((*st->source)(buf, size));
  } catch (const std::exception& e) {
    st->error = e.what();
    return -1;
  }
}

void infile_end(void*) {}

int infile_error(void* ptr, char* msg, unsigned int size) {
  auto* st = static_cast<InfileState*>(ptr);
  std::snprintf(msg, size, "%s", st->error.empty() ? "local infile source failed" : st->error.c_str());
  return CR_UNKNOWN_ERROR;
}

}  // namespace

std::uint64_t Session::load_data_local(std::string_view sql, const LocalInfileSource& source,
                                       std::string_view doing) {
  InfileState st{&source, {}};
  mysql_set_local_infile_handler(mysql_, infile_init, infile_read, infile_end, infile_error, &st);
  bool failed = mysql_real_query(mysql_, sql.data(), sql.size()) != 0;
  mysql_set_local_infile_default(mysql_);
  if (failed) {
    if (!st.error.empty()) {
      throw Error(Errc::io, std::string(doing.empty() ? "LOAD DATA LOCAL INFILE" : doing), st.error);
    }
    fail(sql, doing);
  }
  affected_ = mysql_affected_rows(mysql_);
  return affected_;
}

}  // namespace omsbackup

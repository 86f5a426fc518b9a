#include "sql/session.h"

#include <mysql.h>
#include <mysqld_error.h>
#include <errmsg.h>

#include <cstring>
#include <mutex>

#include <fmt/format.h>

#include "omsbackup/error.h"
#include "sql/lock_watch.h"

namespace omsbackup {

std::string ConnectionOptions::describe() const {
  if (!socket.empty() && (host.empty() || host == "localhost")) return socket;
  return fmt::format("{}:{}", host.empty() ? "localhost" : host, port == 0 ? 3306u : port);
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
std::string server_message(MYSQL* m) {
  std::string msg = mysql_error(m);
  switch (mysql_errno(m)) {
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

void set_option(MYSQL* m, mysql_option opt, const void* arg, const char* name) {
  if (mysql_optionsv(m, opt, arg) != 0)
    throw Error(Errc::invalid_argument, name, "the client library refused this connection option");
}

}  // namespace

Session::Session(const ConnectionOptions& o) {
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
    endpoint_ = o.describe();
    const char* host = o.host.empty() ? nullptr : o.host.c_str();
    const char* user = o.user.empty() ? nullptr : o.user.c_str();
    const char* pass = o.password ? o.password->c_str() : nullptr;
    const char* sock = o.socket.empty() ? nullptr : o.socket.c_str();
    if (!mysql_real_connect(mysql_, host, user, pass, nullptr, o.port, sock, CLIENT_MULTI_RESULTS)) {
      throw Error::server(mysql_errno(mysql_), mysql_sqlstate(mysql_), mysql_error(mysql_),
                          fmt::format("connecting to {}", endpoint_));
    }
    if (o.ssl_mode != SslMode::preferred && o.ssl_mode != SslMode::disabled &&
        mysql_get_ssl_cipher(mysql_) == nullptr) {
      throw Error::server(CR_SSL_CONNECTION_ERROR, "HY000",
                          "TLS/SSL error: SSL is required, but the server does not support it",
                          fmt::format("connecting to {}", endpoint_));
    }
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
  } catch (...) {
    mysql_close(mysql_);
    mysql_ = nullptr;
    throw;
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

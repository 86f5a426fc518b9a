#include "common/cli.h"

#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <iostream>

#include <fmt/format.h>

#include "omsbackup/error.h"
#include "omsbackup/oms.h"

namespace omsbackup::tools {

void add_connection_flags(CLI::App& app, ConnectionFlags& f) {
  app.add_option("-h,--host", f.host, "Server host (default: localhost through the socket)");
  app.add_option("-P,--port", f.port, "Server TCP port");
  app.add_option("-S,--socket", f.socket, "Server unix socket");
  app.add_option("-u,--user", f.user, "User name (OceanBase: user@tenant[#cluster])");
  // Documented here; parse() takes the password out of argv before CLI11 sees it.
  app.add_flag("-p,--password", f.password_flag,
               "Prompt for the password (-pVALUE or --password=VALUE gives it, but prefer "
               "MYSQL_PWD or --defaults-file: a password on the command line is visible to "
               "other users)");
  app.add_option("--defaults-file", f.defaults_file,
                 "MySQL option file whose [client] group supplies connection settings")
      ->check(CLI::ExistingFile);
  app.add_option("--ssl-mode", f.ssl_mode, "TLS: disabled, preferred, required, verify_ca, verify_identity")
      ->check(CLI::IsMember({"disabled", "preferred", "required", "verify_ca", "verify_identity"},
                            CLI::ignore_case));
  app.add_option("--ssl-ca", f.ssl_ca, "CA certificate file")->check(CLI::ExistingFile);
  app.add_option("--ssl-cert", f.ssl_cert, "Client certificate file")->check(CLI::ExistingFile);
  app.add_option("--ssl-key", f.ssl_key, "Client key file")->check(CLI::ExistingFile);
  app.add_option("--connect-timeout", f.connect_timeout,
                 "Seconds to wait for the server to accept a connection")
      ->check(CLI::Range(1u, 86400u))
      ->capture_default_str();
  app.add_option("--init-command", f.init_commands,
                 "SQL statement run on every connection once the tool has set it up (repeatable, "
                 "in order), e.g. \"SET SESSION ob_query_timeout = 86400000000\"; refused if it "
                 "changes a setting the tool relies on (sql_mode, time_zone, character sets, "
                 "isolation level, sql_select_limit, autocommit, sql_quote_show_create)")
      ->allow_extra_args(false);
  app.add_option("--oms-config", f.oms_configs,
                 "OMS config.yaml (repeat once per region): MetaDB connection and the rm, cm and "
                 "heartbeat databases; other flags override it")
      ->allow_extra_args(false);  // one file per flag: `--oms-config F ARCHIVE` keeps ARCHIVE
  app.add_option("--lock-wait-timeout", f.lock_wait_timeout,
                 "Seconds a statement may wait for a lock another connection holds before it "
                 "fails naming the holder (the server's default is a day)")
      ->check(CLI::Range(1u, 31536000u))
      ->capture_default_str();
}

static std::string prompt_password() {
  std::FILE* tty = std::fopen("/dev/tty", "r+");
  if (tty == nullptr) {
    throw Error(Errc::invalid_argument, "-p",
                "no terminal to prompt for the password on; use MYSQL_PWD or --defaults-file");
  }
  // Echo off before the prompt shows: a password typed (or pasted) as soon as the prompt
  // appears must be neither echoed nor discarded by the TCSAFLUSH.
  termios old{};
  int fd = fileno(tty);
  bool restore = tcgetattr(fd, &old) == 0;
  if (restore) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  std::fputs("Enter password: ", tty);
  std::fflush(tty);
  std::string pw;
  for (int c; (c = std::fgetc(tty)) != EOF && c != '\n';) pw.push_back(static_cast<char>(c));
  if (restore) tcsetattr(fd, TCSAFLUSH, &old);
  std::fputs("\n", tty);
  std::fclose(tty);
  return pw;
}

std::optional<int> parse(CLI::App& app, ConnectionFlags& f, int argc, char** argv) {
  std::vector<std::string> rest;
  bool only_positionals = false;
  for (int i = 1; i < argc; ++i) {
    char* a = argv[i];
    if (!only_positionals && std::strcmp(a, "--") == 0) only_positionals = true;
    std::size_t value_at = 0;
    if (!only_positionals && std::strncmp(a, "--password=", 11) == 0) value_at = 11;
    else if (!only_positionals && std::strncmp(a, "-p", 2) == 0 && a[2] != '\0') value_at = 2;
    if (value_at != 0) {
      f.password_flag = true;
      f.password = a + value_at;
      std::memset(a + value_at, 'x', std::strlen(a + value_at));  // hide it from ps
      continue;
    }
    rest.emplace_back(a);
  }
  std::reverse(rest.begin(), rest.end());  // CLI11 takes the arguments last first
  try {
    app.parse(rest);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // CLI11's own statuses (104-109) and its unprefixed message would be the only ones that
    // differ from every other bad argument.
    std::cerr << fmt::format("{0}: {1}\n{0}: see {0} --help\n", app.get_name(), e.what());
    return 2;
  }
  return std::nullopt;
}

ConnectionOptions connection_options(ConnectionFlags& f) {
  ConnectionOptions o;
  if (!f.oms_configs.empty()) {
    OmsConfig config = read_oms_config(f.oms_configs);
    o = config.connection;
    f.oms_databases = config.databases();
  }
  if (!f.host.empty()) o.host = f.host;
  if (f.port != 0) o.port = f.port;
  if (!f.socket.empty()) {
    o.socket = f.socket;
    if (f.host.empty()) o.host.clear();
  }
  if (!f.user.empty()) o.user = f.user;
  o.defaults_file = f.defaults_file;
  o.connect_timeout_s = f.connect_timeout;
  o.init_commands = f.init_commands;
  o.lock_wait_timeout_s = f.lock_wait_timeout;
  o.ssl_ca = f.ssl_ca;
  o.ssl_cert = f.ssl_cert;
  o.ssl_key = f.ssl_key;
  std::string mode = f.ssl_mode;
  for (auto& c : mode) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (mode == "disabled") o.ssl_mode = SslMode::disabled;
  else if (mode == "required") o.ssl_mode = SslMode::required;
  else if (mode == "verify_ca") o.ssl_mode = SslMode::verify_ca;
  else if (mode == "verify_identity") o.ssl_mode = SslMode::verify_identity;
  // Without -p, the password stays as config.yaml gave it, or unset: then Connector/C takes
  // the option file's, else MYSQL_PWD, like the mysql client (MYSQL_PWD set for another
  // server must not beat the option file named for this one).
  if (f.password_flag) {
    if (!f.password.empty()) {
      o.password = f.password;
      std::fputs("warning: a password on the command line is insecure; use --defaults-file, "
                 "MYSQL_PWD or -p alone to be prompted\n",
                 stderr);
    } else {
      o.password = prompt_password();
    }
  }
  f.password.assign(f.password.size(), '\0');
  return o;
}

int run_main(const char* tool, const std::function<int()>& body) {
  try {
    return body();
  } catch (const Error& e) {
    std::cerr << tool << ": " << e.what() << "\n";
    return e.code() == Errc::invalid_argument ? 2 : 1;
  } catch (const std::exception& e) {
    std::cerr << tool << ": unexpected error: " << e.what() << "\n";
    return 1;
  }
}

namespace {

std::atomic<bool> g_cancel{false};

extern "C" void on_signal(int sig) {
  if (g_cancel.exchange(true)) {
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
}

}  // namespace

const std::atomic<bool>* cancel_on_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // A reader of the stream that goes away (`omsdump -o - | ...`) makes the next write fail
  // with EPIPE, so the error path cleans up, instead of killing the process.
  std::signal(SIGPIPE, SIG_IGN);
  return &g_cancel;
}

void add_encryption_flag(CLI::App& app, std::string& key_file, const std::string& help) {
  app.add_option("--encrypt-key-file", key_file,
                 help + ". The file holds 64 hex digits (or 32 raw bytes) and must be mode 0600 "
                        "or 0400; make one with `(umask 077; openssl rand -hex 32 > FILE)`");
}

std::string human_bytes(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, units[u]);
}

}  // namespace omsbackup::tools

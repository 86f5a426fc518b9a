// What omsdump and omsrestore share: the mysql-client connection flags, the
// password rules, and turning library errors into messages and exit codes.
#pragma once

#include <CLI/CLI.hpp>

#include <atomic>
#include <functional>
#include <optional>
#include <vector>
#include <string>

#include "omsbackup/connection.h"

namespace omsbackup::tools {

struct ConnectionFlags {
  std::string host, socket, user, defaults_file, ssl_mode = "preferred", ssl_ca, ssl_cert, ssl_key;
  unsigned port = 0;
  unsigned connect_timeout = 10;
  std::vector<std::string> init_commands;  // --init-command, in order
  std::string password;       // only when given as -pVALUE (discouraged)
  bool password_flag = false;  // -p or --password given at all
  std::vector<std::string> oms_configs;  // --oms-config files, one per region
  std::vector<std::string> oms_databases;  // filled by connection_options() from them
  unsigned lock_wait_timeout = 60;  // --lock-wait-timeout (ConnectionOptions::lock_wait_timeout_s)
};

void add_connection_flags(CLI::App& app, ConnectionFlags& flags);

// Parses argv like the mysql client: the password is only ever attached (-pVALUE,
// --password=VALUE) and -p or --password alone means "prompt", so `-p ARCHIVE` never
// swallows the next argument. A password given on argv is wiped from it at once.
// Returns the exit status when the tool must stop here: 0 after --help or --version, 2
// after a bad argument (printed as "<tool>: <what is wrong>", the tool being app's name).
std::optional<int> parse(CLI::App& app, ConnectionFlags& flags, int argc, char** argv);

// Resolves the connection: --oms-config files first (MetaDB host, port, user, password
// and the OMS databases, into flags.oms_databases), then the command-line flags over
// them. The password, first found: -pVALUE (or -p alone: a prompt on the terminal
// without echo), config.yaml's oms_meta_password, the option file's [client] group
// (--defaults-file, else the default option files such as ~/.my.cnf), MYSQL_PWD. The
// last two are left to Connector/C, whose order is the mysql client's.
ConnectionOptions connection_options(ConnectionFlags& flags);

// Runs the tool's body: prints omsbackup::Error as "<tool>: <message>" and maps it
// to an exit status (1 for failures, 2 for bad arguments).
int run_main(const char* tool, const std::function<int()>& body);

// --encrypt-key-file FILE, into `key_file` (the library reads and checks the file).
void add_encryption_flag(CLI::App& app, std::string& key_file, const std::string& help);

std::string human_bytes(std::uint64_t bytes);

// The first SIGINT or SIGTERM sets the returned flag (the library stops cleanly: a dump
// removes its unfinished archive, a restore keeps its journal for --resume, or finishes
// if its swap has begun); a second one ends the process at once.
const std::atomic<bool>* cancel_on_signals();

}  // namespace omsbackup::tools

#!/usr/bin/env bash
# A throwaway MariaDB server for the tests and the demo.  Never touches the system
# service, /var/lib/mysql or /etc/mysql.
#
#   eval "$(scripts/sandbox-db.sh start)"   # start one; sets and exports OMSB_* in this shell
#   scripts/sandbox-db.sh env [DIR]         # print the OMSB_* lines again
#   scripts/sandbox-db.sh stop [DIR]        # shut it down and delete DIR
#   scripts/sandbox-db.sh restart [DIR] [--kill]  # stop the server and start it again
#   mariadb --defaults-file="$OMSB_SANDBOX_DIR/client.cnf" < tests/data/oms_sample.sql
#
# start: DIR is $OMSB_SANDBOX_DIR if set (created, mode 0700), otherwise a fresh
#   mktemp -d /tmp/omsb-sandbox.XXXXXX.  The server listens on 127.0.0.1 on a random
#   port in 20000-60999 and on DIR/mysqld.sock; root@localhost and root@127.0.0.1 get
#   a random 24-char password.  DIR/env (shell-sourceable OMSB_* lines) and
#   DIR/client.cnf (a [client] option file for --defaults-file) are written mode 0600.
#   Only the env lines go to stdout; progress and errors go to stderr.
#   TLS: DIR/tls holds a throwaway CA (ca.pem) and a server certificate for
#   127.0.0.1 (IP SAN) and localhost (DNS SAN) signed by it, which mariadbd serves,
#   plus an unrelated CA (wrong-ca.pem) for "wrong CA" tests; keys are mode 0600.
#   OMSB_DB_SSL_CA and OMSB_DB_SSL_WRONG_CA name the two CA files.
# restart: shuts the server down cleanly (or, with --kill, SIGKILLs it: a crash) and
#   starts it again on the same datadir, port, socket and password; waits until it
#   answers. For fault-injection tests (tests/integration/faults_test.cpp).
# stop / env / restart: DIR defaults to $OMSB_SANDBOX_DIR.  stop is idempotent, and refuses to
#   delete a directory that is not a sandbox (no marker/env file, or outside /tmp
#   unless it is the one named by $OMSB_SANDBOX_DIR).
#
# Knobs: OMSB_SANDBOX_START_TIMEOUT (s, default 60); OMSB_SANDBOX_KEEP_ON_FAILURE=1
# (keep a mktemp'd DIR whose start failed, for debugging); OMSB_SANDBOX_PORT (port for
# the first attempt; later attempts are random).

set -euo pipefail

PROG=sandbox-db
MARKER=.omsb-sandbox
umask 077

log() { echo "$PROG: $*" >&2; }
die() { echo "$PROG: error: $*" >&2; exit 1; }

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
  exit "${1:-2}"
}

# find_bin NAME [NAME...]: first of the names found on PATH, /usr/sbin or /usr/bin.
find_bin() {
  local n d
  for n in "$@"; do
    if command -v "$n" >/dev/null 2>&1; then command -v "$n"; return 0; fi
    for d in /usr/sbin /usr/bin /usr/local/sbin /usr/local/bin; do
      if [[ -x "$d/$n" ]]; then echo "$d/$n"; return 0; fi
    done
  done
  return 1
}

# Single-quote a value for sh.
shq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# Paths end up in option files, SQL and argv: keep them to a safe character set.
check_path_chars() {
  [[ "$1" =~ ^[A-Za-z0-9._/+@,:=-]+$ ]] ||
    die "directory '$1' has characters this script does not quote (use [A-Za-z0-9._/+@,:=-])"
}

random_password() {
  local pw=""
  while ((${#pw} < 24)); do
    pw+=$(head -c 256 /dev/urandom | LC_ALL=C tr -dc 'A-Za-z0-9')
  done
  printf '%s' "${pw:0:24}"
}

# make_tls DIR: a throwaway CA, a server certificate signed by it (CN 127.0.0.1,
# SAN IP:127.0.0.1 and DNS:localhost) and an unrelated second CA, in DIR (EC P-256 keys,
# mode 0600).
make_tls() {
  local t=$1 openssl
  openssl=$(find_bin openssl) || die "openssl not found (apt-get install openssl)"
  mkdir -p "$t"
  chmod 0700 "$t"
  local ca
  for ca in ca wrong-ca; do
    "$openssl" req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -keyout "$t/$ca-key.pem" -out "$t/$ca.pem" -days 3650 \
      -subj "/CN=omsbackup sandbox $ca $RANDOM$RANDOM" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
      >>"$t/openssl.log" 2>&1 || { cat "$t/openssl.log" >&2; die "could not create the sandbox $ca"; }
  done
  "$openssl" req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$t/server-key.pem" -out "$t/server.csr" -subj "/CN=127.0.0.1" \
    >>"$t/openssl.log" 2>&1 || { cat "$t/openssl.log" >&2; die "could not create the server key"; }
  printf '%s\n' 'basicConstraints=critical,CA:FALSE' \
    'keyUsage=critical,digitalSignature,keyEncipherment' 'extendedKeyUsage=serverAuth' \
    'subjectAltName=IP:127.0.0.1,DNS:localhost' >"$t/server.ext"
  "$openssl" x509 -req -in "$t/server.csr" -CA "$t/ca.pem" -CAkey "$t/ca-key.pem" \
    -CAcreateserial -out "$t/server.pem" -days 3650 -extfile "$t/server.ext" \
    >>"$t/openssl.log" 2>&1 || { cat "$t/openssl.log" >&2; die "could not sign the server certificate"; }
  rm -f "$t/server.csr" "$t/server.ext" "$t/ca.srl" "$t/openssl.log"
  chmod 0600 "$t"/*-key.pem
  chmod 0644 "$t/ca.pem" "$t/wrong-ca.pem" "$t/server.pem"
}

random_port() { echo $((20000 + ((RANDOM << 15) | RANDOM) % 41000)); }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pids of mariadbd processes whose command line names this sandbox's datadir.
sandbox_pids() {
  local want="--datadir=$1/data" f pid a
  local -a args
  for f in /proc/[0-9]*/cmdline; do
    pid=${f#/proc/}; pid=${pid%/cmdline}
    [[ "$pid" == "$$" ]] && continue
    { mapfile -d '' -t args <"$f"; } 2>/dev/null || continue
    for a in "${args[@]}"; do
      if [[ "$a" == "$want" ]]; then echo "$pid"; break; fi
    done
  done
}

alive() { kill -0 "$1" 2>/dev/null; }

# Wait up to $2 seconds for all pids in $1 (space separated) to exit.
wait_gone() {
  local pids=$1 secs=$2 i p left
  for ((i = 0; i < secs * 10; i++)); do
    left=0
    for p in $pids; do alive "$p" && left=1; done
    ((left)) || return 0
    sleep 0.1
  done
  return 1
}

kill_server() {
  local dir=$1 pids sig
  pids=$(sandbox_pids "$dir" | xargs)
  [[ -n "${pids// /}" ]] || return 0
  for sig in TERM KILL; do
    # shellcheck disable=SC2086
    kill -s "$sig" $pids 2>/dev/null || true
    wait_gone "$pids" 20 && return 0
    log "mariadbd ($pids) still alive after SIG$sig"
  done
  return 1
}

print_env() {
  local dir=$1
  [[ -f "$dir/env" ]] || die "no sandbox env file in '$dir'"
  cat "$dir/env"
}

resolve_dir_arg() {
  local d=${1:-${OMSB_SANDBOX_DIR:-}}
  [[ -n "$d" ]] || die "no sandbox directory: pass DIR or set OMSB_SANDBOX_DIR"
  echo "$d"
}

# launch_server MARIADBD DIR PORT [EXTRA-ARGS...]: starts mariadbd in the background
# (its pid in $!) on DIR's datadir, socket, logs and TLS files.
launch_server() {
  local mariadbd=$1 dir=$2 port=$3
  shift 3
  setsid "$mariadbd" --no-defaults \
    --datadir="$dir/data" \
    --socket="$dir/mysqld.sock" \
    --bind-address=127.0.0.1 \
    --port="$port" \
    --pid-file="$dir/mysqld.pid" \
    --log-error="$dir/error.log" \
    --user="$(id -un)" \
    --skip-name-resolve \
    --local-infile=1 \
    --innodb-buffer-pool-size=512M \
    --innodb-log-file-size=256M \
    --max-allowed-packet=256M \
    --character-set-server=utf8mb4 \
    --collation-server=utf8mb4_general_ci \
    --log-bin="$dir/binlog" \
    --server-id=1 \
    --ssl-ca="$dir/tls/ca.pem" \
    --ssl-cert="$dir/tls/server.pem" \
    --ssl-key="$dir/tls/server-key.pem" \
    "$@" \
    </dev/null >>"$dir/mariadbd.out" 2>&1 &
}

# ---------------------------------------------------------------------------- start
cmd_start() {
  (($# == 0)) || die "start takes no arguments (set OMSB_SANDBOX_DIR to choose the directory)"
  local mariadbd install_db admin client
  mariadbd=$(find_bin mariadbd mysqld) || die "mariadbd not found (run scripts/install-deps.sh)"
  install_db=$(find_bin mariadb-install-db mysql_install_db) || die "mariadb-install-db not found (run scripts/install-deps.sh)"
  admin=$(find_bin mariadb-admin mysqladmin) || die "mariadb-admin not found (run scripts/install-deps.sh)"
  client=$(find_bin mariadb mysql) || die "mariadb client not found (run scripts/install-deps.sh)"

  local dir explicit=0
  # From here on, a failure or an interrupt kills the server and (if we made DIR) removes it.
  START_DIR="" START_EXPLICIT=1 START_PID=""
  trap start_failed EXIT
  trap 'exit 130' INT TERM HUP
  if [[ -n "${OMSB_SANDBOX_DIR:-}" ]]; then
    explicit=1
    dir=$OMSB_SANDBOX_DIR
    [[ "$dir" == /* ]] || dir="$PWD/$dir"
    if [[ -e "$dir" ]]; then
      [[ -d "$dir" ]] || die "OMSB_SANDBOX_DIR='$dir' exists and is not a directory"
      if [[ -n "$(ls -A "$dir")" ]]; then
        if [[ -f "$dir/env" && -n "$(sandbox_pids "$dir")" ]]; then
          die "a sandbox is already running in '$dir' (stop it, or unset OMSB_SANDBOX_DIR for a new one)"
        fi
        die "OMSB_SANDBOX_DIR='$dir' is not empty (stop/remove it, or unset OMSB_SANDBOX_DIR)"
      fi
    else
      mkdir -p "$dir"
    fi
    chmod 0700 "$dir"
  else
    dir=$(mktemp -d /tmp/omsb-sandbox.XXXXXX)
    START_DIR=$dir START_EXPLICIT=0
    chmod 0700 "$dir"
  fi
  dir=$(cd "$dir" && pwd -P)
  START_DIR=$dir START_EXPLICIT=$explicit

  check_path_chars "$dir"
  local sock="$dir/mysqld.sock"
  ((${#sock} < 100)) || die "socket path '$sock' is too long for a unix socket; use a shorter OMSB_SANDBOX_DIR"
  printf 'created-by=omsbackup scripts/sandbox-db.sh\nexplicit=%s\n' "$explicit" >"$dir/$MARKER"

  local me; me=$(id -un)
  log "initialising datadir in $dir/data"
  if ! "$install_db" --no-defaults --datadir="$dir/data" --user="$me" \
      --auth-root-authentication-method=normal --skip-test-db \
      >"$dir/install.log" 2>&1 </dev/null; then
    tail -n 30 "$dir/install.log" >&2
    die "mariadb-install-db failed (log: $dir/install.log)"
  fi

  log "creating a throwaway CA and server certificate in $dir/tls"
  make_tls "$dir/tls"

  local pw; pw=$(random_password)
  [[ ${#pw} == 24 ]] || die "could not generate a password"
  # Runs before the server accepts connections: no connection ever sees an empty password.
  cat >"$dir/init.sql" <<EOF
ALTER USER 'root'@'localhost' IDENTIFIED BY '$pw';
CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '$pw';
ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '$pw';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
DELETE FROM mysql.global_priv WHERE User = '' OR (User = 'root' AND Host NOT IN ('localhost', '127.0.0.1'));
FLUSH PRIVILEGES;
EOF

  local timeout=${OMSB_SANDBOX_START_TIMEOUT:-60} attempt port pid offset up
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    port=$(random_port)
    if ((attempt == 1)) && [[ -n "${OMSB_SANDBOX_PORT:-}" ]]; then port=$OMSB_SANDBOX_PORT; fi
    if port_busy "$port"; then
      log "port $port is in use, trying another"
      continue
    fi
    offset=0
    [[ -f "$dir/error.log" ]] && offset=$(stat -c %s "$dir/error.log")
    log "starting mariadbd on 127.0.0.1:$port (attempt $attempt)"
    launch_server "$mariadbd" "$dir" "$port" --init-file="$dir/init.sql"
    pid=$!
    START_PID=$pid
    up=0
    local i
    for ((i = 0; i < timeout * 5; i++)); do
      if MYSQL_PWD=$pw "$admin" --no-defaults -S "$sock" -uroot --connect-timeout=2 ping >/dev/null 2>&1; then
        up=1; break
      fi
      if ! alive "$pid"; then break; fi
      sleep 0.2
    done
    if ((up)); then break; fi
    if ! alive "$pid" && [[ -f "$dir/error.log" ]] &&
       tail -c +"$((offset + 1))" "$dir/error.log" | grep -qiE 'Address already in use|another (mysqld|server|mariadbd) running on port'; then
      log "port $port was taken while starting, trying another"
      continue
    fi
    if alive "$pid"; then
      log "mariadbd did not answer within ${timeout}s; tail of $dir/error.log:"
    else
      log "mariadbd exited during start-up; tail of $dir/error.log:"
    fi
    tail -n 30 "$dir/error.log" >&2 2>/dev/null || true
    exit 1
  done
  if ((up == 0)); then
    log "tail of $dir/error.log:"
    tail -n 30 "$dir/error.log" >&2 2>/dev/null || true
    die "could not start mariadbd after 10 attempts (ports in use?)"
  fi
  rm -f "$dir/init.sql"  # read once at start-up; no need to keep another copy of the password

  # client.cnf: every client can connect with --defaults-file=DIR/client.cnf (TCP).
  cat >"$dir/client.cnf" <<EOF
# written by omsbackup scripts/sandbox-db.sh
[client]
host=127.0.0.1
port=$port
socket=$sock
user=root
password=$pw
EOF
  chmod 0600 "$dir/client.cnf"

  # Check that the password works over TCP (ping succeeds even on access denied).
  if ! "$client" --defaults-file="$dir/client.cnf" --connect-timeout=5 -N -e 'SELECT 1' >/dev/null 2>"$dir/check.err"; then
    cat "$dir/check.err" >&2
    die "server is up but root@127.0.0.1 cannot log in"
  fi
  rm -f "$dir/check.err"

  {
    echo "OMSB_SANDBOX_DIR=$(shq "$dir")"
    echo "OMSB_DB_HOST=$(shq 127.0.0.1)"
    echo "OMSB_DB_PORT=$(shq "$port")"
    echo "OMSB_DB_SOCKET=$(shq "$sock")"
    echo "OMSB_DB_USER=$(shq root)"
    echo "OMSB_DB_PASSWORD=$(shq "$pw")"
    echo "OMSB_DB_SSL_CA=$(shq "$dir/tls/ca.pem")"
    echo "OMSB_DB_SSL_WRONG_CA=$(shq "$dir/tls/wrong-ca.pem")"
    echo "export OMSB_SANDBOX_DIR OMSB_DB_HOST OMSB_DB_PORT OMSB_DB_SOCKET OMSB_DB_USER OMSB_DB_PASSWORD OMSB_DB_SSL_CA OMSB_DB_SSL_WRONG_CA"
  } >"$dir/env"
  chmod 0600 "$dir/env"

  trap - EXIT INT TERM HUP
  log "ready: $dir (port $port, pid $(cat "$dir/mysqld.pid" 2>/dev/null || echo "$pid"))"
  cat "$dir/env"
}

start_failed() {
  local rc=$?
  trap - EXIT
  ((rc != 0)) || rc=1
  [[ -n "$START_DIR" ]] || exit "$rc"
  # The process we started ourselves (in case its command line no longer names DIR).
  if [[ -n "${START_PID:-}" ]] && alive "$START_PID"; then
    kill -TERM "$START_PID" 2>/dev/null || true
    wait_gone "$START_PID" 20 || kill -KILL "$START_PID" 2>/dev/null || true
  fi
  kill_server "$START_DIR" || true
  if ((START_EXPLICIT == 0)) && [[ "${OMSB_SANDBOX_KEEP_ON_FAILURE:-0}" != 1 ]]; then
    rm -rf -- "$START_DIR"
    log "start failed; removed $START_DIR (set OMSB_SANDBOX_KEEP_ON_FAILURE=1 to keep it)"
  else
    log "start failed; left $START_DIR for inspection (remove it with: $0 stop $START_DIR)"
  fi
  exit "$rc"
}

# ----------------------------------------------------------------------------- stop
cmd_stop() {
  (($# <= 1)) || usage
  local dir; dir=$(resolve_dir_arg "${1:-}")
  [[ "$dir" == /* ]] || dir="$PWD/$dir"
  if [[ ! -e "$dir" ]]; then
    log "$dir does not exist: nothing to stop"
    return 0
  fi
  [[ -d "$dir" ]] || die "'$dir' is not a directory"
  dir=$(cd "$dir" && pwd -P)

  # Is this a sandbox we may delete?
  [[ -f "$dir/$MARKER" || -f "$dir/env" ]] ||
    die "refusing to delete '$dir': no $MARKER or env file, it does not look like a sandbox"
  case "$dir" in
    / | /tmp | /tmp/) die "refusing to delete '$dir'" ;;
  esac
  if [[ "$dir" != /tmp/?* ]]; then
    local named=""
    if [[ -n "${OMSB_SANDBOX_DIR:-}" && -d "$OMSB_SANDBOX_DIR" ]]; then
      named=$(cd "$OMSB_SANDBOX_DIR" && pwd -P)
    fi
    [[ "$named" == "$dir" ]] ||
      die "refusing to delete '$dir': not under /tmp (set OMSB_SANDBOX_DIR='$dir' to confirm)"
  fi

  local pids; pids=$(sandbox_pids "$dir" | xargs)
  if [[ -n "${pids// /}" ]]; then
    local admin pw=""
    admin=$(find_bin mariadb-admin mysqladmin || true)
    if [[ -f "$dir/client.cnf" ]]; then
      pw=$(sed -n 's/^password=//p' "$dir/client.cnf" | head -n 1)
    fi
    if [[ -n "$admin" && -n "$pw" && -S "$dir/mysqld.sock" ]]; then
      log "shutting down mariadbd ($pids) in $dir"
      MYSQL_PWD=$pw timeout 30 "$admin" --no-defaults -S "$dir/mysqld.sock" -uroot \
        --connect-timeout=5 shutdown >/dev/null 2>&1 || log "mariadb-admin shutdown failed; will signal"
    fi
    if ! wait_gone "$pids" 30; then
      log "still running after 30s; sending SIGTERM"
      kill_server "$dir" || die "could not stop mariadbd ($pids); not deleting $dir"
    fi
  else
    log "no mariadbd running for $dir"
  fi
  rm -rf -- "$dir"
  log "removed $dir"
}

# -------------------------------------------------------------------------- restart
cmd_restart() {
  local dir="" crash=0 a
  for a in "$@"; do
    case "$a" in
      --kill) crash=1 ;;
      -*) usage ;;
      *) [[ -z "$dir" ]] || usage; dir=$a ;;
    esac
  done
  dir=$(resolve_dir_arg "$dir")
  [[ -f "$dir/env" && -f "$dir/client.cnf" ]] || die "'$dir' is not a started sandbox (no env or client.cnf)"
  dir=$(cd "$dir" && pwd -P)
  local mariadbd admin port pw pids
  mariadbd=$(find_bin mariadbd mysqld) || die "mariadbd not found"
  admin=$(find_bin mariadb-admin mysqladmin) || die "mariadb-admin not found"
  port=$(sed -n 's/^port=//p' "$dir/client.cnf" | head -n 1)
  pw=$(sed -n 's/^password=//p' "$dir/client.cnf" | head -n 1)
  [[ -n "$port" && -n "$pw" ]] || die "no port or password in $dir/client.cnf"
  pids=$(sandbox_pids "$dir" | xargs)
  if [[ -n "${pids// /}" ]]; then
    if ((crash)); then
      log "killing mariadbd ($pids) with SIGKILL"
      # shellcheck disable=SC2086
      kill -s KILL $pids 2>/dev/null || true
    else
      log "shutting down mariadbd ($pids)"
      MYSQL_PWD=$pw timeout 60 "$admin" --no-defaults -S "$dir/mysqld.sock" -uroot \
        --connect-timeout=5 shutdown >/dev/null 2>&1 || log "mariadb-admin shutdown failed; will signal"
    fi
    wait_gone "$pids" 60 || kill_server "$dir" || die "could not stop mariadbd ($pids)"
  fi
  # The caller's other descriptors (a test's client sockets) must not live on in the server.
  local fd
  for fd in /proc/$$/fd/*; do
    fd=${fd##*/}
    if ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
  local timeout=${OMSB_SANDBOX_START_TIMEOUT:-60} pid i
  log "starting mariadbd again on 127.0.0.1:$port"
  launch_server "$mariadbd" "$dir" "$port"
  pid=$!
  for ((i = 0; i < timeout * 10; i++)); do
    if MYSQL_PWD=$pw "$admin" --no-defaults -h 127.0.0.1 -P "$port" -uroot --connect-timeout=2 \
        ping >/dev/null 2>&1; then
      log "ready again: $dir (port $port)"
      return 0
    fi
    alive "$pid" || break
    sleep 0.1
  done
  tail -n 30 "$dir/error.log" >&2 2>/dev/null || true
  die "mariadbd did not come back on port $port"
}

# ------------------------------------------------------------------------------ env
cmd_env() {
  (($# <= 1)) || usage
  print_env "$(resolve_dir_arg "${1:-}")"
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  restart) shift; cmd_restart "$@" ;;
  env) shift; cmd_env "$@" ;;
  -h | --help | help) usage 0 ;;
  *) usage ;;
esac

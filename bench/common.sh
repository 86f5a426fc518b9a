# Shared by bench/run.sh and bench/job.sh (sourced, not run): messages, the options both take,
# the tools, the sandbox, the work and results directories, the buffer pool, the data set and
# one timed command.  The caller sets PROG before sourcing and calls the functions in order:
#   common_defaults; while ...; do common_option "$@" && { shift "$SHIFT"; continue; }; ...; done
#   common_check_options SMOKE_TIMEOUT; common_tools; common_sandbox; common_dirs WORK_PREFIX RES_NAME
#   common_buffer_pool; common_data SCALE_LABEL [generate.sh options]; ... timed LOG CMD...

die() { echo "$PROG: error: $*" >&2; exit 1; }
log() { echo "$PROG: $*" >&2; }
usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
  exit "${1:-2}"
}

common_defaults() {
  SCALE="" RUNS=3 THREADS=2 SEED=42 TOOLS="" RES="" WORK="" BUFFER_POOL=2G REGEN=0 KEEP=0 SMOKE=0 TIMEOUT=""
}

# common_option ARGS...: when $1 is an option both scripts take, set it and SHIFT (the number
# of arguments it used); otherwise return 1.
common_option() {
  SHIFT=2
  case "$1" in
    --scale) SCALE=${2:-} ;;
    --runs) RUNS=${2:-} ;;
    --threads) THREADS=${2:-} ;;
    --seed) SEED=${2:-} ;;
    --tools) TOOLS=${2:-} ;;
    --results) RES=${2:-} ;;
    --work) WORK=${2:-} ;;
    --buffer-pool) BUFFER_POOL=${2:-} ;;
    --timeout) TIMEOUT=${2:-} ;;
    --regenerate) REGEN=1 SHIFT=1 ;;
    --smoke) SMOKE=1 SHIFT=1 ;;
    --keep) KEEP=1 SHIFT=1 ;;
    -h | --help) usage 0 ;;
    *) return 1 ;;
  esac
  ((SHIFT == 1 || $# >= 2)) || die "$1 needs a value"
}

# common_check_options DEFAULT_TIMEOUT SMOKE_TIMEOUT
common_check_options() {
  [[ -n $SCALE ]] || die "--scale is required (e.g. --scale 0.2)"
  [[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs needs a positive integer"
  [[ $THREADS =~ ^[1-9][0-9]*$ ]] || die "--threads needs a positive integer"
  if ((SMOKE)); then RUNS=1 BUFFER_POOL="" TIMEOUT=${TIMEOUT:-$2}; fi
  TIMEOUT=${TIMEOUT:-$1}
  [[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "--timeout needs a positive number of seconds"
}

# common_tools: TOOLS is an absolute directory holding omsdump and omsrestore; HAVE_TIME.
common_tools() {
  if [[ -z $TOOLS ]]; then
    if [[ -x build-bench/tools/omsdump ]]; then TOOLS=$ROOT/build-bench/tools; else TOOLS=$ROOT/build/tools; fi
  fi
  TOOLS=$(cd "$TOOLS" 2>/dev/null && pwd) || die "no directory '$TOOLS'"
  [[ -x $TOOLS/omsdump && -x $TOOLS/omsrestore ]] ||
    die "no omsdump/omsrestore in '$TOOLS' (build: meson setup build-bench -Dbuildtype=release && ninja -C build-bench)"
  HAVE_TIME=1
  [[ -x /usr/bin/time ]] || { HAVE_TIME=0; log "warning: /usr/bin/time is missing (apt-get install time): no peak RSS or CPU figures"; }
}

# common_sandbox: the server named by $OMSB_SANDBOX_DIR, else one started here (OWN_SANDBOX=1,
# stopped by the EXIT trap); CNF, SERVER_PID.
common_sandbox() {
  OWN_SANDBOX=0
  if [[ -z ${OMSB_SANDBOX_DIR:-} || ! -r ${OMSB_SANDBOX_DIR:-/nonexistent}/client.cnf ]]; then
    log "starting a sandbox server"
    eval "$(bash scripts/sandbox-db.sh start)"
    OWN_SANDBOX=1
  fi
  CNF=$OMSB_SANDBOX_DIR/client.cnf
  SERVER_PID=$(cat "$OMSB_SANDBOX_DIR/mysqld.pid" 2>/dev/null || true)
  TICKS=$(getconf CLK_TCK)
}

# common_dirs WORK_PREFIX RES_NAME: WORK (a new /tmp/WORK_PREFIX.XXXXXX unless --work) and RES
# (bench/results/RES_NAME-DATE unless --results; under WORK for --smoke), both absolute; the
# EXIT trap that removes WORK (unless --keep or given) and stops a sandbox started here.
common_dirs() {
  OWN_WORK=0
  if [[ -z $WORK ]]; then WORK=$(mktemp -d "/tmp/$1.XXXXXX"); OWN_WORK=1; fi
  mkdir -p "$WORK"
  WORK=$(cd "$WORK" && pwd)
  if [[ -z $RES ]]; then
    if ((SMOKE)); then RES=$WORK/results; else RES=$ROOT/bench/results/$2-$(date +%Y%m%d-%H%M%S); fi
  fi
  mkdir -p "$RES"
  RES=$(cd "$RES" && pwd)
  trap common_cleanup EXIT
}
common_cleanup() {
  local rc=$?
  if ((KEEP == 0 && OWN_WORK)); then rm -rf -- "$WORK"; else log "work files kept in $WORK"; fi
  if ((OWN_SANDBOX)); then bash scripts/sandbox-db.sh stop "$OMSB_SANDBOX_DIR" >/dev/null 2>&1 || true; fi
  exit "$rc"
}

sql() { mariadb --defaults-file="$CNF" --batch --skip-column-names "$@"; }

# common_buffer_pool: resize the server's buffer pool to --buffer-pool ("" leaves it).
common_buffer_pool() {
  [[ -n $BUFFER_POOL ]] || return 0
  sql -e "SET GLOBAL innodb_buffer_pool_size = $(numfmt --from=iec "$BUFFER_POOL")" ||
    log "warning: could not resize the buffer pool"
  sleep 2
}

# common_data LABEL [generate.sh options]: bench/generate.sh --scale SCALE --seed SEED, unless
# bench_meta.info already records LABEL and SEED (and no --regenerate); GEN_S is its seconds
# or "reused".
common_data() {
  local label=$1 have t0
  shift
  have=$(sql -e "SELECT CONCAT(scale, ' ', seed) FROM bench_meta.info" 2>/dev/null || true)
  if ((REGEN)) || [[ $have != "$label $SEED" ]]; then
    log "generating scale $label seed $SEED"
    t0=$(date +%s.%N)
    bash bench/generate.sh --scale "$SCALE" "$@" --seed "$SEED" --defaults-file "$CNF" -q
    GEN_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    log "generated in $GEN_S s"
  else
    GEN_S=reused
    log "reusing the data set already on the server (scale $label seed $SEED)"
  fi
}

# server_cpu: CPU seconds (user + system) the server process has used so far.
server_cpu() {
  if [[ -n $SERVER_PID && -r /proc/$SERVER_PID/stat ]]; then
    awk -v t="$TICKS" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / t }' "/proc/$SERVER_PID/stat"
  else
    echo 0
  fi
}

# timed LOG CMD...: run CMD (stopped after --timeout seconds) with its output in LOG; set
# T_SECS (wall), T_RSS (peak KiB), T_CLIENT and T_SERVER (CPU seconds of CMD and of the
# server meanwhile), T_LOAD (load average before it started) and T_RC (exit status; 124 when
# it timed out, which is also written into LOG).
timed() {
  local logf=$1 tf=$1.time t0 s0 ucpu scpu
  shift
  T_LOAD=$(cut -d' ' -f1 /proc/loadavg)
  T_RC=0
  s0=$(server_cpu)
  if ((HAVE_TIME)); then
    /usr/bin/time -f '%e %M %U %S' -o "$tf" -- timeout -k 10 "$TIMEOUT" "$@" >"$logf" 2>&1 || T_RC=$?
    T_SERVER=$(server_cpu)
    read -r T_SECS T_RSS ucpu scpu < <(tail -n 1 "$tf")
  else
    t0=$(date +%s.%N)
    timeout -k 10 "$TIMEOUT" "$@" >"$logf" 2>&1 || T_RC=$?
    T_SERVER=$(server_cpu)
    T_SECS=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') T_RSS=- ucpu=0 scpu=0
  fi
  T_CLIENT=$(awk -v u="$ucpu" -v s="$scpu" 'BEGIN { printf "%.2f", u + s }')
  T_SERVER=$(awk -v a="$s0" -v b="$T_SERVER" 'BEGIN { printf "%.2f", b - a }')
  ((T_RC != 124)) || echo "timed out after $TIMEOUT s (--timeout)" >>"$logf"
}

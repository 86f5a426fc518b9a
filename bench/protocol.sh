#!/usr/bin/env bash
# Text vs binary protocol for omsdump's own SELECTs: client and server CPU seconds.
#
#   bench/protocol.sh [--rounds 3] [--tools DIR] [--modes "text binary format"] [--sql FILE]
#
# Uses the sandbox named by $OMSB_SANDBOX_DIR and the bench data already on it
# (bench/generate.sh).  First it captures the SELECTs omsdump runs for every chunk of the four
# bench databases: one omsdump --threads 1 --prune-heartbeat=none run (archive thrown away)
# with the server's general log on; --sql FILE gives them instead (one per line).  Then, for
# each round, it runs bench/read_protocol.c once per mode over all of them on one connection
# (modes in a rotating order), and prints per mode the median of: client CPU seconds
# (user + system, /usr/bin/time), server CPU seconds (utime + stime of /proc/<mariadbd>/stat
# before and after) and wall seconds, and per table the median server and client CPU-s.
# Modes: text (mysql_use_result, what omsdump does), binary (prepared statement, no cursor,
# mysql_stmt_fetch into native buffers), format (binary, then every number and date written
# as text, the work omsdump would add).  At the end, one untimed --compare run counts the values
# whose formatted text differs from the server's.  The load average is printed before each round.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
ROUNDS=3 TOOLS="" MODES="text binary format" SQL=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --tools) TOOLS=$2; shift 2 ;;
    --modes) MODES=$2; shift 2 ;;
    --sql) SQL=$2; shift 2 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "protocol: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[[ -r ${OMSB_SANDBOX_DIR:-}/client.cnf ]] || { echo "protocol: no sandbox (eval \"\$(bash scripts/sandbox-db.sh start)\")" >&2; exit 1; }
CNF=$OMSB_SANDBOX_DIR/client.cnf
PID=$(cat "$OMSB_SANDBOX_DIR/mysqld.pid")
TICKS=$(getconf CLK_TCK)
if [[ -z $TOOLS ]]; then
  if [[ -x build-bench/tools/omsdump ]]; then TOOLS=$ROOT/build-bench/tools; else TOOLS=$ROOT/build/tools; fi
fi
WORK=$(mktemp -d /tmp/omsb-protocol.XXXXXX)
trap 'rm -rf -- "$WORK"' EXIT
sql() { mariadb --defaults-file="$CNF" --skip-ssl --batch --skip-column-names "$@"; }
srv() { awk -v t="$TICKS" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / t }' "/proc/$PID/stat"; }

cc -O2 -o "$WORK/read_protocol" bench/read_protocol.c $(pkg-config --cflags --libs libmariadb)

if [[ -z $SQL ]]; then
  SQL=$WORK/chunks.sql
  old=$(sql -e "SELECT CONCAT(@@global.general_log, ' ', @@global.general_log_file, ' ', @@global.log_output)")
  sql -e "SET GLOBAL general_log_file = '$WORK/general.log', GLOBAL log_output = 'FILE', GLOBAL general_log = 1"
  "$TOOLS/omsdump" --defaults-file="$CNF" --ssl-mode=disabled -B bench_rm bench_cm bench_cm_hb1 bench_cm_hb2 \
    --prune-heartbeat=none -q -t 1 -o "$WORK/archive" >/dev/null 2>&1
  read -r on file out <<<"$old"
  sql -e "SET GLOBAL general_log = $on, GLOBAL general_log_file = '$file', GLOBAL log_output = '$out'"
  # The chunk reads: SELECT of a column list (the planner's key lookups end in LIMIT).
  grep -P 'Query\tSELECT `' "$WORK/general.log" | grep -v ' LIMIT ' | sed 's/^.*Query\t//' >"$SQL"
  rm -rf "$WORK/archive"
fi
echo "protocol: $(wc -l <"$SQL") SELECTs" >&2

read -ra modes <<<"$MODES"
for ((r = 1; r <= ROUNDS; r++)); do
  echo "protocol: round $r, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  for ((k = 0; k < ${#modes[@]}; k++)); do
    m=${modes[$(((k + r - 1) % ${#modes[@]}))]}
    s0=$(srv)
    /usr/bin/time -f '%e %U %S' -o "$WORK/time" "$WORK/read_protocol" --"$m" --server-pid "$PID" "$CNF" "$SQL" \
      >/dev/null 2>"$WORK/per-query.$m.$r" || { cat "$WORK/per-query.$m.$r" >&2; exit 1; }
    s1=$(srv)
    read -r wall u s <"$WORK/time"
    printf '%s\t%s\t%s\t%s\t%s\n' "$m" "$r" "$wall" "$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')" \
      "$(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.2f", b - a }')" >>"$WORK/runs.tsv"
    # Per table: rows, client CPU, server CPU (from the per-query lines).
    awk -F'\t' -v m="$m" -v r="$r" '{ match($5, /FROM `[^`]*`\.`[^`]*`/); t = substr($5, RSTART + 5, RLENGTH - 5)
      gsub(/`/, "", t); rows[t] += $1; c[t] += $2; s[t] += $3 }
      END { for (t in rows) printf "%s\t%s\t%s\t%d\t%.2f\t%.2f\n", m, r, t, rows[t], c[t], s[t] }' \
      "$WORK/per-query.$m.$r" >>"$WORK/tables.tsv"
  done
done
echo "protocol: runs (mode round wall client-CPU server-CPU):" >&2
sort -k1,1 -k2,2n "$WORK/runs.tsv" | tr '\t' ' ' | sed 's/^/  /' >&2

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
printf '%-8s %8s %10s %10s %10s\n' mode "wall s" "client CPU" "server CPU" "total CPU"
for m in "${modes[@]}"; do
  w=$(awk -v m="$m" '$1 == m { print $3 }' "$WORK/runs.tsv" | median)
  c=$(awk -v m="$m" '$1 == m { print $4 }' "$WORK/runs.tsv" | median)
  s=$(awk -v m="$m" '$1 == m { print $5 }' "$WORK/runs.tsv" | median)
  printf '%-8s %8.2f %10.2f %10.2f %10.2f\n' "$m" "$w" "$c" "$s" "$(awk -v a="$c" -v b="$s" 'BEGIN { print a + b }')"
done
echo
printf '%-32s %9s' table rows
for m in "${modes[@]}"; do printf ' %8s %8s' "$m cli" "srv"; done
echo
for t in $(cut -f3 "$WORK/tables.tsv" | sort -u); do
  printf '%-32s %9s' "$t" "$(awk -F'\t' -v t="$t" '$3 == t { print $4; exit }' "$WORK/tables.tsv")"
  for m in "${modes[@]}"; do
    printf ' %8.2f %8.2f' "$(awk -F'\t' -v t="$t" -v m="$m" '$1 == m && $3 == t { print $5 }' "$WORK/tables.tsv" | median)" \
      "$(awk -F'\t' -v t="$t" -v m="$m" '$1 == m && $3 == t { print $6 }' "$WORK/tables.tsv" | median)"
  done
  echo
done
echo; echo "compare (formatted binary values against the server's text):"
"$WORK/read_protocol" --compare "$CNF" "$SQL" 2>&1 >/dev/null | tail -n 11 || true

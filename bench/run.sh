#!/usr/bin/env bash
# Benchmark omsdump/omsrestore against mydumper/myloader, mariadb-dump/mariadb and the
# server's own read and load limits, on one sandbox and one synthetic data set.
#
#   bench/run.sh --scale N [--runs 3] [--threads 2] [--seed 42] [--tools DIR]
#                [--results DIR] [--work DIR] [--buffer-pool SIZE] [--regenerate] [--keep]
#                [--mydumper-rows R] [--timeout SECONDS] [--load-batch SIZE] [--smoke]
#                [--job [--heartbeat-scale H] [--old-delete derived|literal]]
#
# Server: the sandbox named by $OMSB_SANDBOX_DIR if set, otherwise one started here (and
#   stopped at the end).  Data: bench/generate.sh --scale N --seed S, skipped when
#   bench_meta.info already records that scale and seed (--regenerate forces it).
# Tools: omsdump/omsrestore from DIR (default build-bench/tools, else build/tools);
#   mydumper/myloader (Debian package mydumper) and /usr/bin/time are installed with apt-get
#   when missing and running as root; without mydumper its rows are skipped.
# Per run, tools alternate (the order rotates from run to run):
#   dump:    omsdump (compressed, checksummed, --prune-heartbeat=none, -q), mydumper plain,
#            mydumper -c (gzip), mariadb-dump --single-transaction, the read limit
#            (THREADS connections of bench/read_limit.c, compiled here, each streaming
#            SELECT * of a share of the rows and discarding them) and read-cli (the same
#            with mariadb --quick --raw clients writing to /dev/null);
#   restore: omsrestore --skip-binlog (from the omsdump archive), myloader (from the plain
#            mydumper dump), mariadb < the mariadb-dump file, and the load limit (server-side
#            LOAD DATA INFILE of files written beforehand with SELECT ... INTO OUTFILE and cut
#            into pieces of at most --load-batch bytes of whole rows (default 4M, as omsrestore's
#            batches; 0: one statement per file), one statement each, each table's pieces
#            on one connection, secondary indexes added afterwards).  Every tool connects over TCP to 127.0.0.1
#            without TLS (--ssl-mode=disabled, --skip-ssl; mydumper and bench/read_limit.c do
#            not ask for it), whatever the server offers.  Every restore runs without binary logging
#            (myloader's default; SET sql_log_bin=0 for the others), after DROP DATABASE of
#            the four databases, and is followed by CHECKSUM TABLE of every table, compared
#            with the source's (recorded once before the first dump).
# Output: a table on stdout; DIR (default bench/results/scale-N-DATE) gets runs.tsv (every
#   measurement: wall seconds, peak RSS, output size, client and server CPU seconds, checksum
#   check, load average), summary.tsv (medians), targets.tsv, source.tsv, source-checksums.tsv,
#   env.txt, table.txt, and failed-TOOL-RUN.log / mismatch-TOOL-RUN.tsv for runs that failed.
#   Medians leave failed runs out.  Passwords only through --defaults-file (client.cnf).
#   Exit status 1 if any tool failed or any restore's checksums differ from the source's.
# The server's buffer pool is resized to SIZE (default 2G; "" leaves it) with SET GLOBAL.
# Dumps and the load limit's files go to --work DIR (default a new /tmp/omsb-bench.XXXXXX,
#   removed at the end unless --keep; a DIR given is left in place).
# Every measured command is stopped after --timeout seconds (default 1800; mydumper 0.10 has
#   been seen to hang once, its worker threads deadlocked) and counts as failed.
# --smoke: one run of every tool and both limits (mydumper/myloader when installed) with the
#   checksum comparison after each restore; no apt-get, no buffer pool change, a 60 s
#   timeout; a failure of mydumper/myloader is only a warning there (0.10 has hung once); a
#   results directory under /tmp that is removed (bench/smoke.sh uses it).
# --job: then the upgrade job end to end on the same server, old procedure against
#   omsdump+omsrestore (bench/job.sh with the same --scale, --runs, --threads, --seed, --tools,
#   --buffer-pool, --smoke, --keep and --timeout when given; --heartbeat-scale and --old-delete
#   passed to it), results in DIR/job; its failure makes the exit status 1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PROG=bench

. bench/common.sh

common_defaults
MYD_ROWS=250000 LOAD_BATCH=4M JOB=0 JOB_ARGS=()
while [[ $# -gt 0 ]]; do
  if common_option "$@"; then shift "$SHIFT"; continue; fi
  case "$1" in
    --mydumper-rows) MYD_ROWS=${2:-}; shift 2 ;;
    --load-batch) LOAD_BATCH=${2:-}; shift 2 ;;
    --job) JOB=1; shift ;;
    --heartbeat-scale | --old-delete) JOB_ARGS+=("$1" "${2:-}"); shift 2 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
TIMEOUT_ARG=$TIMEOUT
common_check_options 1800 60
[[ $MYD_ROWS =~ ^[1-9][0-9]*$ ]] || die "--mydumper-rows needs a positive integer"
((JOB || ${#JOB_ARGS[@]} == 0)) || die "${JOB_ARGS[0]} goes with --job"

# ---------------------------------------------------------------------------- prerequisites
want_pkgs=()
command -v mydumper >/dev/null 2>&1 || want_pkgs+=(mydumper)
[[ -x /usr/bin/time ]] || want_pkgs+=(time)
if ((${#want_pkgs[@]})) && ((SMOKE == 0)) && [[ $(id -u) == 0 ]]; then
  log "installing ${want_pkgs[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${want_pkgs[@]}" >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${want_pkgs[@]}" >/dev/null 2>&1; } ||
    log "warning: could not install ${want_pkgs[*]}"
fi
common_tools
HAVE_MYD=0
if command -v mydumper >/dev/null 2>&1 && command -v myloader >/dev/null 2>&1; then HAVE_MYD=1
elif ((SMOKE == 0)); then log "warning: mydumper/myloader not installed: skipped"; fi

# ---------------------------------------------------------------------------- sandbox
common_sandbox
common_dirs omsb-bench "scale-$SCALE"

DBS=(bench_rm bench_cm bench_cm_hb1 bench_cm_hb2)
DBLIST="'bench_rm','bench_cm','bench_cm_hb1','bench_cm_hb2'"
REGEX='^(bench_rm|bench_cm|bench_cm_hb1|bench_cm_hb2)\.'

common_buffer_pool

# ---------------------------------------------------------------------------- data
common_data "$SCALE"

mapfile -t TABLES < <(sql -e "SELECT CONCAT(table_schema, '.', table_name) FROM information_schema.TABLES
  WHERE table_schema IN ($DBLIST) AND table_type = 'BASE TABLE' ORDER BY 1")
((${#TABLES[@]})) || die "no tables in ${DBS[*]}"
TABLE_LIST=$(printf '%s, ' "${TABLES[@]}"); TABLE_LIST=${TABLE_LIST%, }

checksums() { sql -e "CHECKSUM TABLE $TABLE_LIST" 2>&1 | LC_ALL=C sort; }

log "recording source checksums and sizes"
checksums >"$RES/source-checksums.tsv"
grep -q NULL "$RES/source-checksums.tsv" && die "CHECKSUM TABLE of the source failed: $(cat "$RES/source-checksums.tsv")"
{
  printf 'table\trows\tdata_bytes\tindex_bytes\n'
  for t in "${TABLES[@]}"; do
    db=${t%%.*} tb=${t#*.}
    n=$(sql -e "SELECT COUNT(*) FROM \`$db\`.\`$tb\`")
    sql -e "SELECT '$t', $n, data_length, index_length FROM information_schema.TABLES WHERE table_schema = '$db' AND table_name = '$tb'"
  done
} >"$RES/source.tsv"
SRC_ROWS=$(awk -F'\t' 'NR > 1 { s += $2 } END { print s }' "$RES/source.tsv")
SRC_BYTES=$(awk -F'\t' 'NR > 1 { s += $3 + $4 } END { print s }' "$RES/source.tsv")
SRC_MIB=$(awk -v b="$SRC_BYTES" 'BEGIN { printf "%.1f", b / 1048576 }')

# ---------------------------------------------------------------------------- read units
# A unit is a table, or a key range of a big table with a single integer primary key; units
# go to THREADS connections, largest first to the least loaded.  The same units feed the read
# limit (SELECT *) and the load limit (INTO OUTFILE / LOAD DATA INFILE).
mkdir -p "$WORK/limit"
: >"$WORK/limit/units.tsv"
for t in "${TABLES[@]}"; do
  db=${t%%.*} tb=${t#*.}
  bytes=$(awk -F'\t' -v t="$t" '$1 == t { print $3 + 0 }' "$RES/source.tsv")
  pk=$(sql -e "SELECT GROUP_CONCAT(s.column_name), MAX(c.data_type) FROM information_schema.STATISTICS s
      JOIN information_schema.COLUMNS c ON c.table_schema = s.table_schema AND c.table_name = s.table_name AND c.column_name = s.column_name
      WHERE s.table_schema = '$db' AND s.table_name = '$tb' AND s.index_name = 'PRIMARY' HAVING COUNT(*) = 1")
  col=$(cut -f1 <<<"$pk") typ=$(cut -f2 <<<"$pk")
  lo=NULL hi=NULL
  if [[ -n $col && $typ =~ int$ ]] && ((THREADS > 1 && bytes * 4 * THREADS > SRC_BYTES)); then
    read -r lo hi < <(sql -e "SELECT MIN(\`$col\`), MAX(\`$col\`) FROM \`$db\`.\`$tb\`")
  fi
  if [[ $lo =~ ^-?[0-9]+$ && $hi =~ ^-?[0-9]+$ ]]; then
    for ((k = 0; k < THREADS; k++)); do
      a=$((lo + (hi - lo + 1) * k / THREADS)) b=$((lo + (hi - lo + 1) * (k + 1) / THREADS))
      printf '%s\t%s\t`%s` >= %s AND `%s` < %s\t%s\n' "$db" "$tb" "$col" "$a" "$col" "$b" $((bytes / THREADS)) >>"$WORK/limit/units.tsv"
    done
  else
    printf '%s\t%s\t1\t%s\n' "$db" "$tb" "$bytes" >>"$WORK/limit/units.tsv"
  fi
done
sort -t$'\t' -k4,4nr "$WORK/limit/units.tsv" | awk -F'\t' -v n="$THREADS" '
  { best = 0; for (i = 1; i < n; i++) if (load[i] < load[best]) best = i; load[best] += $4; print best "\t" NR "\t" $0 }' \
  >"$WORK/limit/assigned.tsv"

# The load limit loads whole tables per connection (a table's key ranges one after the other
# on one connection): two LOAD DATA into one InnoDB table mostly wait for each other (2
# connections loading 2M rows each into one table took 7.4-7.9 s, into two tables 4.4 s, at
# the same server CPU), so splitting a table across connections would slow the limit.
awk -F'\t' -v n="$THREADS" '
  { line[NR] = $0; key[NR] = $3 "." $4; if (!(key[NR] in total)) order[++k] = key[NR]; total[key[NR]] += $6 }
  END {
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++)
      if (total[order[j]] > total[order[i]]) { t = order[i]; order[i] = order[j]; order[j] = t }
    for (i = 1; i <= k; i++) {
      best = 0; for (c = 1; c < n; c++) if (load[c] < load[best]) best = c
      load[best] += total[order[i]]; conn[order[i]] = best
    }
    for (i = 1; i <= k; i++) for (r = 1; r <= NR; r++) if (key[r] == order[i]) {
      sub(/^[^\t]*/, conn[order[i]], line[r]); print line[r]
    }
  }' "$WORK/limit/assigned.tsv" >"$WORK/limit/assigned-load.tsv"

mkdir -p "$WORK/outfile"
# Like omsrestore's loaders: READ COMMITTED (no gap locks between the key ranges of one table),
# key checks off, no binary log; one statement per line (bench/run.sh retries it on deadlock).
LOAD_SETUP="SET SESSION sql_log_bin = 0, unique_checks = 0, foreign_key_checks = 0; SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED;"
for ((i = 0; i < THREADS; i++)); do
  awk -F'\t' -v i="$i" '$1 == i { printf "SELECT * FROM `%s`.`%s` WHERE %s;\n", $3, $4, $5 }' "$WORK/limit/assigned.tsv" >"$WORK/limit/read_$i.sql"
  awk -F'\t' -v i="$i" -v d="$WORK/outfile" -v setup="$LOAD_SETUP" '$1 == i {
      printf "%s LOAD DATA INFILE '\''%s/u%d.txt'\'' INTO TABLE `%s`.`%s` CHARACTER SET binary;\n", setup, d, $2, $3, $4 }' \
    "$WORK/limit/assigned-load.tsv" >"$WORK/limit/load_$i.sql"
  : >"$WORK/limit/index_$i.sql"
done

# The read limit's client (bench/read_limit.c); without a C compiler, read-cli only.
HAVE_RL=0
if cc -O2 -o "$WORK/read_limit" bench/read_limit.c $(pkg-config --cflags --libs libmariadb 2>/dev/null || echo -lmariadb) \
    >"$WORK/read_limit.log" 2>&1; then
  HAVE_RL=1
else
  log "warning: could not compile bench/read_limit.c (the read limit falls back to read-cli): $(head -n 3 "$WORK/read_limit.log")"
fi

# A script per limit, so that each is one timed process.
cat >"$WORK/limit/read.sh" <<'EOF'
#!/usr/bin/env bash
# read.sh CNF DIR [CLIENT]: every DIR/read_*.sql on its own connection, rows discarded; with
# CLIENT (bench/read_limit.c) that program, otherwise mariadb --quick --raw.
pids=()
for f in "$2"/read_*.sql; do
  if [[ -n ${3:-} ]]; then
    "$3" "$1" "$f" >/dev/null &
  else
    mariadb --defaults-file="$1" --skip-ssl --quick --raw --batch --skip-column-names <"$f" >/dev/null &
  fi
  pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
exit $rc
EOF
cat >"$WORK/limit/load.sh" <<'EOF'
#!/usr/bin/env bash
# load.sh CNF DIR: schema.sql, then DIR/load_*.sql in parallel, then DIR/index_*.sql in
# parallel; each file on one connection (one mariadb process, --force), one statement per
# line; a line that failed with a deadlock or lock wait timeout (one statement is one
# transaction) is then run again on its own, up to 5 times; any other error fails.
set -e
mariadb --defaults-file="$1" <"$2/schema.sql"
run_file() {
  local err n line try out
  err=$(mariadb --defaults-file="$1" --force <"$2" 2>&1 >/dev/null) || true
  [[ -n $err ]] || return 0
  if grep -v -E '^ERROR (1213|1205) .* at line [0-9]+' <<<"$err" | grep -q .; then
    echo "$err" >&2; return 1
  fi
  for n in $(sed -E -n 's/^ERROR (1213|1205) .* at line ([0-9]+).*/\2/p' <<<"$err"); do
    line=$(sed -n "${n}p" "$2")
    echo "retrying line $n of $2" >&2
    for ((try = 2; ; try++)); do
      if out=$(mariadb --defaults-file="$1" -e "$line" 2>&1); then break; fi
      if ((try < 5)) && [[ $out == *"ERROR 1213"* || $out == *"ERROR 1205"* ]]; then continue; fi
      echo "$out" >&2; return 1
    done
  done
}
par() {
  local pids=() rc=0 f p
  for f in "$2"/$3_*.sql; do run_file "$1" "$f" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  return $rc
}
par "$1" "$2" load
par "$1" "$2" index
EOF

# The load limit's schema: CREATE TABLE without secondary indexes, which become one
# ALTER TABLE ... ADD per table afterwards (spread over the connections).
{
  echo "SET SESSION sql_log_bin = 0; SET NAMES utf8mb4;"
  for db in "${DBS[@]}"; do
    sql -e "SELECT CONCAT('CREATE DATABASE \`', schema_name, '\` DEFAULT CHARACTER SET ', default_character_set_name,
      ' COLLATE ', default_collation_name, ';') FROM information_schema.SCHEMATA WHERE schema_name = '$db'"
  done
} >"$WORK/limit/schema.sql"
k=0
for t in "${TABLES[@]}"; do
  db=${t%%.*} tb=${t#*.}
  ddl=$(sql --raw -e "SHOW CREATE TABLE \`$db\`.\`$tb\`" | sed '1s/^[^\t]*\t//')
  awk -v db="$db" -v tb="$tb" -v sf="$WORK/limit/schema.sql" -v xf="$WORK/limit/index_$((k % THREADS)).sql" '
    /^  (UNIQUE )?KEY / { sub(/,$/, ""); sub(/^  /, ""); idx = idx (idx == "" ? "" : ", ") "ADD " $0; next }
    /^\)/ { if (n) sub(/,$/, "", line[n]) }
    { line[++n] = $0 }
    END {
      sub(/^CREATE TABLE /, "CREATE TABLE `" db "`.", line[1])
      for (i = 1; i <= n; i++) print line[i] (i == n ? ";" : "") >> sf
      if (idx != "") print "SET SESSION sql_log_bin = 0; ALTER TABLE `" db "`.`" tb "` " idx ";" >> xf
    }' <<<"$ddl"
  k=$((k + 1))
done

# ---------------------------------------------------------------------------- measuring
RUNS_TSV=$RES/runs.tsv
printf 'phase\ttool\trun\tseconds\tpeak_rss_kb\tsize_bytes\tclient_cpu_s\tserver_cpu_s\tcheck\tloadavg\n' >"$RUNS_TSV"

# measure PHASE TOOL RUN OUTPUT_PATH CMD...: time CMD; record wall seconds, peak RSS, size,
# the client's and the server's CPU seconds, and the load average before it started.
measure() {
  local phase=$1 tool=$2 run=$3 out=$4 size=-
  shift 4
  timed "$WORK/log.$tool.$run" "$@"
  if ((T_RC != 0)); then
    log "$tool run $run failed (exit $T_RC): $(tail -n 3 "$WORK/log.$tool.$run" | tr '\n' ' ')"
    cp "$WORK/log.$tool.$run" "$RES/failed-$tool-$run.log"
    T_SECS=FAIL
  fi
  if [[ $out != - && -e $out ]]; then size=$(du -sb "$out" | cut -f1); fi
  ((T_RC == 0)) || fail_run "$tool"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$phase" "$tool" "$run" "$T_SECS" "$T_RSS" "$size" \
    "$T_CLIENT" "$T_SERVER" "${CHECK:--}" "$T_LOAD" >>"$RUNS_TSV"
}

# fail_run TOOL: the exit status becomes 1, except for the peers' tools in a smoke run.
fail_run() {
  if ((SMOKE)) && [[ $1 == my* ]]; then log "warning: $1 failed (not counted in a smoke run)"; else FAILED=1; fi
}

drop_dbs() {
  sql -e "SET SESSION sql_log_bin = 0; $(printf 'DROP DATABASE IF EXISTS `%s`; ' "${DBS[@]}")"
}

# verify_restore [NAME]: "ok", or "MISMATCH:N" (N tables differ; with NAME, their source and
# restored checksums go to RES/mismatch-NAME.tsv).
verify_restore() {
  local got="$WORK/checksums.got" diff="$WORK/checksums.diff"
  checksums >"$got"
  if cmp -s "$got" "$RES/source-checksums.tsv"; then echo ok; return; fi
  LC_ALL=C join -t$'\t' -a1 -e MISSING -o 0,1.2,2.2 "$RES/source-checksums.tsv" "$got" | awk -F'\t' '$2 != $3' >"$diff"
  [[ -z ${1:-} ]] || { printf 'table\tsource\trestored\n'; cat "$diff"; } >"$RES/mismatch-$1.tsv"
  echo "MISMATCH:$(wc -l <"$diff")"
}

dump_tool() {
  local tool=$1 run=$2 out
  case $tool in
    omsdump)
      out=$WORK/dump-omsdump; rm -rf "$out"
      measure dump omsdump "$run" "$out" "$TOOLS/omsdump" --defaults-file="$CNF" --ssl-mode=disabled -B "${DBS[@]}" \
        -o "$out" -t "$THREADS" --prune-heartbeat=none -q ;;
    mydumper)
      out=$WORK/dump-mydumper; rm -rf "$out"
      measure dump mydumper "$run" "$out" mydumper --defaults-file="$CNF" --regex "$REGEX" -t "$THREADS" \
        -r "$MYD_ROWS" -o "$out" -v 1 ;;
    mydumper-gz)
      out=$WORK/dump-mydumper-gz; rm -rf "$out"
      measure dump mydumper-gz "$run" "$out" mydumper --defaults-file="$CNF" --regex "$REGEX" -t "$THREADS" \
        -r "$MYD_ROWS" -c -o "$out" -v 1 ;;
    mariadb-dump)
      out=$WORK/dump-mariadb.sql; rm -f "$out"
      measure dump mariadb-dump "$run" "$out" bash -c 'mariadb-dump --defaults-file="$1" --skip-ssl --single-transaction --databases "${@:3}" >"$2"' \
        _ "$CNF" "$out" "${DBS[@]}" ;;
    read-limit)
      if ((HAVE_RL)); then
        measure dump read-limit "$run" - bash "$WORK/limit/read.sh" "$CNF" "$WORK/limit" "$WORK/read_limit"
      else
        measure dump read-limit "$run" - bash "$WORK/limit/read.sh" "$CNF" "$WORK/limit"
      fi ;;
    read-cli)
      measure dump read-cli "$run" - bash "$WORK/limit/read.sh" "$CNF" "$WORK/limit" ;;
  esac
}

restore_tool() {
  local tool=$1 run=$2
  drop_dbs
  CHECK=- 
  case $tool in
    omsrestore)
      rm -f "$WORK/dump-omsdump.restore-journal"
      measure restore omsrestore "$run" - "$TOOLS/omsrestore" --defaults-file="$CNF" --ssl-mode=disabled -t "$THREADS" \
        --skip-binlog -q "$WORK/dump-omsdump" ;;
    myloader)
      measure restore myloader "$run" - myloader --defaults-file="$CNF" -d "$WORK/dump-mydumper" -t "$THREADS" -v 1 ;;
    mariadb)
      measure restore mariadb "$run" - bash -c 'mariadb --defaults-file="$1" --skip-ssl --init-command="SET sql_log_bin = 0" <"$2"' \
        _ "$CNF" "$WORK/dump-mariadb.sql" ;;
    load-limit)
      measure restore load-limit "$run" - bash "$WORK/limit/load.sh" "$CNF" "$WORK/limit" ;;
  esac
  # The check goes into the row just written.
  local c; c=$(verify_restore "$tool-$run")
  sed -i '$ s/\t-\t\([^\t]*\)$/\t'"$c"'\t\1/' "$RUNS_TSV"
  [[ $c == ok ]] || { fail_run "$tool"; log "$tool run $run: CHECKSUM TABLE differs from the source ($c: $(tail -n +2 "$RES/mismatch-$tool-$run.tsv" | cut -f1 | tr '\n' ' '))"; }
}

FAILED=0
DUMP_TOOLS=(omsdump) RESTORE_TOOLS=(omsrestore)
if ((HAVE_MYD)); then
  DUMP_TOOLS+=(mydumper mydumper-gz)
  RESTORE_TOOLS+=(myloader)
fi
DUMP_TOOLS+=(mariadb-dump read-limit)
((HAVE_RL)) && DUMP_TOOLS+=(read-cli)
RESTORE_TOOLS+=(mariadb load-limit)

# rotated N ARRAY...: ARRAY rotated left by N.
rotated() { local n=$1; shift; local a=("$@") i; for ((i = 0; i < ${#a[@]}; i++)); do echo "${a[(i + n) % ${#a[@]}]}"; done; }

for ((r = 1; r <= RUNS; r++)); do
  for tool in $(rotated $((r - 1)) "${DUMP_TOOLS[@]}"); do
    log "run $r/$RUNS dump $tool"
    CHECK=- dump_tool "$tool" "$r"
  done
done

OUTFILE_BYTES=-
log "writing the load limit's files (SELECT ... INTO OUTFILE, not timed)"
rm -rf "$WORK/outfile"; mkdir -p "$WORK/outfile"
awk -F'\t' -v d="$WORK/outfile" '{ printf "SELECT * INTO OUTFILE '\''%s/u%d.txt'\'' CHARACTER SET binary FROM `%s`.`%s` WHERE %s;\n", d, $2, $3, $4, $5 }' \
  "$WORK/limit/assigned.tsv" | sql
OUTFILE_BYTES=$(du -sb "$WORK/outfile" | cut -f1)
# In statements of at most LOAD_BATCH bytes of whole rows (one transaction each), as
# omsrestore loads: InnoDB's cost per row grows with the size of the transaction.
if [[ $LOAD_BATCH != 0 ]]; then
  # Not split(1) -C: INTO OUTFILE writes a newline inside a value as a backslash and a
  # raw newline, so a row ends only at a newline after an even run of backslashes.
  max_bytes=$(numfmt --from=iec "$LOAD_BATCH")
  for f in "$WORK"/outfile/u*.txt; do
    LC_ALL=C awk -v max="$max_bytes" -v base="$f." '
      { row = row $0 "\n"
        if (match($0, /\\+$/) && RLENGTH % 2 == 1) next   # escaped newline: the row goes on
        if (out == "" || (size > 0 && size + length(row) > max)) {
          if (out != "") close(out)
          out = sprintf("%s%05d", base, part++); size = 0
        }
        printf "%s", row > out; size += length(row); row = "" }
      END { if (row != "") { if (out == "") out = base "00000"; printf "%s", row > out } }' "$f" && rm -f "$f"
  done
  for ((i = 0; i < THREADS; i++)); do
    while IFS=$'\t' read -r w n db tb _; do
      ((w == i)) || continue
      for piece in "$WORK/outfile/u$n.txt".*; do
        [[ -e $piece ]] || continue
        printf "%s LOAD DATA INFILE '%s' INTO TABLE \`%s\`.\`%s\` CHARACTER SET binary;\n" \
          "$LOAD_SETUP" "$piece" "$db" "$tb"
      done
    done <"$WORK/limit/assigned-load.tsv" >"$WORK/limit/load_$i.sql"
  done
fi

for ((r = 1; r <= RUNS; r++)); do
  for tool in $(rotated $((r - 1)) "${RESTORE_TOOLS[@]}"); do
    log "run $r/$RUNS restore $tool"
    restore_tool "$tool" "$r"
  done
done

# Leave the source as it was; if the last restore was wrong, make the next run regenerate.
if [[ $(verify_restore) != ok ]]; then
  log "the databases differ from the source after the last restore: forcing regeneration next time"
  sql -e "DROP TABLE IF EXISTS bench_meta.info"
fi

# ---------------------------------------------------------------------------- report
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "command: bench/run.sh --scale $SCALE --runs $RUNS --threads $THREADS --seed $SEED --buffer-pool ${BUFFER_POOL:-\"\"} --load-batch $LOAD_BATCH"
  echo "nproc: $(nproc)"
  echo "memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "cpu: $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
  echo "kernel: $(uname -r)"
  echo "disk: $(df -h "$WORK" | awk 'NR == 2 { print $1 " " $2 " (" $5 " used)" }'); $(lsblk -dno NAME,SIZE,ROTA,MODEL 2>/dev/null | awk '$2 != "0B" { printf "%s %s rotational=%s %s; ", $1, $2, $3, $4 }')"
  echo "server: $(sql -e 'SELECT VERSION()') buffer_pool=$(sql -e 'SELECT @@innodb_buffer_pool_size') log_bin=$(sql -e 'SELECT @@log_bin') flush_log_at_trx_commit=$(sql -e 'SELECT @@innodb_flush_log_at_trx_commit')"
  echo "omsdump: $("$TOOLS/omsdump" --version 2>&1 | head -n 1) ($TOOLS)"
  echo "omsrestore: $("$TOOLS/omsrestore" --version 2>&1 | head -n 1)"
  ((HAVE_MYD)) && echo "mydumper: $(mydumper --version 2>&1 | head -n 1); myloader: $(myloader --version 2>&1 | head -n 1)"
  echo "mariadb-dump: $(mariadb-dump --version | head -n 1)"
  echo "mariadb: $(mariadb --version | head -n 1)"
  echo "scale: $SCALE seed: $SEED generate_seconds: $GEN_S"
  echo "source: ${#TABLES[@]} tables, $SRC_ROWS rows, $SRC_BYTES bytes (InnoDB data+index)"
  echo "load-limit files (INTO OUTFILE): $OUTFILE_BYTES bytes"
  echo "mydumper rows per chunk: $MYD_ROWS"
  echo "loadavg at end: $(cat /proc/loadavg)"
} >"$RES/env.txt"

# summary.tsv: per phase and tool, medians over the runs (failed runs left out).
awk -F'\t' '
  function median(list,   n, a, x, y, t) {
    n = split(list, a, " ")
    if (!n) return "-"
    for (x = 1; x <= n; x++) for (y = x + 1; y <= n; y++) if (a[y] + 0 < a[x] + 0) { t = a[x]; a[x] = a[y]; a[y] = t }
    lo = a[1]; hi = a[n]
    return n % 2 ? a[(n + 1) / 2] : sprintf("%.2f", (a[n / 2] + a[n / 2 + 1]) / 2)
  }
  NR > 1 {
    k = $1 "\t" $2
    if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
    runs[k]++
    if ($4 == "FAIL") { fail[k]++; next }
    v[k] = v[k] " " $4; cc[k] = cc[k] " " $7; sc[k] = sc[k] " " $8
    if ($5 + 0 > rss[k] + 0) rss[k] = $5
    size[k] = $6
    if ($9 == "ok") ok[k]++; else if ($9 != "-") bad[k] = $9
  }
  END {
    print "phase\ttool\truns\tmedian_s\tmin_s\tmax_s\tpeak_rss_kb\tsize_bytes\tclient_cpu_s\tserver_cpu_s\tcheck"
    for (j = 1; j <= nk; j++) {
      k = order[j]
      m = median(v[k]); mn = (m == "-") ? "-" : lo; mx = (m == "-") ? "-" : hi
      chk = (k ~ /^restore/) ? ((ok[k] + 0) "/" runs[k] " ok" (k in bad ? " " bad[k] : "")) : "-"
      if (fail[k]) chk = chk " " fail[k] " failed"
      print k "\t" runs[k] "\t" m "\t" mn "\t" mx "\t" (k in rss ? rss[k] : "-") "\t" (k in size ? size[k] : "-") "\t" \
        median(cc[k]) "\t" median(sc[k]) "\t" chk
    }
  }' "$RUNS_TSV" >"$RES/summary.tsv"

med() { awk -F'\t' -v p="$1" -v t="$2" '$1 == p && $2 == t { print $4 }' "$RES/summary.tsv"; }
col() { awk -F'\t' -v p="$1" -v t="$2" -v c="$3" '$1 == p && $2 == t { print $c }' "$RES/summary.tsv"; }

{
  printf 'omsbackup benchmark: scale %s (seed %s), %d runs, %d threads; source %d tables, %d rows, %s MiB (InnoDB data+index)\n' \
    "$SCALE" "$SEED" "$RUNS" "$THREADS" "${#TABLES[@]}" "$SRC_ROWS" "$SRC_MIB"
  printf 'wall seconds: median (min-max) of the runs; ratio = median / omsdump'"'"'s or omsrestore'"'"'s median (>1: omsbackup faster)\n\n'
  awk -F'\t' -v src="$SRC_BYTES" -v od="$(med dump omsdump)" -v orr="$(med restore omsrestore)" '
    function mib(b) { return (b == "-" || b == "") ? "-" : sprintf("%.1f", b / 1048576) }
    NR == 1 { next }
    {
      if ($1 != last) {
        printf "%-8s %-12s %8s %15s %6s %7s %9s %8s %8s %8s  %s\n", toupper($1), "tool", "median s", "min-max", "ratio",
          "MiB/s", "size MiB", "RSS MiB", "cli CPU", "srv CPU", ($1 == "restore" ? "checksums" : "")
        last = $1
      }
      base = ($1 == "dump") ? od : orr
      ratio = ($4 == "-" || base == "" || base == "-" || base + 0 == 0) ? "-" : sprintf("%.2f", $4 / base)
      rate = ($4 == "-" || $4 + 0 == 0) ? "-" : sprintf("%.1f", src / 1048576 / $4)
      printf "%-8s %-12s %8s %15s %6s %7s %9s %8s %8s %8s  %s\n", "", $2, $4, ($4 == "-" ? "-" : $5 "-" $6), ratio, rate, mib($8),
        ($7 == "-" ? "-" : mib($7 * 1024)), $9, $10, ($1 == "restore" ? $11 : "")
    }' "$RES/summary.tsv"
  echo
  echo "MiB/s: source InnoDB size / median.  RSS: peak resident set of the client process (largest one for the"
  echo "limits, whose work is in the server).  cli/srv CPU: median CPU seconds (user+system) of the client process(es)"
  echo "and of the server during the run (less sensitive than wall time to other load on the machine)."
  echo
} | tee "$RES/table.txt"

# ---------------------------------------------------------------------------- targets
{
  printf 'target\tvalue\tgoal\tmet\n'
  # target LABEL A B OP GOAL: the ratio A/B shown to 4 places, judged unrounded (a median
  # 0.01% short of a goal is not met, even where it shows as the goal).
  target() {
    awk -v label="$1" -v a="$2" -v b="$3" -v op="$4" -v g="$5" 'BEGIN {
      if (a == "" || b == "" || a == "-" || b == "-" || b + 0 == 0) { printf "%s\t-\t%s %s\tn/a\n", label, op, g; exit }
      r = a / b
      printf "%s\t%.4f\t%s %s\t%s\n", label, r, op, g, ((op == ">=" ? r >= g : r <= g) ? "yes" : "NO") }'
  }
  if ((HAVE_MYD)); then
    target 'dump speed: mydumper plain / omsdump' "$(med dump mydumper)" "$(med dump omsdump)" '>=' 1.5
  fi
  target 'dump: omsdump / read limit' "$(med dump omsdump)" "$(med dump read-limit)" '<=' 1.2
  if ((HAVE_MYD)); then
    target 'restore speed: myloader / omsrestore' "$(med restore myloader)" "$(med restore omsrestore)" '>=' 1.5
  fi
  target 'restore: omsrestore / load limit' "$(med restore omsrestore)" "$(med restore load-limit)" '<=' 1.2
  if ((HAVE_MYD)); then
    target 'archive size: omsdump / mydumper -c' "$(col dump omsdump 8)" "$(col dump mydumper-gz 8)" '<=' 1.0
  fi
  printf 'peak RSS omsdump (KiB)\t%s\tflat within 20%% between scales\tcompare runs\n' "$(col dump omsdump 7)"
  printf 'peak RSS omsrestore (KiB)\t%s\tflat within 20%% between scales\tcompare runs\n' "$(col restore omsrestore 7)"
  printf 'restores with equal CHECKSUM TABLE\t%s\tall\t%s\n' \
    "$(awk -F'\t' '$1 == "restore" { n++; if ($9 == "ok") k++ } END { print k + 0 "/" n + 0 }' "$RUNS_TSV")" \
    "$(awk -F'\t' '$1 == "restore" && $2 ~ /^oms/ && $9 != "ok" { b = 1 } END { print b ? "NO (omsrestore)" : "yes (omsrestore)" }' "$RUNS_TSV")"
} >"$RES/targets.tsv"
if ((SMOKE == 0)); then
  echo "TARGETS"
  column -t -s$'\t' "$RES/targets.tsv" | sed 's/^/  /'
  echo
  echo "results: $RES"
fi

# ---------------------------------------------------------------------------- the upgrade job
if ((JOB)); then
  log "the upgrade job end to end: bench/job.sh on the same server, results in $RES/job"
  job_opts=(--scale "$SCALE" --runs "$RUNS" --threads "$THREADS" --seed "$SEED" --tools "$TOOLS"
    --results "$RES/job" --buffer-pool "$BUFFER_POOL" "${JOB_ARGS[@]}")
  [[ -z $TIMEOUT_ARG ]] || job_opts+=(--timeout "$TIMEOUT_ARG")
  ((SMOKE == 0)) || job_opts+=(--smoke)
  ((KEEP == 0)) || job_opts+=(--keep)
  bash bench/job.sh "${job_opts[@]}" || { log "the upgrade job failed (see above and $RES/job)"; FAILED=1; }
fi
((FAILED == 0)) || { log "some runs failed or restored different data (see above and $RES)"; exit 1; }

#!/usr/bin/env bash
# The upgrade job end to end: back up the OMS metadata before an upgrade, then roll back,
# timed two ways on the same data (issue #16 point 4).
#
#   bench/job.sh --scale N [--heartbeat-scale H] [--runs 3] [--threads 2] [--seed 42] [--tools DIR] [--results DIR]
#                [--work DIR] [--buffer-pool SIZE] [--regenerate] [--keep] [--timeout SECONDS]
#                [--old-delete derived|literal] [--smoke]
#
# The two procedures (docs/oms-upgrade.md, the OMS upgrade documents):
#   old  backup:   in each heartbeat database the documented DELETE in the form MySQL needs (it
#                  refuses the literal one with ERROR 1093), which also costs MariaDB half the
#                  literal one's time:
#                    delete from heatbeat_sequence where id < (select m from (select max(id) as m
#                    from heatbeat_sequence) t)
#                  (--old-delete literal: ... where id < (select max(id) from heatbeat_sequence),
#                  as the documents print it; MariaDB 10.3+ runs it), then for rm, cm and each heartbeat
#                  database, one after the other, mariadb-dump --triggers=false DB > DB.sql and
#                  "make sure the file is not 0 bytes" (test -s);
#        rollback: for each database: drop database X; create database X; then
#                  mariadb -DX -e "source X.sql".
#   new  backup:   omsdump with its defaults (--prune-heartbeat=filter: the archive keeps the
#                  heartbeat tables' newest row and counter, the source is not touched), then
#                  omsrestore --check ARCHIVE, as docs/oms-upgrade.md does;
#        rollback: omsrestore with its defaults (verified archive, staging databases, proof,
#                  atomic swap).
#   Both with -t/--threads THREADS for our tools (their default is the number of cores), every
#   client over TCP to 127.0.0.1 without TLS (--ssl-mode=disabled, --skip-ssl), the password only
#   through --defaults-file, and the server's binary log on as it is (neither procedure turns it
#   off by default).
# Per run, each procedure does one job, alternating which goes first: put the source back to
#   the generated data and prove it (CHECKSUM TABLE of every table, the heartbeat counters, the
#   table list and the database charsets equal to those recorded before the first run; not
#   timed), back up (timed), "upgrade" (not timed: a column added, rows changed, heartbeats
#   added, a table created), roll back (timed), check the result against the pre-job data:
#   every non-heartbeat table's CHECKSUM TABLE equals the source's; each heartbeat table's
#   equals that of a copy of the source's newest row (both procedures keep only that row, the
#   old one by deleting the others on the source), its AUTO_INCREMENT counter the source's;
#   the same base tables; and, reported separately, the databases' default charset and
#   collation (the old procedure's "create database X" gives the server's default).
#   The heartbeat rows come back for the next job from a copy in bench_meta made once (not
#   timed); the binary logs written by a job are purged after it (not with --smoke).
# Data: bench/generate.sh --scale N --seed S (10M heartbeat rows per unit of scale; with
#   --heartbeat-scale H, 10M per unit of H, the rest at scale N), reused when
#   bench_meta.info records that scale and seed (--regenerate forces it); bench_meta.info is
#   removed while jobs run (an interrupted run makes the next one regenerate) and put back once
#   the source is proven equal to the generated data again.
# Server: the sandbox named by $OMSB_SANDBOX_DIR if set, otherwise one started here (and
#   stopped at the end).  Buffer pool resized to SIZE (default 2G; "" leaves it) with SET GLOBAL.
# Output: a table on stdout; DIR (default bench/results/job-scale-N-DATE) gets runs.tsv (per
#   procedure, phase and run: wall seconds, client and server CPU seconds, peak RSS, output
#   size, checks, load average), steps.tsv (wall seconds of each step), summary.tsv (medians),
#   expected-*.tsv, env.txt, table.txt, and failed-*.log / mismatch-*.tsv for failed runs.
#   Exit status 1 if a phase failed or a rollback did not give the expected data.
# Every phase is stopped after --timeout seconds (default 3600) and counts as failed.
# --smoke: one run, no buffer pool change, a 120 s timeout, results under a temporary directory
#   that is removed (bench/smoke.sh uses it).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PROG=job

. bench/common.sh

common_defaults
HB_SCALE="" OLD_DELETE=derived
while [[ $# -gt 0 ]]; do
  if common_option "$@"; then shift "$SHIFT"; continue; fi
  case "$1" in
    --heartbeat-scale) HB_SCALE=${2:-}; shift 2 ;;
    --old-delete) OLD_DELETE=${2:-}; shift 2 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
common_check_options 3600 120
[[ $OLD_DELETE == literal || $OLD_DELETE == derived ]] || die "--old-delete is literal or derived"
common_tools
command -v mariadb-dump >/dev/null 2>&1 || die "mariadb-dump is not installed"

# ---------------------------------------------------------------------------- sandbox
common_sandbox
common_dirs omsb-job "job-scale-$SCALE${HB_SCALE:+-hb$HB_SCALE}"

DBS=(bench_rm bench_cm bench_cm_hb1 bench_cm_hb2)
HB_DBS=(bench_cm_hb1 bench_cm_hb2)
HB=heatbeat_sequence
DBLIST="'bench_rm','bench_cm','bench_cm_hb1','bench_cm_hb2'"

common_buffer_pool

# ---------------------------------------------------------------------------- data
INFO_SCALE=$SCALE${HB_SCALE:+/hb$HB_SCALE}
GEN_OPTS=()
[[ -z $HB_SCALE ]] || GEN_OPTS=(--heartbeat-scale "$HB_SCALE")
common_data "$INFO_SCALE" "${GEN_OPTS[@]}"
INFO_ROW=$(sql -e "SELECT CONCAT(QUOTE(scale), ', ', seed, ', ', QUOTE(generated_at)) FROM bench_meta.info")

mapfile -t TABLES < <(sql -e "SELECT CONCAT(table_schema, '.', table_name) FROM information_schema.TABLES
  WHERE table_schema IN ($DBLIST) AND table_type = 'BASE TABLE' ORDER BY 1")
((${#TABLES[@]})) || die "no tables in ${DBS[*]}"
TABLE_LIST=$(printf '%s, ' "${TABLES[@]}"); TABLE_LIST=${TABLE_LIST%, }
HB_TABLES=()
for db in "${HB_DBS[@]}"; do HB_TABLES+=("$db.$HB"); done

HB_IN=$(printf "('%s', '$HB'), " "${HB_DBS[@]}"); HB_IN=${HB_IN%, }
# state: what a job must give back, one "item<TAB>value" line each, sorted: every table's
# CHECKSUM TABLE, the heartbeat tables' AUTO_INCREMENT counters, the list of base tables.
state() {
  sql -e "SET SESSION group_concat_max_len = 1048576; CHECKSUM TABLE $TABLE_LIST;
    SELECT CONCAT('counter ', table_schema, '.', table_name), IFNULL(auto_increment, '-') FROM information_schema.TABLES
      WHERE (table_schema, table_name) IN ($HB_IN);
    SELECT 'base tables', GROUP_CONCAT(CONCAT(table_schema, '.', table_name) ORDER BY 1 SEPARATOR ' ')
      FROM information_schema.TABLES WHERE table_schema IN ($DBLIST) AND table_type = 'BASE TABLE'" 2>&1 | LC_ALL=C sort
}
charsets() {
  sql -e "SELECT schema_name, CONCAT(default_character_set_name, ' ', default_collation_name) FROM information_schema.SCHEMATA
    WHERE schema_name IN ($DBLIST) ORDER BY 1"
}

# compare EXPECTED NAME: "ok" or "MISMATCH:N" (N items differ; their expected and found
# values go to RES/mismatch-NAME.tsv).  FOUND is in $WORK/found.tsv.
compare() {
  local diff="$WORK/compare.diff"
  if cmp -s "$1" "$WORK/found.tsv"; then echo ok; return; fi
  LC_ALL=C join -t$'\t' -a1 -a2 -e MISSING -o 0,1.2,2.2 "$1" "$WORK/found.tsv" | awk -F'\t' '$2 != $3' >"$diff"
  { printf 'item\texpected\tfound\n'; cat "$diff"; } >"$RES/mismatch-$2.tsv"
  echo "MISMATCH:$(wc -l <"$diff")"
}

log "recording the source: checksums, heartbeat counters and newest rows, charsets"
state >"$RES/expected-source.tsv"
grep -q NULL "$RES/expected-source.tsv" && die "CHECKSUM TABLE of the source failed: $(grep NULL "$RES/expected-source.tsv")"
charsets >"$RES/expected-charsets.tsv"
# After a job, each heartbeat table holds the source's newest row only: its expected checksum
# is that of a table of the same definition holding that row.
sql -e "CREATE DATABASE IF NOT EXISTS bench_meta"
cp "$RES/expected-source.tsv" "$RES/expected-pruned.tsv"
for t in "${HB_TABLES[@]}"; do
  x=bench_meta.job_newest_${t%%.*}
  c=$(sql -e "SET SESSION sql_log_bin = 0; DROP TABLE IF EXISTS $x; CREATE TABLE $x LIKE $t;
    INSERT INTO $x SELECT * FROM $t ORDER BY id DESC LIMIT 1; CHECKSUM TABLE $x" | cut -f2)
  awk -F'\t' -v OFS='\t' -v t="$t" -v c="$c" '$1 == t { $2 = c } { print }' "$RES/expected-pruned.tsv" >"$WORK/x.tsv"
  mv "$WORK/x.tsv" "$RES/expected-pruned.tsv"
done
count_sum() { local t q=""; for t in "$@"; do q+="(SELECT COUNT(*) FROM ${t%%.*}.${t#*.}) + "; done; sql -e "SELECT ${q% + }"; }
HB_ROWS=$(count_sum "${HB_TABLES[@]}")
SRC_ROWS=$(count_sum "${TABLES[@]}")
SRC_BYTES=$(sql -e "SELECT SUM(data_length + index_length) FROM information_schema.TABLES WHERE table_schema IN ($DBLIST)")
SRC_MIB=$(awk -v b="$SRC_BYTES" 'BEGIN { printf "%.1f", b / 1048576 }')

# The heartbeat rows, kept for putting them back between jobs (not timed).
log "copying the heartbeat tables to bench_meta ($HB_ROWS rows, not timed)"
{
  echo "SET SESSION sql_log_bin = 0, unique_checks = 0;"
  for t in "${HB_TABLES[@]}"; do
    x=bench_meta.job_copy_${t%%.*}
    echo "DROP TABLE IF EXISTS $x; CREATE TABLE $x LIKE $t; INSERT INTO $x SELECT * FROM $t;"
  done
  # From here on the databases may differ from the generated data until the end.
  echo "DROP TABLE IF EXISTS bench_meta.info;"
} | sql

# reset: put the source back as generated (database charsets, heartbeat rows and counters),
# as far as it differs.  Not timed.
reset_source() {
  local t db cs
  state >"$WORK/found.tsv"
  charsets >"$WORK/found-charsets.tsv"
  if cmp -s "$RES/expected-source.tsv" "$WORK/found.tsv" && cmp -s "$RES/expected-charsets.tsv" "$WORK/found-charsets.tsv"; then
    return 0
  fi
  {
    echo "SET SESSION sql_log_bin = 0, unique_checks = 0;"
    while IFS=$'\t' read -r db cs; do
      echo "ALTER DATABASE \`$db\` CHARACTER SET ${cs%% *} COLLATE ${cs#* };"
    done <"$RES/expected-charsets.tsv"
    for t in "${HB_TABLES[@]}"; do
      echo "TRUNCATE TABLE $t; INSERT INTO $t SELECT * FROM bench_meta.job_copy_${t%%.*};"
      echo "ALTER TABLE $t AUTO_INCREMENT = $(awk -F'\t' -v k="counter $t" '$1 == k { print $2 }' "$RES/expected-source.tsv");"
    done
  } | sql || true
  state >"$WORK/found.tsv"
  charsets >"$WORK/found-charsets.tsv"
  cmp -s "$RES/expected-source.tsv" "$WORK/found.tsv" && cmp -s "$RES/expected-charsets.tsv" "$WORK/found-charsets.tsv"
}
# source_ready: reset_source, or else regenerate (same scale and seed: the same rows).
source_ready() {
  reset_source && return 0
  log "the source could not be put back from the copies: regenerating it (not timed)"
  REGEN=1
  common_data "$INFO_SCALE" "${GEN_OPTS[@]}"
  sql -e "SET SESSION sql_log_bin = 0; DROP TABLE IF EXISTS bench_meta.info"
  reset_source || { compare "$RES/expected-source.tsv" source-after-regenerate >/dev/null; die "regenerated data differs from the recorded source (see $RES/mismatch-source-after-regenerate.tsv)"; }
}

# ---------------------------------------------------------------------------- the procedures
# One script runs a phase, so that it is one timed process (its CPU seconds include every
# client it starts); it appends "STEP<TAB>SECONDS" lines to STEPS.
cat >"$WORK/phase.sh" <<'EOF'
#!/usr/bin/env bash
# phase.sh PHASE CNF DIR STEPS TOOLS THREADS OLD_DELETE DB...
set -euo pipefail
phase=$1 cnf=$2 dir=$3 steps=$4 tools=$5 threads=$6 old_delete=$7
shift 7
dbs=("$@")
step() {
  local name=$1 t0 t1
  shift
  t0=$(date +%s.%N)
  "$@"
  t1=$(date +%s.%N)
  printf '%s\t%s\n' "$name" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')" >>"$steps"
}
client() { mariadb --defaults-file="$cnf" --skip-ssl "$@"; }
old_dump() { mariadb-dump --defaults-file="$cnf" --skip-ssl --triggers=false "$1" >"$dir/$1.sql"; test -s "$dir/$1.sql"; }
case $phase in
  old-backup)
    mkdir -p "$dir"
    if [[ $old_delete == literal ]]; then
      del='delete from heatbeat_sequence where id < (select max(id) from heatbeat_sequence)'
    else
      del='delete from heatbeat_sequence where id < (select m from (select max(id) as m from heatbeat_sequence) t)'
    fi
    for db in "${dbs[@]}"; do
      [[ $db == *_hb* ]] || continue
      step "delete $db" client -D "$db" -e "$del"
    done
    for db in "${dbs[@]}"; do step "mariadb-dump $db" old_dump "$db"; done ;;
  old-rollback)
    for db in "${dbs[@]}"; do
      step "drop, create $db" client -e "drop database \`$db\`; create database \`$db\`;"
      step "source $db" client -D "$db" -e "source $dir/$db.sql"
    done ;;
  new-backup)
    step omsdump "$tools/omsdump" --defaults-file="$cnf" --ssl-mode=disabled -t "$threads" -q -B "${dbs[@]}" -o "$dir"
    step "omsrestore --check" "$tools/omsrestore" --check -q "$dir" ;;
  new-rollback)
    step omsrestore "$tools/omsrestore" --defaults-file="$cnf" --ssl-mode=disabled -t "$threads" -q "$dir" ;;
  *) echo "phase.sh: unknown phase $phase" >&2; exit 2 ;;
esac
EOF

# The "upgrade" between backup and rollback (not timed): what a rollback must undo.
upgrade() {
  local db
  {
    echo "ALTER TABLE bench_cm.config_job ADD COLUMN upgraded_by varchar(32) DEFAULT 'v2';"
    echo "UPDATE bench_cm.task SET status = 'UPGRADED' WHERE id <= 10;"
    echo "UPDATE bench_rm.cluster_info SET cm_url = 'http://10.0.0.9:8088' WHERE id = 1;"
    echo "CREATE TABLE bench_cm.upgrade_v2 (id int PRIMARY KEY, note varchar(64)); INSERT INTO bench_cm.upgrade_v2 VALUES (1, 'new in v2');"
    for db in "${HB_DBS[@]}"; do
      echo "INSERT INTO $db.$HB (gmt_created, gmt_modified) VALUES (NOW(), NOW()), (NOW(), NOW()), (NOW(), NOW());"
    done
  } | sql
}

# ---------------------------------------------------------------------------- measuring
RUNS_TSV=$RES/runs.tsv STEPS_TSV=$RES/steps.tsv
printf 'procedure\tphase\trun\tseconds\tclient_cpu_s\tserver_cpu_s\tpeak_rss_kb\tsize_bytes\tcheck\tcharsets\tloadavg\n' >"$RUNS_TSV"
printf 'procedure\tphase\trun\tstep\tseconds\n' >"$STEPS_TSV"
FAILED=0

# phase PROC PHASE RUN DIR: run one timed phase; prints "ok" or "FAIL".
phase() {
  local proc=$1 ph=$2 run=$3 dir=$4 name="$1-$2" size=- steps
  steps=$WORK/steps.$name.$run
  : >"$steps"
  timed "$WORK/log.$name.$run" bash "$WORK/phase.sh" "$name" "$CNF" "$dir" "$steps" "$TOOLS" "$THREADS" "$OLD_DELETE" "${DBS[@]}"
  if ((T_RC != 0)); then
    log "$name run $run failed (exit $T_RC): $(tail -n 3 "$WORK/log.$name.$run" | tr '\n' ' ')"
    cp "$WORK/log.$name.$run" "$RES/failed-$name-$run.log"
    T_SECS=FAIL FAILED=1
  fi
  [[ $ph != backup || ! -e $dir ]] || size=$(du -sb "$dir" | cut -f1)
  awk -F'\t' -v p="$proc" -v ph="$ph" -v r="$run" -v OFS='\t' '{ print p, ph, r, $1, $2 }' "$steps" >>"$STEPS_TSV"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t-\t-\t%s\n' "$proc" "$ph" "$run" "$T_SECS" "$T_CLIENT" "$T_SERVER" \
    "$T_RSS" "$size" "$T_LOAD" >>"$RUNS_TSV"
  ((T_RC == 0))
}

purge_binlogs() {
  ((SMOKE == 0)) || return 0
  local f
  f=$(sql -e "FLUSH BINARY LOGS; SHOW MASTER STATUS" 2>/dev/null | cut -f1 | tail -n 1) || return 0
  [[ -z $f ]] || sql -e "PURGE BINARY LOGS TO '$f'" >/dev/null 2>&1 || true
}

# job PROC RUN: one whole job of one procedure.
job() {
  local proc=$1 run=$2 dir c cs
  dir=$WORK/backup-$proc
  rm -rf "$dir" "$dir.restore-journal"
  log "run $run/$RUNS $proc: putting the source back (not timed)"
  source_ready
  log "run $run/$RUNS $proc: backup"
  if ! phase "$proc" backup "$run" "$dir"; then purge_binlogs; return; fi
  upgrade
  log "run $run/$RUNS $proc: rollback"
  if ! phase "$proc" rollback "$run" "$dir"; then purge_binlogs; return; fi
  state >"$WORK/found.tsv"
  c=$(compare "$RES/expected-pruned.tsv" "$proc-$run")
  charsets >"$WORK/found-charsets.tsv"
  if cmp -s "$RES/expected-charsets.tsv" "$WORK/found-charsets.tsv"; then cs=ok
  else cs="DIFFER:$(LC_ALL=C join -t$'\t' -a1 -e MISSING -o 0,1.2,2.2 "$RES/expected-charsets.tsv" "$WORK/found-charsets.tsv" | awk -F'\t' '$2 != $3' | wc -l)"
  fi
  # The checks go into the row just written.
  sed -i '$ s/\t-\t-\t\([^\t]*\)$/\t'"$c"'\t'"$cs"'\t\1/' "$RUNS_TSV"
  if [[ $c != ok ]]; then
    FAILED=1
    log "$proc run $run: the rolled-back databases differ from the pre-job data ($c: $(tail -n +2 "$RES/mismatch-$proc-$run.tsv" | cut -f1 | tr '\n' ' '))"
  fi
  if [[ $cs != ok && $proc == new ]]; then FAILED=1; log "new run $run: database charsets differ from the source's"; fi
  purge_binlogs
}

for ((r = 1; r <= RUNS; r++)); do
  if ((r % 2)); then order=(old new); else order=(new old); fi
  for p in "${order[@]}"; do job "$p" "$r"; done
done

log "putting the source back (not timed)"
source_ready
sql -e "SET SESSION sql_log_bin = 0; DROP TABLE IF EXISTS bench_meta.job_copy_bench_cm_hb1, bench_meta.job_copy_bench_cm_hb2,
  bench_meta.job_newest_bench_cm_hb1, bench_meta.job_newest_bench_cm_hb2;
  CREATE TABLE bench_meta.info (scale varchar(32) NOT NULL, seed int NOT NULL, generated_at datetime NOT NULL);
  INSERT INTO bench_meta.info VALUES ($INFO_ROW)"

# ---------------------------------------------------------------------------- report
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "command: bench/job.sh --scale $SCALE${HB_SCALE:+ --heartbeat-scale $HB_SCALE} --runs $RUNS --threads $THREADS --seed $SEED --buffer-pool ${BUFFER_POOL:-\"\"} --old-delete $OLD_DELETE"
  echo "nproc: $(nproc)"
  echo "memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "cpu: $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
  echo "server: $(sql -e "SELECT CONCAT(VERSION(), ' buffer_pool=', @@innodb_buffer_pool_size, ' log_bin=', @@log_bin,
    ' binlog_format=', @@binlog_format, ' flush_log_at_trx_commit=', @@innodb_flush_log_at_trx_commit)")"
  echo "omsdump: $("$TOOLS/omsdump" --version 2>&1 | head -n 1) ($TOOLS)"
  echo "mariadb-dump: $(mariadb-dump --version | head -n 1)"
  echo "mariadb: $(mariadb --version | head -n 1)"
  echo "scale: $INFO_SCALE seed: $SEED generate_seconds: $GEN_S"
  echo "source: ${#TABLES[@]} tables, $SRC_ROWS rows ($HB_ROWS heartbeat rows), $SRC_BYTES bytes (InnoDB data+index)"
  echo "loadavg at end: $(cat /proc/loadavg)"
} >"$RES/env.txt"

# summary.tsv: per procedure and phase (and the whole job: backup + rollback of each run),
# medians over the runs; failed runs left out.
awk -F'\t' -v OFS='\t' '
  function median(list,   n, a, x, y, t) {
    n = split(list, a, " ")
    if (!n) return "-"
    for (x = 1; x <= n; x++) for (y = x + 1; y <= n; y++) if (a[y] + 0 < a[x] + 0) { t = a[x]; a[x] = a[y]; a[y] = t }
    lo = a[1]; hi = a[n]
    return n % 2 ? a[(n + 1) / 2] : sprintf("%.2f", (a[n / 2] + a[n / 2 + 1]) / 2)
  }
  function add(k, s, c, sc) {
    if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
    v[k] = v[k] " " s; cc[k] = cc[k] " " c; sv[k] = sv[k] " " sc; tc[k] = tc[k] " " sprintf("%.2f", c + sc)
  }
  NR == 1 { next }
  {
    k = $1 "\t" $2
    if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
    runs[k]++
    if ($4 == "FAIL") { fail[k]++; jfail[$1 " " $3] = 1; next }
    add(k, $4, $5, $6)
    if ($8 != "-") size[k] = $8
    if ($5 + 0 > 0 && $7 > rss[k] + 0) rss[k] = $7
    if ($2 == "rollback") {
      nr[$1]++; if ($9 == "ok") okc[$1]++; else bad[$1] = $9
      if (index(" " csl[$1] " ", " " $10 " ") == 0) csl[$1] = csl[$1] (csl[$1] == "" ? "" : " ") $10
    }
    js[$1 " " $3] += $4; jc[$1 " " $3] += $5; jsc[$1 " " $3] += $6; jn[$1 " " $3]++
  }
  END {
    for (j in jn) if (jn[j] == 2 && !(j in jfail)) { split(j, pr, " "); add(pr[1] "\tjob", js[j], jc[j], jsc[j]) }
    print "procedure", "phase", "median_s", "min_s", "max_s", "client_cpu_s", "server_cpu_s", "total_cpu_s", "peak_rss_kb", "size_bytes", "checks", "charsets"
    for (p = 1; p <= 2; p++) for (h = 1; h <= 3; h++) {
      k = (p == 1 ? "old" : "new") "\t" (h == 1 ? "backup" : h == 2 ? "rollback" : "job")
      if (!(k in seen)) continue
      m = median(v[k]); mn = (m == "-") ? "-" : lo; mx = (m == "-") ? "-" : hi
      split(k, kk, "\t")
      print k, m, mn, mx, median(cc[k]), median(sv[k]), median(tc[k]), (k in rss ? rss[k] : "-"), (k in size ? size[k] : "-"),
        (kk[2] == "rollback" ? (okc[kk[1]] + 0) "/" (nr[kk[1]] + 0) " ok" (kk[1] in bad ? " " bad[kk[1]] : "") : "-") \
          (fail[k] ? " " fail[k] " failed" : ""), (kk[2] == "rollback" && csl[kk[1]] != "" ? csl[kk[1]] : "-")
    }
  }' "$RUNS_TSV" >"$RES/summary.tsv"

val() { awk -F'\t' -v p="$1" -v h="$2" -v c="$3" '$1 == p && $2 == h { print $c }' "$RES/summary.tsv"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }

{
  printf 'omsbackup upgrade job: scale %s (seed %s), %d runs, %d threads; source %d tables, %d rows (%d heartbeat rows), %s MiB (InnoDB data+index)\n' \
    "$INFO_SCALE" "$SEED" "$RUNS" "$THREADS" "${#TABLES[@]}" "$SRC_ROWS" "$HB_ROWS" "$SRC_MIB"
  printf 'old: delete heartbeats (%s), mariadb-dump --triggers=false per database; drop, create, source per database\n' "$OLD_DELETE"
  printf 'new: omsdump (defaults: --prune-heartbeat=filter) + omsrestore --check; omsrestore (defaults)\n'
  printf 'wall seconds: median (min-max) of the runs; CPU: median CPU seconds of the clients and of the server; job = backup + rollback\n\n'
  printf '%-4s %-9s %9s %17s %8s %8s %9s %9s  %s\n' proc phase "median s" min-max "cli CPU" "srv CPU" "total CPU" "size MiB" "checks (rollback): data / db charsets"
  awk -F'\t' 'NR > 1 {
      printf "%-4s %-9s %9s %17s %8s %8s %9s %9s  %s\n", $1, $2, $3, ($3 == "-" ? "-" : $4 "-" $5), $6, $7, $8,
        ($10 == "-" ? "-" : sprintf("%.1f", $10 / 1048576)), ($2 == "rollback" ? $11 " / " $12 : "") }' "$RES/summary.tsv"
  echo
  printf 'old / new (>1: new faster), wall: backup %s, rollback %s, whole job %s; total CPU seconds: backup %s, rollback %s, whole job %s\n' \
    "$(ratio "$(val old backup 3)" "$(val new backup 3)")" "$(ratio "$(val old rollback 3)" "$(val new rollback 3)")" \
    "$(ratio "$(val old job 3)" "$(val new job 3)")" "$(ratio "$(val old backup 8)" "$(val new backup 8)")" \
    "$(ratio "$(val old rollback 8)" "$(val new rollback 8)")" "$(ratio "$(val old job 8)" "$(val new job 8)")"
  echo
  echo "steps (median wall seconds):"
  awk -F'\t' 'NR > 1 { k = $1 "\t" $2 "\t" $4; if (!(k in v)) o[++n] = k; v[k] = v[k] " " $5 }
    END { for (i = 1; i <= n; i++) { c = split(v[o[i]], a, " "); split(o[i], f, "\t")
      for (x = 1; x <= c; x++) for (y = x + 1; y <= c; y++) if (a[y] + 0 < a[x] + 0) { t = a[x]; a[x] = a[y]; a[y] = t }
      printf "  %-4s %-9s %-28s %8s\n", f[1], f[2], f[3], (c % 2 ? a[(c + 1) / 2] : sprintf("%.2f", (a[c / 2] + a[c / 2 + 1]) / 2)) } }' "$STEPS_TSV"
  echo
  echo "checks: after each rollback, every non-heartbeat table's CHECKSUM TABLE equals the source's and each heartbeat"
  echo "table's equals that of the source's newest row alone (both procedures keep only that row), its AUTO_INCREMENT the"
  echo "source's, the same base tables (ok/MISMATCH:N); db charsets: the databases' default charset and collation"
  echo "(ok/DIFFER:N databases)."
  echo
} | tee "$RES/table.txt"
((SMOKE)) || echo "results: $RES"
((FAILED == 0)) || { log "some phases failed or rolled back to different data (see above and $RES/runs.tsv)"; exit 1; }

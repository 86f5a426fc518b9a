#!/usr/bin/env bash
# Deterministic, scalable synthetic OMS metadata for the benchmarks.
#
#   bench/generate.sh --scale N [--heartbeat-scale H] [--seed S] [--defaults-file FILE] [-q]
#
# Creates (drops first) bench_rm, bench_cm, bench_cm_hb1 and bench_cm_hb2 on the server named
# by FILE (default: $OMSB_SANDBOX_DIR/client.cnf) and fills them with roughly N GB of rows
# (fractional scales work: 0.002 for a smoke run, 0.05 for a quick look).  Every value is
# derived from the row number and the seed, server-side (INSERT ... SELECT over MariaDB's
# seq_1_to_N sequence tables), so the same scale and seed give the same rows and the same
# CHECKSUM TABLE results.  Needs MariaDB (sequence engine).  The binary log is off for the
# generating sessions.  bench_meta.info records scale and seed (bench/run.sh reads it).
# --heartbeat-scale H: the two heartbeat tables get H times their scale-1 rows instead of N
# times (the field's unpruned heartbeat tables beside a small rm and cm; bench/job.sh); the
# scale is then recorded as "N/hbH", which bench/run.sh does not take for scale N.
#
# Tables (rows at scale 1):
#   bench_cm_hb1.heatbeat_sequence   6,000,000  the real heartbeat layout, utf8; ids with a gap every 100k
#   bench_cm_hb2.heatbeat_sequence   4,000,000  same, ids from 1,000,001
#   bench_cm.task                      150,000  JSON params (~1.3 KB) + TEXT log (~0.5 KB), secondary index
#   bench_cm.task_checkpoint           300,000  composite primary key (task_id, shard_no), JSON, VARBINARY
#   bench_cm.config_job                100,000  VARCHAR primary key (utf8mb4_unicode_ci), JSON-ish TEXT
#   bench_cm.task_log                  400,000  no primary or unique key (one secondary index)
#   bench_rm.attachment                 10,000  LONGBLOB (~1 KB random + ~3 KB repetitive), some NULL
#   bench_rm.project_wide              100,000  64 columns of mixed types, NULLs, one secondary index
#   bench_rm.cluster_info, bench_cm.host        a few rows each
set -euo pipefail

PROG=generate
die() { echo "$PROG: error: $*" >&2; exit 1; }
log() { [[ $quiet == 1 ]] || echo "$PROG: $*" >&2; }
usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
  exit "${1:-2}"
}

scale="" hb_scale="" seed=42 defaults="" quiet=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --scale) scale=${2:-}; shift 2 ;;
    --scale=*) scale=${1#*=}; shift ;;
    --heartbeat-scale) hb_scale=${2:-}; shift 2 ;;
    --heartbeat-scale=*) hb_scale=${1#*=}; shift ;;
    --seed) seed=${2:-}; shift 2 ;;
    --seed=*) seed=${1#*=}; shift ;;
    --defaults-file) defaults=${2:-}; shift 2 ;;
    --defaults-file=*) defaults=${1#*=}; shift ;;
    -q | --quiet) quiet=1; shift ;;
    -h | --help) usage 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ $scale =~ ^[0-9]*\.?[0-9]+$ ]] || die "--scale needs a positive number, e.g. 1 or 0.05"
awk -v s="$scale" 'BEGIN { exit !(s > 0) }' || die "--scale must be > 0"
[[ $seed =~ ^[0-9]{1,9}$ ]] || die "--seed needs a non-negative integer"
info_scale=$scale
if [[ -n $hb_scale ]]; then
  [[ $hb_scale =~ ^[0-9]*\.?[0-9]+$ ]] && awk -v s="$hb_scale" 'BEGIN { exit !(s > 0) }' ||
    die "--heartbeat-scale needs a positive number, e.g. 2"
  info_scale="$scale/hb$hb_scale"
fi
if [[ -z $defaults ]]; then
  [[ -n ${OMSB_SANDBOX_DIR:-} ]] || die "no --defaults-file and OMSB_SANDBOX_DIR is not set (start a sandbox: eval \"\$(bash scripts/sandbox-db.sh start)\")"
  defaults=$OMSB_SANDBOX_DIR/client.cnf
fi
[[ -r $defaults ]] || die "cannot read option file '$defaults'"

sql() { mariadb --defaults-file="$defaults" --batch --skip-column-names "$@"; }

# rows BASE [SCALE]: BASE rows at scale 1, scaled (by SCALE, default the scale), at least 1.
rows() { awk -v b="$1" -v s="${2:-$scale}" 'BEGIN { r = int(b * s + 0.5); if (r < 1) r = 1; printf "%d", r }'; }

N_HB1=$(rows 6000000 "${hb_scale:-$scale}")
N_HB2=$(rows 4000000 "${hb_scale:-$scale}")
N_TASK=$(rows 150000)
N_CKPT=$(rows 300000)
N_CONF=$(rows 100000)
N_LOG=$(rows 400000)
N_ATT=$(rows 10000)
N_WIDE=$(rows 100000)
BATCH=500000

S=$seed
# Per-row derived values, used by every generator: n (row number), h (32-bit hash), m (md5 hex).
# derive TAG LO HI: a derived table over seq_LO_to_HI.
derive() {
  echo "(SELECT seq AS n, CRC32(CONCAT('$S:$1:', seq)) AS h, MD5(CONCAT('$S:$1:', seq)) AS m FROM bench_rm.seq_${2}_to_${3}) s"
}

# batches TOTAL FUNC: FUNC LO HI for each batch of BATCH rows (one statement, one transaction each).
batches() {
  local total=$1 fn=$2 lo hi
  for ((lo = 1; lo <= total; lo += BATCH)); do
    hi=$((lo + BATCH - 1)); ((hi > total)) && hi=$total
    "$fn" "$lo" "$hi"
  done
}

session_setup="SET SESSION sql_log_bin = 0; SET SESSION unique_checks = 0; SET SESSION foreign_key_checks = 0;
SET SESSION time_zone = '+00:00'; SET NAMES utf8mb4;"

# ------------------------------------------------------------------------------ schema
wide_cols() {
  local i t
  for ((i = 1; i <= 63; i++)); do
    case $((i % 9)) in
      0) t="int(11) DEFAULT NULL" ;;
      1) t="bigint(20) NOT NULL" ;;
      2) t="varchar(64) NOT NULL DEFAULT ''" ;;
      3) t="decimal(14,4) DEFAULT NULL" ;;
      4) t="datetime NOT NULL" ;;
      5) t="double DEFAULT NULL" ;;
      6) t="tinyint(1) NOT NULL DEFAULT 0" ;;
      7) t="varchar(255) DEFAULT NULL" ;;
      8) t="date DEFAULT NULL" ;;
    esac
    printf '  c%02d %s,\n' "$i" "$t"
  done
}
wide_exprs() {
  local i e sep=""
  for ((i = 1; i <= 63; i++)); do
    case $((i % 9)) in
      0) e="IF((h + $i) % 11 = 0, NULL, (h DIV $i) % 1000000)" ;;
      1) e="n * $i + h" ;;
      2) e="CONCAT('v$i', '_', SUBSTR(m, 1 + $i % 16, 12))" ;;
      3) e="IF((h + $i) % 13 = 0, NULL, (h % 10000000) / 1000 + $i)" ;;
      4) e="TIMESTAMP'2023-01-01 00:00:00' + INTERVAL ((h + $i * 7919) % 31536000) SECOND" ;;
      5) e="IF((h + $i) % 17 = 0, NULL, (h % 100000) / 7 + $i)" ;;
      6) e="(h >> ($i % 24)) & 1" ;;
      7) e="IF((h + $i) % 7 = 0, NULL, CONCAT('说明-$i-', SUBSTR(m, 1, 4 + (h + $i) % 28)))" ;;
      8) e="DATE'2024-01-01' + INTERVAL ((h + $i) % 1000) DAY" ;;
    esac
    printf '%s%s' "$sep" "$e"
    sep=", "
  done
}
wide_names() {
  local i sep=""
  for ((i = 1; i <= 63; i++)); do printf '%sc%02d' "$sep" "$i"; sep=", "; done
}

hb_table() {
  cat <<EOF
CREATE TABLE $1.heatbeat_sequence (
  id bigint(20) NOT NULL AUTO_INCREMENT COMMENT 'PK',
  gmt_created datetime NOT NULL,
  gmt_modified datetime NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COMMENT='心跳 sequence 表';
EOF
}

schema_sql() {
  cat <<EOF
SET NAMES utf8mb4;
DROP DATABASE IF EXISTS bench_rm;
DROP DATABASE IF EXISTS bench_cm;
DROP DATABASE IF EXISTS bench_cm_hb1;
DROP DATABASE IF EXISTS bench_cm_hb2;
CREATE DATABASE bench_rm DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
CREATE DATABASE bench_cm DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE bench_cm_hb1 DEFAULT CHARACTER SET utf8 COLLATE utf8_general_ci;
CREATE DATABASE bench_cm_hb2 DEFAULT CHARACTER SET utf8 COLLATE utf8_general_ci;
CREATE DATABASE IF NOT EXISTS bench_meta;
DROP TABLE IF EXISTS bench_meta.info;

CREATE TABLE bench_rm.cluster_info (
  id bigint(20) NOT NULL AUTO_INCREMENT COMMENT 'PK',
  region varchar(64) NOT NULL,
  region_cn varchar(128) DEFAULT NULL COMMENT '地域中文名',
  cm_url varchar(512) NOT NULL,
  code int(11) NOT NULL,
  is_default_cm tinyint(1) NOT NULL DEFAULT 0,
  gmt_created datetime NOT NULL,
  gmt_modified datetime NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_region (region),
  UNIQUE KEY uk_code (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO bench_rm.cluster_info VALUES
  (1, 'cn-anhui', '安徽', 'http://10.0.0.2:8088', 100, 1, '2024-03-01 10:00:00', '2024-03-01 10:00:00'),
  (2, 'cn-hangzhou', '杭州', 'http://10.0.1.2:8088', 101, 0, '2024-03-01 10:05:00', '2024-06-12 08:30:15');

CREATE TABLE bench_rm.attachment (
  id bigint(20) NOT NULL AUTO_INCREMENT,
  name varchar(255) NOT NULL,
  mime varchar(64) NOT NULL,
  size int(11) DEFAULT NULL,
  sha256 char(64) DEFAULT NULL,
  content longblob DEFAULT NULL,
  gmt_created datetime NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE bench_rm.project_wide (
  id bigint(20) NOT NULL AUTO_INCREMENT,
$(wide_cols)
  PRIMARY KEY (id),
  KEY idx_c02 (c02)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='64 columns';

CREATE TABLE bench_cm.host (
  id bigint(20) NOT NULL AUTO_INCREMENT,
  ip varchar(64) NOT NULL,
  region varchar(64) NOT NULL,
  cpu int(11) NOT NULL,
  memory_gb int(11) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_ip (ip)
) ENGINE=InnoDB;
INSERT INTO bench_cm.host VALUES (1, '10.0.0.2', 'cn-anhui', 32, 128), (2, '10.0.0.3', 'cn-anhui', 32, 128),
  (3, '10.0.1.2', 'cn-hangzhou', 16, 64), (4, '10.0.1.3', 'cn-hangzhou', 16, 64);

CREATE TABLE bench_cm.task (
  id bigint(20) NOT NULL AUTO_INCREMENT,
  project_id bigint(20) NOT NULL,
  name varchar(128) NOT NULL,
  type varchar(32) NOT NULL,
  status varchar(32) NOT NULL,
  params json DEFAULT NULL,
  result text DEFAULT NULL,
  gmt_created datetime NOT NULL,
  gmt_modified datetime NOT NULL,
  PRIMARY KEY (id),
  KEY idx_project_status (project_id, status)
) ENGINE=InnoDB;

CREATE TABLE bench_cm.task_checkpoint (
  task_id bigint(20) NOT NULL,
  shard_no int(11) NOT NULL,
  checkpoint json NOT NULL,
  position varbinary(32) DEFAULT NULL,
  gmt_modified datetime(3) NOT NULL,
  PRIMARY KEY (task_id, shard_no)
) ENGINE=InnoDB;

CREATE TABLE bench_cm.config_job (
  config_key varchar(191) NOT NULL,
  config_value text NOT NULL,
  description varchar(255) DEFAULT NULL,
  gmt_modified datetime NOT NULL,
  PRIMARY KEY (config_key)
) ENGINE=InnoDB;

CREATE TABLE bench_cm.task_log (
  task_id bigint(20) NOT NULL,
  level varchar(8) NOT NULL,
  gmt_created datetime(3) NOT NULL,
  message text NOT NULL,
  KEY idx_task (task_id)
) ENGINE=InnoDB COMMENT='no primary or unique key';

$(hb_table bench_cm_hb1)
$(hb_table bench_cm_hb2)
EOF
}

# ------------------------------------------------------------------------------ rows
ins_hb1() { ins_hb bench_cm_hb1 0 "$1" "$2"; }
ins_hb2() { ins_hb bench_cm_hb2 1000000 "$1" "$2"; }
# ins_hb DB ID_OFFSET LO HI: one heartbeat every ~5 s; a gap of 1000 ids every 100,000 rows.
ins_hb() {
  cat <<EOF
INSERT INTO $1.heatbeat_sequence (id, gmt_created, gmt_modified)
SELECT $2 + n + (n DIV 100000) * 1000, ts, ts
FROM (SELECT n, TIMESTAMP'2024-01-01 00:00:00' + INTERVAL (n * 5 + h % 3) SECOND AS ts FROM $(derive "$1" "$3" "$4")) t;
EOF
}

ins_task() {
  cat <<EOF
INSERT INTO bench_cm.task (id, project_id, name, type, status, params, result, gmt_created, gmt_modified)
SELECT n, 1 + h % 5000, CONCAT('task-', n, '-', LEFT(m, 8)),
  ELT(1 + h % 4, 'FULL_MIGRATION', 'INCR_SYNC', 'STRUCT_MIGRATION', 'FULL_VERIFY'),
  ELT(1 + (h DIV 4) % 5, 'RUNNING', 'FINISHED', 'FAILED', 'PAUSED', 'INIT'),
  JSON_OBJECT(
    'taskId', n, 'version', 3, 'name', CONCAT('任务-', n),
    'source', JSON_OBJECT('type', 'OB_MYSQL', 'host', CONCAT('10.', h % 256, '.', (h >> 8) % 256, '.', (h >> 16) % 256),
      'port', 2881 + h % 3, 'tenant', CONCAT('tenant_', h % 97), 'user', CONCAT('oms_', LEFT(m, 6)), 'charset', 'utf8mb4'),
    'sink', JSON_OBJECT('type', ELT(1 + h % 3, 'MYSQL', 'KAFKA', 'OB_ORACLE'), 'host', CONCAT('10.1.', (h >> 4) % 256, '.', h % 200),
      'port', 3306 + h % 5, 'database', CONCAT('db_', h % 50), 'user', CONCAT('sink_', SUBSTR(m, 7, 6))),
    'tables', JSON_ARRAY(CONCAT('db_', h % 50, '.orders_', n % 1000), CONCAT('db_', h % 50, '.items_', n % 997),
      CONCAT('db_', h % 50, '.users_', n % 991), CONCAT('db_', h % 50, '.payments_', n % 983),
      CONCAT('db_', h % 50, '.refunds_', n % 977), CONCAT('db_', h % 50, '.audit_', n % 971)),
    'columnMapping', JSON_OBJECT('c1', m, 'c2', MD5(m), 'c3', SHA1(m), 'c4', SHA2(m, 256), 'c5', LEFT(SHA2(m, 512), 96)),
    'options', JSON_OBJECT('batchSize', 1000 * (1 + h % 8), 'threads', 1 + h % 16, 'checkpointIntervalMs', 5000,
      'enableDdl', h % 2, 'throttleRps', 10000 * (1 + h % 5), 'timezone', '+08:00', 'filter', REPEAT('a', h % 120)),
    'comment', CONCAT('迁移任务 ', n, ' 创建于 ', DATE'2024-01-01' + INTERVAL h % 365 DAY)),
  REPEAT(CONCAT('2024-05-01 10:00:', LPAD(h % 60, 2, '0'), ' INFO  [worker-', h % 16, '] chunk ', m,
    ' done, rows=', h % 100000, ' 完成\n'), 1 + h % 10),
  TIMESTAMP'2024-01-01 00:00:00' + INTERVAL n * 60 SECOND,
  TIMESTAMP'2024-01-01 00:00:00' + INTERVAL (n * 60 + h % 86400) SECOND
FROM $(derive task "$1" "$2");
EOF
}

ins_ckpt() {
  cat <<EOF
INSERT INTO bench_cm.task_checkpoint (task_id, shard_no, checkpoint, position, gmt_modified)
SELECT 1 + (n - 1) DIV 2, (n - 1) % 2,
  JSON_OBJECT('binlogFile', CONCAT('mysql-bin.', LPAD(h % 1000, 6, '0')), 'position', h,
    'gtid', CONCAT(LEFT(m, 8), '-', SUBSTR(m, 9, 4), '-', SUBSTR(m, 13, 4), '-', SUBSTR(m, 17, 4), '-', RIGHT(m, 12), ':1-', n),
    'timestamp', 1700000000000 + n * 1000 + h % 1000, 'tables', h % 500),
  IF(h % 10 = 0, NULL, UNHEX(SHA2(CONCAT('$S:pos:', n), 256))),
  TIMESTAMP'2024-02-01 00:00:00' + INTERVAL n SECOND + INTERVAL (h % 1000) * 1000 MICROSECOND
FROM $(derive ckpt "$1" "$2");
EOF
}

ins_conf() {
  cat <<EOF
INSERT INTO bench_cm.config_job (config_key, config_value, description, gmt_modified)
SELECT CONCAT('oms.', ELT(1 + h % 6, 'dump', 'sync', 'verify', 'store', 'alarm', 'ha'), '.', LEFT(m, 10), '.', n),
  CONCAT('{"value":"', m, '","ttl":', h % 3600, ',"nodes":["10.0.', h % 256, '.', n % 256, '"],"extra":"',
    REPEAT(SUBSTR(m, 1 + h % 16, 8), 1 + h % 40), '"}'),
  IF(h % 5 = 0, NULL, CONCAT('配置项 ', n, ' / ', SUBSTR(m, 3, 10))),
  TIMESTAMP'2024-04-01 00:00:00' + INTERVAL h % 10000000 SECOND
FROM $(derive conf "$1" "$2");
EOF
}

ins_log() {
  cat <<EOF
INSERT INTO bench_cm.task_log (task_id, level, gmt_created, message)
SELECT 1 + h % $N_TASK, ELT(1 + h % 4, 'INFO', 'WARN', 'ERROR', 'DEBUG'),
  TIMESTAMP'2024-03-01 00:00:00' + INTERVAL n SECOND + INTERVAL (h % 1000) * 1000 MICROSECOND,
  CONCAT('task ', 1 + h % $N_TASK, ' step ', h % 37, ': ', ELT(1 + h % 4, 'chunk finished', 'lag above threshold',
    'connection reset, retrying', 'checkpoint saved'), ' id=', m, ' ', REPEAT('.', h % 100), ' 日志')
FROM $(derive log "$1" "$2");
EOF
}

att_random() {
  local k sep=""
  for ((k = 1; k <= 16; k++)); do printf "%sUNHEX(SHA2(CONCAT('$S:att:', n, ':$k'), 512))" "$sep"; sep=", "; done
}
ins_att() {
  cat <<EOF
INSERT INTO bench_rm.attachment (id, name, mime, size, sha256, content, gmt_created)
SELECT n, CONCAT('attachment-', n, '.bin'), ELT(1 + h % 3, 'application/octet-stream', 'application/zip', 'image/png'),
  LENGTH(c), SHA2(c, 256), c, TIMESTAMP'2024-01-15 00:00:00' + INTERVAL n MINUTE
FROM (SELECT n, h, IF(n % 50 = 0, NULL, CONCAT($(att_random), REPEAT(UNHEX(SHA2(CONCAT('$S:rep:', h % 97), 512)), h % 96))) AS c
      FROM $(derive att "$1" "$2")) a;
EOF
}

ins_wide() {
  cat <<EOF
INSERT INTO bench_rm.project_wide (id, $(wide_names))
SELECT n, $(wide_exprs)
FROM $(derive wide "$1" "$2");
EOF
}

# ------------------------------------------------------------------------------ run
t0=$(date +%s)
log "scale $info_scale seed $seed: heartbeat $N_HB1 + $N_HB2 rows, task $N_TASK, checkpoint $N_CKPT, config $N_CONF, log $N_LOG, attachment $N_ATT, wide $N_WIDE"
schema_sql | sql || die "creating the schema failed"

# Two streams (the machine has 2 cores), roughly balanced by time.
stream_a() {
  echo "$session_setup"
  batches "$N_HB1" ins_hb1
  batches "$N_TASK" ins_task
  batches "$N_ATT" ins_att
}
stream_b() {
  echo "$session_setup"
  batches "$N_HB2" ins_hb2
  batches "$N_CKPT" ins_ckpt
  batches "$N_CONF" ins_conf
  batches "$N_LOG" ins_log
  batches "$N_WIDE" ins_wide
}
tmp=$(mktemp -d /tmp/bench-generate.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
stream_a | sql >"$tmp/a.out" 2>"$tmp/a.err" &
pa=$!
stream_b | sql >"$tmp/b.out" 2>"$tmp/b.err" &
pb=$!
ok=1
wait "$pa" || { ok=0; cat "$tmp/a.err" >&2; }
wait "$pb" || { ok=0; cat "$tmp/b.err" >&2; }
((ok)) || die "inserting rows failed"

# Counters above MAX(id), as OMS leaves them; statistics for every planner; the marker.
sql >/dev/null <<EOF || die "finishing failed"
$session_setup
ALTER TABLE bench_cm_hb1.heatbeat_sequence AUTO_INCREMENT = $((N_HB1 + (N_HB1 / 100000) * 1000 + 8));
ALTER TABLE bench_cm_hb2.heatbeat_sequence AUTO_INCREMENT = $((1000000 + N_HB2 + (N_HB2 / 100000) * 1000 + 3));
ALTER TABLE bench_cm.task AUTO_INCREMENT = $((N_TASK + 100001));
ANALYZE TABLE bench_rm.cluster_info, bench_rm.attachment, bench_rm.project_wide, bench_cm.host, bench_cm.task,
  bench_cm.task_checkpoint, bench_cm.config_job, bench_cm.task_log, bench_cm_hb1.heatbeat_sequence,
  bench_cm_hb2.heatbeat_sequence;
CREATE TABLE bench_meta.info (scale varchar(32) NOT NULL, seed int NOT NULL, generated_at datetime NOT NULL);
INSERT INTO bench_meta.info VALUES ('$info_scale', $seed, NOW());
EOF

if [[ $quiet == 0 ]]; then
  sql -e "SELECT CONCAT(RPAD(CONCAT(table_schema, '.', table_name), 34, ' '), LPAD(table_rows, 10, ' '), ' rows ~',
      LPAD(ROUND((data_length + index_length) / 1048576, 1), 8, ' '), ' MiB')
    FROM information_schema.TABLES WHERE table_schema LIKE 'bench\\_%' AND table_schema <> 'bench_meta'
    ORDER BY data_length + index_length DESC" >&2
  sql -e "SELECT CONCAT('total ~', ROUND(SUM(data_length + index_length) / 1048576, 1), ' MiB on disk (InnoDB estimate)')
    FROM information_schema.TABLES WHERE table_schema LIKE 'bench\\_%' AND table_schema <> 'bench_meta'" >&2
fi
log "done in $(($(date +%s) - t0)) s"

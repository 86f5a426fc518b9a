#!/usr/bin/env bash
# Smoke run of the benchmark code, so that it cannot rot: bench/run.sh --smoke --job at a tiny
# scale: bench/generate.sh, one run of every tool and of both limits (mydumper/myloader when
# installed), each restore checked with CHECKSUM TABLE against the source, then bench/job.sh
# on the same data (one upgrade job of the old procedure and one of omsdump/omsrestore, each
# rollback checked against the pre-job data).  Takes seconds.
#
#   bench/smoke.sh [BUILD_DIR]     # tools from BUILD_DIR/tools (default: build)
#
# Uses the sandbox named by $OMSB_SANDBOX_DIR (scripts/test.sh exports it), else starts one.
# Drops the bench_* databases it made when it ends.  Prints one line; the full output only
# on failure.  Exit status non-zero when the scripts, our tools, mariadb-dump/mariadb or a
# limit fail, a restore differs from the source (mydumper/myloader failures only warn), or a
# job's phase fails or its rollback differs from the pre-job data.  Knob:
# OMSB_SMOKE_SCALE (default 0.002).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
  exit 0
fi
build=${1:-build}
tools=$(cd "$build/tools" 2>/dev/null && pwd) || { echo "bench smoke: FAILED: no $build/tools" >&2; exit 1; }
scale=${OMSB_SMOKE_SCALE:-0.002}

own=0
if [[ -z ${OMSB_SANDBOX_DIR:-} || ! -r ${OMSB_SANDBOX_DIR:-/nonexistent}/client.cnf ]]; then
  eval "$(bash scripts/sandbox-db.sh start 2>/dev/null)"
  own=1
fi
out=$(mktemp /tmp/omsb-bench-smoke.XXXXXX)
finish() {
  local rc=$?
  mariadb --defaults-file="$OMSB_SANDBOX_DIR/client.cnf" -e "SET SESSION sql_log_bin = 0;
    DROP DATABASE IF EXISTS bench_rm; DROP DATABASE IF EXISTS bench_cm; DROP DATABASE IF EXISTS bench_cm_hb1;
    DROP DATABASE IF EXISTS bench_cm_hb2; DROP DATABASE IF EXISTS bench_meta" >/dev/null 2>&1 || true
  ((own == 0)) || bash scripts/sandbox-db.sh stop "$OMSB_SANDBOX_DIR" >/dev/null 2>&1 || true
  rm -f "$out"
  exit "$rc"
}
trap finish EXIT

start=$(date +%s)
if ! bash bench/run.sh --smoke --job --scale "$scale" --regenerate --tools "$tools" >"$out" 2>&1; then
  echo "bench smoke: FAILED (bench/run.sh --smoke --job --scale $scale); its output:" >&2
  cat "$out" >&2
  exit 1
fi
# Each tool's median line of run.sh's table, e.g. "omsdump 0.41 s", and the job's lines.
summary=$(awk '$1 ~ /^(omsdump|omsrestore|mydumper|myloader|read-limit|load-limit)$/ { printf "%s%s %s s", sep, $1, $2; sep = ", " }' "$out")
job=$(awk '$2 == "job" && $1 ~ /^(old|new)$/ { printf "%s%s %s s", sep, $1, $3; sep = ", " }' "$out")
if [[ $job != old*new* && $job != new*old* ]]; then
  echo "bench smoke: FAILED: no upgrade job lines (old and new) in bench/run.sh --job's output:" >&2
  cat "$out" >&2
  exit 1
fi
echo "bench smoke: ok in $(($(date +%s) - start)) s (scale $scale; $summary; restores match the source's CHECKSUM TABLE; upgrade job $job, rollbacks match)"

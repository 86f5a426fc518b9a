#!/usr/bin/env bash
# Runs every libFuzzer target (tests/fuzz, docs/fuzzing.md) for a bounded time, from its
# committed seed corpus and dictionary; exits non-zero on any finding.
#
#   scripts/fuzz.sh [SECONDS [BUILD_DIR]]    # default: 20 s per target, build-san
#
# BUILD_DIR must hold the targets (a clang build with -Dfuzz=true: scripts/test.sh's
# build-san, or a build-fuzz set up as in docs/fuzzing.md); they are built there first.
# Each target runs with -max_total_time=SECONDS, -rss_limit_mb=2048 (memory) and
# -timeout=25 (one input), so a crash, a sanitizer report, a FINDING of the target's own
# checks, a leak, an input over the memory limit or one that hangs ends it with a
# reproducer. New inputs go to a scratch corpus, never into the repository.
# OMSB_FUZZ_JOBS targets run at a time (default: the number of cores).
# OMSB_FUZZ_DIR keeps the logs, scratch corpora and reproducers (default: a fresh
# /tmp/omsb-fuzz.XXXXXX, removed when everything is clean).
# OMSB_FUZZ_TARGETS: the targets to run, space-separated (default: all six).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

case "${1:-}" in
  -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
esac
seconds=${1:-20}
build=${2:-build-san}
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "fuzz.sh: SECONDS must be a number, not '$seconds'" >&2; exit 2; }

# target name -> its corpus and dictionary name under tests/fuzz
declare -A corpus=([fuzz_manifest]=manifest [fuzz_chunk_decoder]=chunk [fuzz_zstd_reader]=zstd
                   [fuzz_oms_config]=oms_config [fuzz_identifiers]=identifiers [fuzz_decrypt]=decrypt)
read -r -a targets <<< "${OMSB_FUZZ_TARGETS:-fuzz_manifest fuzz_chunk_decoder fuzz_zstd_reader fuzz_oms_config fuzz_identifiers fuzz_decrypt}"
for t in "${targets[@]}"; do
  [[ -n "${corpus[$t]:-}" ]] || { echo "fuzz.sh: unknown target '$t'" >&2; exit 2; }
done

if [[ ! -f "$build/build.ninja" ]]; then
  echo "fuzz.sh: $build is not a build directory; set one up with -Dfuzz=true and clang" \
       "(docs/fuzzing.md), or run scripts/test.sh" >&2
  exit 2
fi
build=$(cd "$build" && pwd -P)
ninja -C "$build" --quiet "${targets[@]/#/tests/fuzz/}"

work=${OMSB_FUZZ_DIR:-$(mktemp -d /tmp/omsb-fuzz.XXXXXX)}
mkdir -p "$work"
work=$(cd "$work" && pwd -P)
jobs=${OMSB_FUZZ_JOBS:-$(nproc)}

# fuzz TARGET: one bounded run; one summary line; the log's end on failure.
fuzz() {
  local t=$1 c=${corpus[$1]}
  local log="$work/$t.log"
  mkdir -p "$work/corpus-$c" "$work/artifacts"
  local start=$SECONDS status=0 dict=()
  [[ ! -f $root/tests/fuzz/$c.dict ]] || dict=(-dict="$root/tests/fuzz/$c.dict")
  UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}" \
  "$build/tests/fuzz/$t" "$work/corpus-$c" "$root/tests/fuzz/corpus/$c" \
    "${dict[@]}" -max_total_time="$seconds" -rss_limit_mb=2048 \
    -timeout=25 -print_funcs=0 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/$t-" >"$log" 2>&1 || status=$?
  local runs cov
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1 || true)
  cov=$(grep -ao 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2 || true)
  if ((status == 0)); then
    echo "fuzz: $t: clean, ${runs:-?} inputs in $((SECONDS - start)) s (coverage ${cov:-?})"
  else
    echo "fuzz: $t: FAILED (status $status, after $((SECONDS - start)) s); the end of $log:"
    grep -av '^#[0-9]' "$log" | tail -n 40 | sed 's/^/    /'
    ls "$work/artifacts/$t-"* 2>/dev/null | sed 's/^/    reproducer: /'
    return 1
  fi
}

failed=0
pids=()
names=()
for t in "${targets[@]}"; do
  fuzz "$t" > "$work/$t.summary" 2>&1 &
  pids+=($!)
  names+=("$t")
  if ((${#pids[@]} >= jobs)); then
    wait "${pids[0]}" || failed=1
    cat "$work/${names[0]}.summary"
    pids=("${pids[@]:1}")
    names=("${names[@]:1}")
  fi
done
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || failed=1
  cat "$work/${names[$i]}.summary"
done

if ((failed)); then
  echo "fuzz.sh: FAILED; logs, corpora and reproducers in $work (docs/fuzzing.md:" \
       "re-running a reproducer)" >&2
  exit 1
fi
[[ -n "${OMSB_FUZZ_DIR:-}" ]] || rm -rf "$work"

#!/usr/bin/env bash
# The test suites under the sanitizers (docs/reliability.md, "Sanitizers").
#
#   scripts/sanitize.sh [asan|tsan|all|ci]    # default: all
#
# asan: build-asan (-Db_sanitize=address,undefined, debug), then the unit tests and every
#       integration test (not the hidden [.] known gaps) except [dump][memory] (it bounds
#       peak RSS, which ASan's shadow memory and quarantine inflate), with leak detection
#       on and any UBSan report fatal.
# tsan: build-tsan (-Db_sanitize=thread, debug), then the unit tests and the integration
#       tests that run several threads ("[dump],[restore]", again without [dump][memory]),
#       with tests/sanitizers/tsan.supp (reports entirely inside the uninstrumented
#       libmariadb / libzstd / libcrypto).
# ci:   the reduced set scripts/test.sh runs, built with clang (library -O1, rest -O0):
#       build-san (ASan+UBSan, and -Dfuzz=true: the fuzz targets link the same library):
#       every unit test, the integration tests of OMSB_SANITIZE_CI_ASAN_SPEC, then each
#       fuzz target for OMSB_FUZZ_SECONDS (default 20) from its seeds (scripts/fuzz.sh);
#       build-tsan-tools (TSan, only the library and the two tools): the integration tests
#       of OMSB_SANITIZE_CI_TSAN_SPEC that run omsdump/omsrestore, taken from
#       OMSB_SANITIZE_HOST_BUILD (default build-test: scripts/test.sh's normal build), with
#       OMSDUMP/OMSRESTORE pointing at the TSan tools.
# The sandbox: the one named by OMSB_SANDBOX_DIR and OMSB_DB_* if they are set (as
# scripts/test.sh does), else a throwaway MariaDB (scripts/sandbox-db.sh) started here and
# stopped on exit, also on failure.  ASan and TSan reports, from the test binaries and
# from the omsdump / omsrestore children they start, go to files under
# $OMSB_SANITIZE_LOGS/reports (default: a fresh /tmp/omsb-sanitize.XXXXXX) and are printed
# at the end; the suites' output is kept in .../output and searched for reports too (UBSan
# prints to stderr).  Exit status is non-zero if a suite failed or any report was found;
# the directory is removed if clean.
#
# OMSB_SANITIZE_LOGS: where the reports go.  OMSB_SANITIZE_TEST_SPEC replaces the Catch2
# test spec of the integration runs (e.g. '[roundtrip]', for debugging one finding).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

mode=${1:-all}
case "$mode" in
  asan | tsan | all | ci) ;;
  -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
  *) echo "usage: $0 [asan|tsan|all|ci]" >&2; exit 2 ;;
esac

logs=${OMSB_SANITIZE_LOGS:-$(mktemp -d /tmp/omsb-sanitize.XXXXXX)}
mkdir -p "$logs/reports" "$logs/output"
logs=$(cd "$logs" && pwd -P)

# setup_build DIR OPTIONS... : configures DIR (again, if it exists) with meson OPTIONS;
# meson's output only if it fails.
setup_build() {
  local dir=$1; shift
  local out
  [[ -f "$dir/build.ninja" ]] && set -- --reconfigure "$@"
  if ! out=$(meson setup "$dir" "$@" 2>&1); then
    echo "$out" >&2
    return 1
  fi
}

# build DIR [TARGETS...]: quiet in CI (only errors and warnings), with its time.
build() {
  local dir=$1; shift
  local start=$SECONDS
  if [[ "$mode" == ci ]]; then
    ninja -C "$dir" --quiet "$@"
    echo "== built $dir${*:+ ($*)} in $((SECONDS - start)) s" >&2
  else
    ninja -C "$dir" "$@"
  fi
}

# The CI builds: clang (libFuzzer); the library at -O1, the tools and tests at -O0 (half
# the compile time; -Doptimize_library_only); line tables only (stack traces with file:line
# at a fraction of -g's cost); warnings as errors like the normal build.
ci_opts=(-Doptimization=1 -Ddebug=false -Doptimize_library_only=true
         -Dcpp_args=-gline-tables-only -Db_lundef=false -Dwerror=true)
case "$mode" in
  asan | all)
    setup_build build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
    build build-asan ;;
esac
case "$mode" in
  tsan | all)
    setup_build build-tsan -Db_sanitize=thread -Db_lundef=false -Dbuildtype=debug
    build build-tsan ;;
esac
if [[ "$mode" == ci ]]; then
  host_build=$(realpath -m "${OMSB_SANITIZE_HOST_BUILD:-build-test}")
  [[ -x "$host_build/tests/integration/integration_tests" ]] || {
    echo "sanitize.sh ci: $host_build/tests/integration/integration_tests is missing; build" \
         "it first (scripts/test.sh does) or set OMSB_SANITIZE_HOST_BUILD" >&2
    exit 2
  }
  (export CXX=clang++; setup_build build-san "${ci_opts[@]}" -Db_sanitize=address,undefined -Dfuzz=true)
  build build-san
  (export CXX=clang++; setup_build build-tsan-tools "${ci_opts[@]}" -Db_sanitize=thread -Dtests=false)
  build build-tsan-tools tools/omsdump tools/omsrestore
fi

if [[ -n "${OMSB_SANDBOX_DIR:-}" && -n "${OMSB_DB_PORT:-}" ]]; then
  echo "== using the running sandbox $OMSB_SANDBOX_DIR" >&2
else
  sandbox_env=$(bash scripts/sandbox-db.sh start)
  eval "$sandbox_env"
  trap 'bash scripts/sandbox-db.sh stop "$OMSB_SANDBOX_DIR" >&2 || true' EXIT
fi
export OMSB_SANDBOX_DIR OMSB_DB_HOST OMSB_DB_PORT OMSB_DB_SOCKET OMSB_DB_USER OMSB_DB_PASSWORD
export OMSB_SOURCE_ROOT=$root

failed=0
# run NAME CMD...: runs one suite, remembering a failure instead of stopping.  Its output
# is kept too: UBSan (in an ASan build) prints to stderr whatever log_path says.  In CI
# only a summary line is shown, and the output's end on failure.
run() {
  local name=$1; shift
  local start=$SECONDS status=0
  local out="$logs/output/${name// /-}.log"
  echo "== $name: $*" >&2
  if [[ "$mode" == ci ]]; then
    "$@" >"$out" 2>&1 || status=$?
  else
    "$@" 2>&1 | tee "$out" || status=$?
  fi
  if ((status == 0)); then
    local summary
    summary=$(grep -aE '^(All tests passed|test cases:)' "$out" | tail -n 1 || true)
    echo "== $name: passed ($((SECONDS - start)) s)${summary:+: $summary}" >&2
  else
    [[ "$mode" == ci ]] && tail -n 60 "$out" >&2
    echo "== $name: FAILED, status $status ($((SECONDS - start)) s; output: $out)" >&2
    failed=1
  fi
}

# The integration tests under build dir $1, with the tools of build dir $2 and extra
# Catch2 arguments.
integration() {
  local dir tools
  dir=$(realpath -m "$1") tools=$(realpath -m "$2")
  shift 2
  OMSDUMP="$tools/tools/omsdump" OMSRESTORE="$tools/tools/omsrestore" \
    "$dir/tests/integration/integration_tests" "$@"
}

asan_env() {
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:log_path=$logs/reports/asan"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/reports/ubsan"
}
tsan_env() {
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$root/tests/sanitizers/tsan.supp:log_path=$logs/reports/tsan"
}

if [[ "$mode" == asan || "$mode" == all ]]; then
  asan_env
  run "asan unit" build-asan/tests/unit_tests
  spec=${OMSB_SANITIZE_TEST_SPEC:-'~[.]~[memory]'}
  run "asan integration" integration build-asan build-asan "$spec"
  unset ASAN_OPTIONS UBSAN_OPTIONS
fi

if [[ "$mode" == tsan || "$mode" == all ]]; then
  tsan_env
  run "tsan unit" build-tsan/tests/unit_tests
  spec=${OMSB_SANITIZE_TEST_SPEC:-'[dump]~[memory],[restore]'}
  run "tsan integration" integration build-tsan build-tsan "$spec"
  unset TSAN_OPTIONS
fi

if [[ "$mode" == ci ]]; then
  asan_env
  run "asan+ubsan unit" build-san/tests/unit_tests
  spec=${OMSB_SANITIZE_TEST_SPEC:-${OMSB_SANITIZE_CI_ASAN_SPEC:-'~[.]~[memory]~[plan]~[tls]~[kill]'}}
  run "asan+ubsan integration" integration build-san build-san "$spec"
  # libFuzzer sets its own ASAN_OPTIONS defaults; reports go to its log and reproducers.
  unset ASAN_OPTIONS UBSAN_OPTIONS
  run "fuzz" bash scripts/fuzz.sh "${OMSB_FUZZ_SECONDS:-20}" build-san
  grep -a '^fuzz: ' "$logs/output/fuzz.log" | sed 's/^/   /' >&2 || true
  tsan_env
  spec=${OMSB_SANITIZE_TEST_SPEC:-${OMSB_SANITIZE_CI_TSAN_SPEC:-'[cli]'}}
  run "tsan tools" integration "$host_build" build-tsan-tools "$spec"
  unset TSAN_OPTIONS
fi

reports=$(find "$logs/reports" -type f | sort)
if [[ -n "$reports" ]]; then
  failed=1
  for f in $reports; do
    echo "== sanitizer report $f:" >&2
    cat "$f" >&2
  done
fi
if grep -lE 'runtime error:|ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|WARNING: ThreadSanitizer' \
    "$logs"/output/*.log >&2; then
  echo "== sanitizer reports in the suite output above (files listed)" >&2
  failed=1
fi
if ((failed)); then
  echo "sanitize.sh $mode: FAILED (reports, if any, in $logs)" >&2
  exit 1
fi
rm -rf "$logs"
echo "sanitize.sh $mode: clean" >&2

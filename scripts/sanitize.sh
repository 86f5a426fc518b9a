#!/usr/bin/env bash
# The test suites under the sanitizers (docs/reliability.md, "Sanitizers").
#
#   scripts/sanitize.sh [asan|tsan|all]    # default: all
#
# asan: build-asan (-Db_sanitize=address,undefined, debug), then the unit tests and every
#       integration test (not the hidden [.] known gaps) except [dump][memory] (it bounds
#       peak RSS, which ASan's shadow memory and quarantine inflate), with leak detection
#       on and any UBSan report fatal.
# tsan: build-tsan (-Db_sanitize=thread, debug), then the unit tests and the integration
#       tests that run several threads ("[dump],[restore]", again without [dump][memory]),
#       with tests/sanitizers/tsan.supp (reports entirely inside the uninstrumented
#       libmariadb / libzstd / libcrypto).
# One throwaway MariaDB sandbox (scripts/sandbox-db.sh) serves both; it is stopped on exit,
# also on failure.  ASan and TSan reports, from the test binaries and from the omsdump /
# omsrestore children they start, go to files under $OMSB_SANITIZE_LOGS/reports (default:
# a fresh /tmp/omsb-sanitize.XXXXXX) and are printed at the end; the suites' output is
# kept in .../output and searched for reports too (UBSan prints to stderr).  Exit status
# is non-zero if a suite failed or any report was found; the directory is removed if clean.
#
# OMSB_SANITIZE_LOGS: where the reports go.  OMSB_SANITIZE_TEST_SPEC replaces the Catch2
# test spec of the integration runs (e.g. '[roundtrip]', for debugging one finding).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

mode=${1:-all}
case "$mode" in
  asan | tsan | all) ;;
  -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
  *) echo "usage: $0 [asan|tsan|all]" >&2; exit 2 ;;
esac

logs=${OMSB_SANITIZE_LOGS:-$(mktemp -d /tmp/omsb-sanitize.XXXXXX)}
mkdir -p "$logs/reports" "$logs/output"
logs=$(cd "$logs" && pwd -P)

# setup_build DIR SANITIZERS
setup_build() {
  local dir=$1 san=$2
  local -a opts=(-Db_sanitize="$san" -Db_lundef=false -Dbuildtype=debug)
  if [[ -f "$dir/build.ninja" ]]; then
    meson setup --reconfigure "$dir" "${opts[@]}" >/dev/null
  else
    meson setup "$dir" "${opts[@]}" >/dev/null
  fi
  ninja -C "$dir"
}

[[ "$mode" == tsan ]] || setup_build build-asan address,undefined
[[ "$mode" == asan ]] || setup_build build-tsan thread

sandbox_env=$(bash scripts/sandbox-db.sh start)
eval "$sandbox_env"
export OMSB_SANDBOX_DIR OMSB_DB_HOST OMSB_DB_PORT OMSB_DB_SOCKET OMSB_DB_USER OMSB_DB_PASSWORD
trap 'bash scripts/sandbox-db.sh stop "$OMSB_SANDBOX_DIR" >&2 || true' EXIT
export OMSB_SOURCE_ROOT=$root

failed=0
# run NAME CMD...: runs one suite, remembering a failure instead of stopping.  Its output
# is kept too: UBSan (in an ASan build) prints to stderr whatever log_path says.
run() {
  local name=$1; shift
  local start=$SECONDS
  echo "== $name: $*" >&2
  if "$@" 2>&1 | tee "$logs/output/${name// /-}.log"; then
    echo "== $name: passed ($((SECONDS - start)) s)" >&2
  else
    echo "== $name: FAILED, status $? ($((SECONDS - start)) s)" >&2
    failed=1
  fi
}

# The integration tests under build dir $1, with extra Catch2 arguments.
integration() {
  local dir=$1; shift
  OMSDUMP="$root/$dir/tools/omsdump" OMSRESTORE="$root/$dir/tools/omsrestore" \
    "$root/$dir/tests/integration/integration_tests" "$@"
}

if [[ "$mode" != tsan ]]; then
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:log_path=$logs/reports/asan"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/reports/ubsan"
  run "asan unit" build-asan/tests/unit_tests
  spec=${OMSB_SANITIZE_TEST_SPEC:-'~[.]~[memory]'}
  run "asan integration" integration build-asan "$spec"
  unset ASAN_OPTIONS UBSAN_OPTIONS
fi

if [[ "$mode" != asan ]]; then
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$root/tests/sanitizers/tsan.supp:log_path=$logs/reports/tsan"
  run "tsan unit" build-tsan/tests/unit_tests
  spec=${OMSB_SANITIZE_TEST_SPEC:-'[dump]~[memory],[restore]'}
  run "tsan integration" integration build-tsan "$spec"
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

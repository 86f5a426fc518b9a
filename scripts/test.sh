#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what is needed, builds (with
# warnings as errors), starts a throwaway MariaDB sandbox, runs every test (unit and
# integration), then the reduced sanitizer and fuzzing set (scripts/sanitize.sh ci:
# ASan+UBSan, TSan, each fuzz target for 20 s; docs/reliability.md), stops the sandbox
# (also on failure) and exits non-zero on any failure.
#
#   scripts/test.sh                  # everything
#   scripts/test.sh --suite unit     # extra arguments go to `meson test` (and skip the
#                                    # example, the benchmark smoke run and the sanitizers)
#
# OMSB_BUILD_DIR picks the build directory (default: build-test). OMSB_SKIP_SANITIZE=1
# leaves out the sanitizer and fuzzing stage (CI never sets it).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

build=${OMSB_BUILD_DIR:-build-test}
if [[ -f "$build/build.ninja" ]]; then
  meson setup --reconfigure "$build" -Dwerror=true >/dev/null
else
  meson setup "$build" -Dwerror=true >/dev/null
fi
ninja -C "$build"

sandbox_env=$(bash scripts/sandbox-db.sh start)
eval "$sandbox_env"
export OMSB_SANDBOX_DIR OMSB_DB_HOST OMSB_DB_PORT OMSB_DB_SOCKET OMSB_DB_USER OMSB_DB_PASSWORD
trap 'bash scripts/sandbox-db.sh stop "$OMSB_SANDBOX_DIR" >&2 || true' EXIT

# The library as other OMS tooling consumes it: installed with its pkg-config file, and
# the example built against that installation and run against the sandbox.
if [[ $# -eq 0 ]]; then
  stage=$(mktemp -d /tmp/omsb-install.XXXXXX)
  meson install -C "$build" --destdir "$stage" --quiet
  pc=$(find "$stage" -name omsbackup.pc | head -n 1)
  prefix=$(sed -n 's/^prefix=//p' "$pc")
  pc_dir=$(mktemp -d /tmp/omsb-pc.XXXXXX)
  sed "s|^prefix=.*|prefix=$stage$prefix|" "$pc" > "$pc_dir/omsbackup.pc"
  example="$stage/backup_and_verify"
  g++ -std=c++20 -Wall -Wextra -Werror examples/backup_and_verify.cpp -o "$example" \
    $(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags --libs omsbackup) \
    -Wl,-rpath,"$(dirname "$(find "$stage" -name 'libomsbackup.so' | head -n 1)")"
  mariadb --defaults-file="$OMSB_SANDBOX_DIR/client.cnf" < tests/data/oms_sample.sql
  # The library reads the [client] group of the caller's option files like the mysql
  # client does; an empty HOME keeps the caller's ~/.my.cnf (a database=, a host=) out of
  # this run against the sandbox.
  if ! HOME="$stage" MYSQL_PWD="$OMSB_DB_PASSWORD" "$example" "$OMSB_DB_HOST" "$OMSB_DB_PORT" \
      "$OMSB_DB_USER" "$stage/example-archive" rm cm cm_hb1 cm_hb2; then
    echo "test.sh: the library example (examples/backup_and_verify.cpp) failed" >&2
    exit 1
  fi
  rm -rf "$stage" "$pc_dir"
fi

# The benchmark scripts (bench/) in a tiny smoke run, so that they cannot rot.
if [[ $# -eq 0 ]]; then
  bash bench/smoke.sh "$build"
fi

meson test -C "$build" --print-errorlogs "$@"

# ASan+UBSan (unit, integration, fuzzing) and TSan (the tools' threads), reusing the
# sandbox and this build's integration tests; see docs/reliability.md for what runs.
if [[ $# -eq 0 && "${OMSB_SKIP_SANITIZE:-0}" != 1 ]]; then
  start=$SECONDS
  OMSB_SANITIZE_HOST_BUILD="$build" bash scripts/sanitize.sh ci
  echo "sanitizers and fuzzing: clean ($((SECONDS - start)) s)"
fi

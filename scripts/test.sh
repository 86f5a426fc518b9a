#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what is needed, builds (with
# warnings as errors), starts a throwaway MariaDB sandbox, runs every test (unit and
# integration), stops the sandbox (also on failure) and exits non-zero on any failure.
#
#   scripts/test.sh                  # everything
#   scripts/test.sh --suite unit     # extra arguments go to `meson test`
#
# OMSB_BUILD_DIR picks the build directory (default: build-test).
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

meson test -C "$build" --print-errorlogs "$@"

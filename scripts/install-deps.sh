#!/usr/bin/env bash
# Install the Debian 12 packages omsbackup needs to build and test.
#
#   scripts/install-deps.sh          # install whatever is missing (needs root, or sudo)
#   scripts/install-deps.sh --check  # only report what is missing; exit 1 if anything is
#
# Idempotent: asks dpkg-query which packages are missing and runs `apt-get update`
# + `apt-get install` only for those.  Prints one line saying what it did.
#
# mariadb-server is installed only for its binaries (mariadbd, mariadb-install-db):
# the tests and the demo use scripts/sandbox-db.sh, a private throwaway server, and
# never the system service.  So that installing it does not leave a system server
# running, the service start is suppressed during the install with a temporary
# /usr/sbin/policy-rc.d (only if none exists already; Docker images ship one that
# does the same).  Set OMSB_ALLOW_SERVICE_START=1 to let Debian start it as usual.
set -euo pipefail

PACKAGES=(
  g++ meson ninja-build pkg-config
  libmariadb-dev libzstd-dev libssl-dev libfmt-dev libxxhash-dev
  catch2 libcli11-dev nlohmann-json3-dev libyaml-cpp-dev
  mariadb-server mariadb-client openssl
  clang libclang-rt-dev  # scripts/sanitize.sh ci, scripts/fuzz.sh: clang's libFuzzer and sanitizer runtimes
)

die() { echo "install-deps: error: $*" >&2; exit 1; }

check_only=0
case "${1:-}" in
  "") ;;
  --check|-n) check_only=1 ;;
  -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
  *) die "unknown argument '$1' (usage: $0 [--check])" ;;
esac

command -v dpkg-query >/dev/null 2>&1 || die "dpkg-query not found: this script is for Debian 12"

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ "$status" == installed ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PACKAGES[@]} packages already installed, nothing to do"
  exit 0
fi

if ((check_only)); then
  echo "install-deps: missing ${#missing[@]} of ${#PACKAGES[@]}: ${missing[*]}"
  exit 1
fi

SUDO=()
if ((EUID != 0)); then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    die "not root and sudo is not installed; run as root to install: ${missing[*]}"
  fi
fi

# Suppress service start-up while mariadb-server is being installed (see header).
policy=${OMSB_POLICY_RC_D:-/usr/sbin/policy-rc.d}  # override only for testing this script
added_policy=0
remove_policy() {
  if ((added_policy)); then
    "${SUDO[@]}" rm -f "$policy" || echo "install-deps: warning: could not remove $policy" >&2
    added_policy=0
  fi
}
trap remove_policy EXIT
if [[ " ${missing[*]} " == *" mariadb-server "* && "${OMSB_ALLOW_SERVICE_START:-0}" != 1 && ! -e "$policy" ]]; then
  printf '#!/bin/sh\n# temporary, written by omsbackup scripts/install-deps.sh\nexit 101\n' |
    "${SUDO[@]}" tee "$policy" >/dev/null
  "${SUDO[@]}" chmod 0755 "$policy"
  added_policy=1
fi

export DEBIAN_FRONTEND=noninteractive
apt_log=$(mktemp /tmp/omsb-install-deps.XXXXXX.log)
run_apt() {
  if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive "$@" >>"$apt_log" 2>&1; then
    tail -n 30 "$apt_log" >&2
    die "'$*' failed (full log: $apt_log)"
  fi
}
run_apt apt-get update
run_apt apt-get install -y --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
remove_policy

still=()
for p in "${missing[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ "$status" == installed ]] || still+=("$p")
done
((${#still[@]} == 0)) || die "still not installed after apt-get: ${still[*]} (log: $apt_log)"

rm -f "$apt_log"
echo "install-deps: installed ${#missing[@]} missing package(s): ${missing[*]}"

#!/usr/bin/env bash
# The demo, from a fresh machine: installs what is needed, builds, starts a throwaway
# MariaDB, loads a sample OMS metadata set (rm, cm and two regions' heartbeat
# databases), backs it up with omsdump from per-region config.yaml files (heartbeat
# tables pruned to their newest row), verifies the archive, damages the live databases
# the way a failed upgrade might, rolls back with one omsrestore command, and shows that
# every table matches the original.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Installing dependencies and building"
bash scripts/install-deps.sh
build=${OMSB_BUILD_DIR:-build}
[[ -f "$build/build.ninja" ]] || meson setup "$build" >/dev/null
ninja -C "$build" >/dev/null
omsdump="$build/tools/omsdump"
omsrestore="$build/tools/omsrestore"

step "Starting a throwaway MariaDB server"
eval "$(bash scripts/sandbox-db.sh start)"
work=$(mktemp -d /tmp/omsb-demo.XXXXXX)
cleanup() {
  bash scripts/sandbox-db.sh stop "$OMSB_SANDBOX_DIR" >&2 || true
  rm -rf "$work"
}
trap cleanup EXIT
cnf="$OMSB_SANDBOX_DIR/client.cnf"   # the password lives here, never on a command line
sql() { mariadb --defaults-file="$cnf" --batch --skip-column-names "$@"; }

step "Loading the sample OMS metadata (rm, cm, cm_hb1, cm_hb2)"
sql < tests/data/oms_sample.sql
dbs=(rm cm cm_hb1 cm_hb2)
# Every table by row count and CHECKSUM TABLE; the heartbeat tables by what OMS needs of
# them: the newest id and the AUTO_INCREMENT counter (the backup keeps only the newest row).
fingerprint() {
  local db t
  for db in "${dbs[@]}"; do
    for t in $(sql -e "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA='$db' AND TABLE_TYPE='BASE TABLE' ORDER BY 1"); do
      if [[ "$t" == heatbeat_sequence ]]; then
        printf '%-8s %-22s max(id)=%s auto_increment=%s\n' "$db" "$t" \
          "$(sql -e "SELECT MAX(id) FROM \`$db\`.\`$t\`")" \
          "$(sql -e "SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA='$db' AND TABLE_NAME='$t'")"
      else
        printf '%-8s %-22s rows=%-6s checksum=%s\n' "$db" "$t" \
          "$(sql -e "SELECT COUNT(*) FROM \`$db\`.\`$t\`")" \
          "$(sql -e "CHECKSUM TABLE \`$db\`.\`$t\`" | cut -f2)"
      fi
    done
  done
}
fingerprint | tee "$work/before.txt"

step "Writing one config.yaml per region, as on the OMS hosts (mode 0600)"
for r in 1 2; do
  (umask 077; cat > "$work/region$r.yaml" <<YAML
oms_meta_host: $OMSB_DB_HOST
oms_meta_port: $OMSB_DB_PORT
oms_meta_user: $OMSB_DB_USER
oms_meta_password: "$OMSB_DB_PASSWORD"
drc_rm_db: rm
drc_cm_db: cm
drc_cm_heartbeat_db: cm_hb$r
cm_location: $r
cm_region: region-$r
cm_is_default: $([[ $r == 1 ]] && echo true || echo false)
YAML
  )
done
echo "$work/region1.yaml, $work/region2.yaml"

step "Backing up with omsdump: rm, cm and both heartbeat databases, from the config files"
"$omsdump" --oms-config "$work/region1.yaml" --oms-config "$work/region2.yaml" -o "$work/oms-backup"
ls -l "$work/oms-backup"

step "Verifying the archive without touching the server"
"$omsrestore" --check "$work/oms-backup"

step "Simulating a failed upgrade: rows deleted, a table dropped, a database dropped"
sql -e "DELETE FROM cm_hb1.heatbeat_sequence; DROP TABLE rm.cluster_info; DROP DATABASE cm_hb2;"

step "Rolling back with one omsrestore command (verify, stage, load, prove, swap in)"
"$omsrestore" --oms-config "$work/region1.yaml" --oms-config "$work/region2.yaml" "$work/oms-backup"

step "Comparing every table with the original"
fingerprint > "$work/after.txt"
if diff -u "$work/before.txt" "$work/after.txt"; then
  echo "All $(wc -l < "$work/before.txt") tables match the original: every table by CHECKSUM TABLE and row count, the heartbeat tables by newest id and AUTO_INCREMENT."
else
  echo "MISMATCH after restore" >&2
  exit 1
fi

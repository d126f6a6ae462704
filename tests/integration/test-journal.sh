#!/bin/bash
# The journal in the box: a unit's stdout reaches journald and is read back with journalctl, with
# the unit attached. pandora's agent logs through the same path.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox.sh
source "$(dirname "$0")/sandbox.sh"

unit=pandora-hello.service
# Random, so that a match cannot come from anything but this run's unit.
line=hello-from-box-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')

# journalctl_until_line ARGS...: runs journalctl ARGS in the box until its output has $line, for at
# most about 5 s: a oneshot's stdout goes through a stream to journald, which may not have stored
# it yet when `systemctl start` returns. Prints the last output either way.
journalctl_until_line() {
    local out i
    for ((i = 0; i < 50; i++)); do
        sandbox_run journalctl --sync
        out=$(sandbox_run journalctl "$@")
        if grep -qF -- "$line" <<<"$out"; then
            break
        fi
        sleep 0.1
    done
    printf '%s\n' "$out"
}

# has_unit_field JSON_LINES: whether the entry whose MESSAGE is $line has _SYSTEMD_UNIT=$unit.
# shellcheck disable=SC2317 # called through tap_ok
has_unit_field() {
    python3 -c '
import json, sys
line, unit = sys.argv[1], sys.argv[2]
entries = [json.loads(l) for l in sys.stdin if l.strip()]
mine = [e for e in entries if e.get("MESSAGE") == line]
print("entries with the line:", len(mine), [e.get("_SYSTEMD_UNIT") for e in mine], file=sys.stderr)
sys.exit(0 if mine and all(e.get("_SYSTEMD_UNIT") == unit for e in mine) else 1)
' "$line" "$unit" <<<"$1"
}

tap_plan 6
tap_ok "the box boots" sandbox_boot
[[ -n ${SANDBOX_PID:-} ]] || tap_bail "no box, nothing else to check"

tap_ok "write $unit into the box" sandbox_write "/run/systemd/system/$unit" <<EOF2
[Unit]
Description=pandora sandbox journal check

[Service]
Type=oneshot
ExecStart=/bin/echo $line
EOF2
tap_ok "systemctl start $unit" sandbox_run systemctl start "$unit"

# -u also shows the manager's own lines about the unit (Starting..., Finished...).
out=$(journalctl_until_line -u "$unit" -o cat)
tap_ok "journalctl -u $unit shows the unit's line" grep -qxF -- "$line" <<<"$out"
tap_is "$(journalctl_until_line -u "$unit" _TRANSPORT=stdout -o cat)" "$line" \
    "the unit's own output is exactly that line"
tap_ok "the line's entry has _SYSTEMD_UNIT=$unit" \
    has_unit_field "$(journalctl_until_line -u "$unit" -o json)"
tap_done

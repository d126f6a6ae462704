#!/bin/bash
# pandora-gen --dev on examples/full against a real systemd: the app runs as transient units while it
# runs (nothing installed), its journal comes out prefixed with process.instance, a change to a watched
# file restarts the web instances one at a time while a client loop on the shared port sees no error, and
# SIGINT stops everything, prints a summary per instance and leaves no unit behind. Without systemd it
# says how to get one.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox.sh
source "$(dirname "$0")/sandbox.sh"

source_dir=$(cd "$(dirname "$0")/../.." && pwd)

# tap_skip N REASON: N checks skipped.
tap_skip() {
    local i
    for ((i = 0; i < $1; i++)); do
        _tap_count=$((_tap_count + 1))
        echo "ok $_tap_count - # SKIP $2"
    done
}

# Everything of the app that systemd has loaded, on one line.
loaded_units() {
    sandbox_run systemctl list-units --all --no-legend --plain 'full*' | awk '{print $1}' | LC_ALL=C sort |
        tr '\n' ' '
}

# shellcheck disable=SC2317 # called through sandbox_wait
no_units() {
    [[ -z $(loaded_units) ]]
}

# Runs in the box: requests to the shared port until /srv/client.stop exists, then "OK FAILED".
client_loop() {
    sandbox_write /srv/client.py <<'EOF_CLIENT'
import os, sys, time, urllib.request
ok = failed = 0
while not os.path.exists("/srv/client.stop"):
    try:
        urllib.request.urlopen("http://127.0.0.1:8080/", timeout=10).read()
        ok += 1
    except Exception as e:
        failed += 1
        print("error:", e, file=sys.stderr)
    time.sleep(0.01)
print(ok, failed)
EOF_CLIENT
    sandbox_run sh -c 'python3 /srv/client.py >/srv/client.out 2>/srv/client.err </dev/null &'
}

tap_plan 15
tap_ok "the box boots" sandbox_boot
[[ -n ${SANDBOX_PID:-} ]] || tap_bail "no box, nothing else to check"
sandbox_run cp -r "$source_dir/examples/full" /srv/full

status=0
err=$(sandbox_run env DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent pandora-gen --dev /srv/full/procfile 2>&1) ||
    status=$?
tap_diag "$err"
tap_ok "without a manager: exit 1, naming tools/sandbox-shell.sh" \
    grep -q "^pandora-gen: .*'sudo tools/sandbox-shell.sh'" <<<"$status: $err"
status=0
sandbox_run pandora-gen --dev -p loud /srv/full/procfile 2>/dev/null || status=$?
tap_is "$status" "2" "-p with an unknown level is a usage error"

if ! sandbox_run sh -c 'command -v node' >/dev/null; then
    tap_skip 12 "node is missing: the full example's web group can't run"
    tap_done
fi

# In the box, detached, its output in a file; SIGINT goes to it by its PID in the box.
sandbox_run sh -c 'setsid sh -c "pandora-gen --dev /srv/full/procfile >/srv/dev.out 2>&1 </dev/null &
    echo \$! >/srv/dev.pid; wait \$!; echo \$? >/srv/dev.status" </dev/null >/dev/null 2>&1 &'
units="full-background@1.service full-web@1.service full-web@2.service full-web@1.socket full-web@2.socket"
# shellcheck disable=SC2086 # one word per unit
tap_ok "the transient units become active" sandbox_wait 30 sandbox_run systemctl is-active --quiet $units
tap_is "$(sandbox_run systemctl show -p Transient --value full-web@2.service):$(sandbox_run systemctl show \
    -p Environment --value full-web@2.service)" \
    "yes:PANDORA_APP=full PANDORA_PROCESS=web PANDORA_INSTANCE=2 PANDORA_SCALE=2 PANDORA_DEV=true" \
    "web@2 is transient, with the dev overlay's scale and PANDORA_DEV (the env is the agent's to give)"
tap_ok "nothing is installed" sandbox_run sh -c '! ls /run/pandora /etc/pandora 2>/dev/null | grep -q .'
sandbox_wait 10 sandbox_run grep -q '^web\.2 .*| Started full-web@2.service' /srv/dev.out || true
out=$(sandbox_run cat /srv/dev.out)
tap_ok "output lines carry process.instance[/service] prefixes" \
    grep -qE '^background\.1/cache +\| cache of 1000 entries ready$' <<<"$out"
# shellcheck disable=SC2016 # expanded by that bash
tap_ok "both web instances log under their prefix" \
    bash -c 'grep -qE "^web\.1 +\| " <<<"$1" && grep -qE "^web\.2 +\| " <<<"$1"' bash "$out"

# A watched file changes while a client keeps asking.
cursor=$(sandbox_run journalctl -n 0 --show-cursor | sed -n 's/^-- cursor: //p')
client_loop
sleep 1
sandbox_run sh -c 'echo "// changed" >>/srv/full/web.js'
tap_ok "the change restarts every instance" \
    sandbox_wait 60 sandbox_run grep -q '^pandora-gen: full: every instance restarted$' /srv/dev.out
sleep 0.5
sandbox_run touch /srv/client.stop
sandbox_wait 15 sandbox_run test -s /srv/client.out || true
read -r requests failed < <(sandbox_run cat /srv/client.out) || true
tap_diag "client: ${requests:-?} requests, ${failed:-?} failed$(sandbox_run head -n 5 /srv/client.err)"
tap_ok "no request failed during the restarts (${requests:-?} made)" \
    test "${failed:-1}" -eq 0 -a "${requests:-0}" -gt 10
order=$(sandbox_run journalctl --after-cursor="$cursor" _PID=1 -o cat |
    sed -n 's/^\(Stopping\|Started\) full-web@\([12]\)\.service.*/\1 \2/p' | tr '\n' ',')
tap_is "$order" "Stopping 1,Started 1,Stopping 2,Started 2," "web instances restart one at a time"

# shellcheck disable=SC2016 # expanded by the shell in the box
sandbox_run sh -c 'kill -INT "$(cat /srv/dev.pid)"'
sandbox_wait 60 sandbox_run test -s /srv/dev.status || true
tap_is "$(sandbox_run cat /srv/dev.status 2>&1)" "0" "SIGINT: pandora-gen stops and exits 0"
out=$(sandbox_run cat /srv/dev.out)
tap_diag "$(grep -v ' | ' <<<"$out")"
tap_is "$(grep -E '^[a-z]+\.[0-9]+: ' <<<"$out" | sed 's/: .*//' | tr '\n' ' ')" "background.1 web.1 web.2 " \
    "a summary line per instance"
sandbox_wait 10 no_units || true
tap_is "$(loaded_units)" "" "no unit of the app is left"

# SIGKILL leaves no handler to run: the units go with pandora-gen's scope (BindsTo=).
sandbox_run sh -c 'setsid sh -c "pandora-gen --dev /srv/full/procfile >/srv/dev2.out 2>&1 </dev/null &
    echo \$! >/srv/dev2.pid; wait" </dev/null >/dev/null 2>&1 &'
# shellcheck disable=SC2086 # one word per unit
sandbox_wait 30 sandbox_run systemctl is-active --quiet $units || true
# shellcheck disable=SC2016 # expanded by the shell in the box
sandbox_run sh -c 'kill -KILL "$(cat /srv/dev2.pid)"'
tap_ok "SIGKILL of pandora-gen --dev: its units stop with its scope" sandbox_wait 30 no_units
tap_done

#!/bin/bash
# pandora-agent's lifecycle under a real systemd: services start one at a time in dependency order and
# the unit stays "activating" until the last one is ready (here a ready = "notify" child that waits for
# a file); then the entry starts and the unit is "active". A stop runs in reverse, kills the child that
# ignores SIGTERM at its own stop timeout, and completes within the unit's window. Each child gets its
# PANDORA_SERVICE and the agent's NOTIFY_SOCKET.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox.sh
source "$(dirname "$0")/sandbox.sh"
# shellcheck source-path=SCRIPTDIR source=test-agent-lib.sh
source "$(dirname "$0")/test-agent-lib.sh"

unit=life-web@1.service

tap_plan 13
tap_ok "the box boots" sandbox_boot
[[ -n ${SANDBOX_PID:-} ]] || tap_bail "no box, nothing else to check"

tap_ok "install life.procfile" agent_install_procfile life <<'EOF2'
app = "life";
processes = {
    web = {
        entry = "/bin/sh -c 'exec sleep 1000'";
        stop_timeout_ms = 5000;
    };
};
services = {
    first = { process = "web"; exec = "/bin/sleep 1000"; };
    gate = {
        process = "web";
        exec = "/bin/sh -c 'while [ ! -e /run/life-go ]; do sleep 0.05; done; systemd-notify --ready; exec sleep 1000'";
        ready = "notify";
        dependencies = [ "first" ];
    };
    stubborn = {
        process = "web";
        exec = "/bin/sh -c 'trap \"\" TERM; while :; do sleep 0.1; done'";
        dependencies = [ "gate" ];
        stop_timeout_ms = 800;
    };
};
EOF2

sandbox_run systemctl start --no-block life.target
tap_ok "STATUS= says the agent waits for gate" sandbox_wait 10 agent_prop_is "$unit" StatusText "starting gate (2/4)"
sleep 0.5
tap_is "$(agent_prop "$unit" ActiveState)" activating "the unit stays activating until gate sends READY=1"

sandbox_run touch /run/life-go
tap_ok "the unit becomes active after READY=1" sandbox_wait 10 agent_prop_is "$unit" ActiveState active
tap_is "$(agent_prop "$unit" StatusText)" "3 services and the entry running" "STATUS= once ready"

envs=$(for pid in $(agent_children "$unit"); do
    sandbox_run cat "/proc/$pid/environ" | tr '\0' '\n' | grep -E '^(PANDORA_SERVICE|NOTIFY_SOCKET)=' |
        sed 's/^NOTIFY_SOCKET=@.*/NOTIFY_SOCKET=@agent/' | sort | tr '\n' ' '
    echo
done | sort)
tap_is "$envs" "$(printf '%s\n' 'NOTIFY_SOCKET=@agent ' 'NOTIFY_SOCKET=@agent PANDORA_SERVICE=first ' \
    'NOTIFY_SOCKET=@agent PANDORA_SERVICE=gate ' 'NOTIFY_SOCKET=@agent PANDORA_SERVICE=stubborn ')" \
    "each child has its PANDORA_SERVICE and the agent's abstract NOTIFY_SOCKET"

start=$EPOCHREALTIME
sandbox_run systemctl stop "$unit"
elapsed_ms=$(( (${EPOCHREALTIME//[.,]/} - ${start//[.,]/}) / 1000 ))
tap_ok "the stop took the stubborn child's 800 ms and stayed within the 5 s window ($elapsed_ms ms)" \
    test "$elapsed_ms" -ge 800 -a "$elapsed_ms" -lt 5000

journal=$(agent_journal "$unit")
tap_is "$(grep -E "^(Started|Stopped) (service|entry)" <<<"$journal")" "$(printf '%s\n' \
    "Started service 'first'" "Started service 'gate'" "Started service 'stubborn'" "Started entry '/bin/sh'" \
    "Stopped entry '/bin/sh'" "Stopped service 'stubborn' uncleanly: killed by signal KILL" \
    "Stopped service 'gate'" "Stopped service 'first'")" "services start in order and stop in reverse"
tap_ok "the journal says stubborn was killed at its timeout" \
    grep -qxF "Service 'stubborn' did not stop within 800 ms, killing it" <<<"$journal"
tap_is "$(agent_prop "$unit" ExecMainStatus)" 1 "an unclean stop exits 1"

fields=$(sandbox_run journalctl -b -u "$unit" -o json MESSAGE="Started service 'first'" |
    python3 -c 'import json, sys; e = json.loads(sys.stdin.readline()); print(e["PANDORA_APP"], e["PANDORA_PROCESS"], e["PANDORA_INSTANCE"])')
tap_is "$fields" "life web 1" "the agent's entries carry PANDORA_APP, PANDORA_PROCESS and PANDORA_INSTANCE"
tap_is "$(sandbox_run systemctl show -p ActiveState --value life-web@1.service)" failed \
    "the unit is failed after an unclean stop, and not restarted"
tap_done
